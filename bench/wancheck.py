#!/usr/bin/env python3
"""Measures what bench/wanproxy.c does to a connection: round trip and rate.

    python3 bench/wancheck.py WANPROXY [MB] [-- WANPROXY_OPTIONS...]

Starts a small server on 127.0.0.1 (an echo for the round trips, a sink and
a source for the transfers), a wanproxy in front of it, and measures through
the proxy: the connection (connect to the first echoed byte), the median of
50 one-byte round trips, and, at the same time on two connections, MB
megabytes (10^6 bytes, default 100) sent to the server and MB received from
it, each timed from its first byte sent to the last byte's acknowledgement
(upload) or arrival (download), the bytes checked on arrival (pseudo-random
bytes with a prime period, so that a byte lost, doubled or out of order
shows).  With the defaults (100 Mbit/s,
10 ms each way) a link would give: a round trip 20 ms, 100 MB in 8.0 s each
way plus the opening, both at once, as the shaping is per connection and
per direction; the line prints these figures beside the measured ones.
Prints one line; exits 1 if something fails.  Only 127.0.0.1.
"""
import random
import socket
import statistics
import subprocess
import sys
import threading
import time

CHUNK = 1 << 16
# the bytes sent: PERIOD pseudo-random bytes repeated, a prime period longer
# than CHUNK, so that no ring size or read size of the proxy is a multiple
# of it; PATTERN2 holds them twice: the n <= CHUNK bytes at stream offset o
# are PATTERN2[o % PERIOD:][:n]
PERIOD = 65537
PATTERN2 = random.Random(12).randbytes(PERIOD) * 2


def stream_bytes(off, n):
    """The n <= CHUNK bytes of the stream at offset off."""
    i = off % PERIOD
    return PATTERN2[i:i + n]


def expect(buf, off, n):
    """True if the first n bytes of buf are the stream's bytes at offset off."""
    return buf[:n] == stream_bytes(off, n)


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
    """First byte: 'e' echo; 'u' sink of N bytes, then 'k' if they were the
    pattern ('b' if not); 'd' source of N bytes of the pattern."""
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
            mv = memoryview(buf)
            off, good = 0, True
            while off < n:
                got = c.recv_into(buf, min(n - off, CHUNK))
                if not got:
                    raise EOFError
                good = good and expect(mv, off, got)
                off += got
            c.sendall(b"k" if good else b"b")
        elif kind == b"d":
            n = int(recv_exact(c, 20))
            off = 0
            while off < n:
                c.sendall(stream_bytes(off, min(n - off, CHUNK)))
                off += min(n - off, CHUNK)
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def transfer(port, kind, nbytes, out):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(kind + b"%020d" % nbytes)
    t0 = time.monotonic()
    good = True
    if kind == b"u":
        off = 0
        while off < nbytes:
            c.sendall(stream_bytes(off, min(nbytes - off, CHUNK)))
            off += min(nbytes - off, CHUNK)
        good = recv_exact(c, 1) == b"k"
    else:
        buf = bytearray(CHUNK)
        mv = memoryview(buf)
        off = 0
        while off < nbytes:
            got = c.recv_into(buf, min(nbytes - off, CHUNK))
            if not got:
                raise EOFError
            good = good and expect(mv, off, got)
            off += got
    if good:
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
    # the link's own figures, from the proxy's options (its defaults too)
    bits, delay = 100e6, 10.0
    for o, v in zip(extra, extra[1:]):
        if o == "-b":
            bits = float(v.rstrip("kKmMgG")) * {"k": 1e3, "m": 1e6, "g": 1e9}.get(v[-1:].lower(), 1)
        elif o == "-d":
            delay = float(v)

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
            sys.exit("wancheck: a transfer failed or its bytes were not those sent")
        up, down = out[b"u"], out[b"d"]
        # a link: the transfer's bits at its rate, after the opening (3
        # delays) and before the last byte's or the acknowledgement's way
        link = (nbytes * 8 / bits if bits > 0 else 0) + 4 * delay / 1e3
        print("wanproxy %s, measured: round trip %.1f ms (median of 50; min %.1f, max %.1f; "
              "a link: %.1f), connection to first echo %.1f ms (a link: %.1f); "
              "%g MB up in %.2f s and %g MB down in %.2f s at once, bytes intact (a link: %.2f s each)"
              % (" ".join(extra) or "-b 100M -d 10",
                 statistics.median(rtts) * 1e3, min(rtts) * 1e3, max(rtts) * 1e3, 2 * delay,
                 connect * 1e3, 4 * delay, mb, up, mb, down, link))
    finally:
        p.terminate()
        rc = p.wait(10)
        lsock.close()
    if rc != 0:
        sys.exit("wancheck: wanproxy exited with status %d on SIGTERM" % rc)


if __name__ == "__main__":
    main()
