#!/usr/bin/env python3
"""Measures what bench/wanproxy.c does to a connection: round trip and rate.

    python3 bench/wancheck.py WANPROXY [MB] [-- WANPROXY_OPTIONS...]

Starts a small server on 127.0.0.1 (an echo for the round trips, a sink and
a source for the transfers), a wanproxy in front of it, and measures through
the proxy: the connection (connect to the first echoed byte), the median of
50 one-byte round trips, and, at the same time on two connections, MB
megabytes (10^6 bytes, default 100) sent to the server and MB received from
it, each timed from its first byte sent to the last byte's acknowledgement
(upload) or arrival (download).  With the defaults (100 Mbit/s, 10 ms each
way) a link would give: a round trip 20 ms, 100 MB in 8.0 s each way, both
at once, as the shaping is per connection and per direction.  Prints one
line; exits 1 if something fails.  Only 127.0.0.1.
"""
import socket
import statistics
import subprocess
import sys
import threading
import time

CHUNK = 1 << 16


def serve(lsock):
    while True:
        try:
            c, _ = lsock.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        got = c.recv(n - len(b))
        if not got:
            raise EOFError
        b += got
    return b


def handle(c):
    """First byte: 'e' echo, 'u' sink of N bytes then 'k', 'd' source of N."""
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        kind = recv_exact(c, 1)
        if kind == b"e":
            while True:
                b = c.recv(4096)
                if not b:
                    break
                c.sendall(b)
        elif kind == b"u":
            n = int(recv_exact(c, 20))
            buf = bytearray(CHUNK)
            while n > 0:
                got = c.recv_into(buf, min(n, CHUNK))
                if not got:
                    raise EOFError
                n -= got
            c.sendall(b"k")
        elif kind == b"d":
            n = int(recv_exact(c, 20))
            buf = b"x" * CHUNK
            while n > 0:
                c.sendall(buf[: min(n, CHUNK)])
                n -= min(n, CHUNK)
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def transfer(port, kind, nbytes, out):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(kind + b"%020d" % nbytes)
    t0 = time.monotonic()
    if kind == b"u":
        buf = b"x" * CHUNK
        left = nbytes
        while left > 0:
            c.sendall(buf[: min(left, CHUNK)])
            left -= min(left, CHUNK)
        recv_exact(c, 1)
    else:
        buf = bytearray(CHUNK)
        left = nbytes
        while left > 0:
            got = c.recv_into(buf, min(left, CHUNK))
            if not got:
                raise EOFError
            left -= got
    out[kind] = time.monotonic() - t0
    c.close()


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[: args.index("--")]
    if not args:
        sys.exit(__doc__)
    proxy = args[0]
    mb = float(args[1]) if len(args) > 1 else 100.0
    nbytes = int(mb * 1e6)

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    threading.Thread(target=serve, args=(lsock,), daemon=True).start()
    p = subprocess.Popen([proxy, "-l", "0", "-t", str(lsock.getsockname()[1])] + extra,
                         stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        t0 = time.monotonic()
        c = socket.create_connection(("127.0.0.1", port))
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sendall(b"e.")
        recv_exact(c, 1)
        connect = time.monotonic() - t0
        rtts = []
        for _ in range(50):
            t = time.monotonic()
            c.sendall(b"p")
            recv_exact(c, 1)
            rtts.append(time.monotonic() - t)
        c.close()
        out = {}
        th = [threading.Thread(target=transfer, args=(port, k, nbytes, out)) for k in (b"u", b"d")]
        for t in th:
            t.start()
        for t in th:
            t.join()
        if len(out) != 2:
            sys.exit("wancheck: a transfer failed")
        up, down = out[b"u"], out[b"d"]
        print("wanproxy %s: round trip %.1f ms (median of 50; min %.1f, max %.1f), "
              "connection to first echo %.1f ms; %g MB up in %.2f s (%.1f Mbit/s) and "
              "%g MB down in %.2f s (%.1f Mbit/s), both at once"
              % (" ".join(extra) or "-b 100M -d 10",
                 statistics.median(rtts) * 1e3, min(rtts) * 1e3, max(rtts) * 1e3,
                 connect * 1e3, mb, up, nbytes * 8 / up / 1e6, mb, down, nbytes * 8 / down / 1e6))
    finally:
        p.terminate()
        rc = p.wait(10)
        lsock.close()
    if rc != 0:
        sys.exit("wancheck: wanproxy exited with status %d on SIGTERM" % rc)


if __name__ == "__main__":
    main()
