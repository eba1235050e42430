#!/usr/bin/python3
"""Python rows of the benchmark: the same exchange as the C programs (bench/src/harness.cpp), once
with Python's own ssl module and once with the ssx binding, so the two differ only in the calls that
move bytes.

    pybench.py SCENARIO --impl ssl|ssx --pki DIR [--policy FILE] [--placement same|split] ...

Scenarios: bulk (--bytes, --write: the server sends, the client checks every byte) and handshakes
(--seconds; a new TCP connection, a full mutual-auth handshake and one byte each way per
iteration). The server runs in a forked child; each process is pinned like the C programs. Prints
one JSON object; any failure exits 1 with the reason on stderr.
"""
import argparse
import json
import os
import resource
import signal
import socket
import sys
import time

PERIOD = 65521  # prime: never lines up with write or record sizes (same rule as the C harness)
MAX_CHUNK = 1 << 20


def pattern():
    x = 2463534242
    out = bytearray(PERIOD)
    for i in range(PERIOD):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out) + bytes(out) * (MAX_CHUNK // PERIOD + 1)


def pin(placement, server):
    cpu = 0 if placement == "same" or server else 1
    os.sched_setaffinity(0, {cpu})


def cpu_us():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1e6


class SocketCalls:
    """The data calls, the same for both implementations: their sockets share the socket API.
    close(): ssl's is what `with ctx.wrap_socket(...)` does (no close_notify: unwrap() would wait
    for the peer's); ssx's sends close_notify, drains (bounded) and closes."""

    @staticmethod
    def sendall(c, data):
        c.sendall(data)

    @staticmethod
    def recv_into(c, buf):
        return c.recv_into(buf)

    @staticmethod
    def close(c):
        c.close()


class SslImpl(SocketCalls):
    """Python's ssl module with its defaults, mutual auth, TLS 1.3, host name checked."""

    def __init__(self, args, server):
        import ssl
        name = "server" if server else "client"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(os.path.join(args.pki, name + ".pem"), os.path.join(args.pki, name + ".key"))
        ctx.load_verify_locations(os.path.join(args.pki, "ca.pem"))
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.ctx = ctx

    def listener(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        return s

    def accept(self, lsock):
        c, _ = lsock.accept()
        return self.ctx.wrap_socket(c, server_side=True)

    def connect(self, addr):
        s = socket.create_connection(addr)
        return self.ctx.wrap_socket(s, server_hostname="server.test")


class SsxImpl(SocketCalls):
    """The ssx binding used like ssl.SSLSocket: ssx.create_server() / ssx.create_connection()
    give SecureSocket objects; sendall, recv_into and close are their methods."""

    def __init__(self, args, server):
        if args.policy:
            os.environ["SSX_POLICY"] = args.policy
        import ssx
        self.ssx = ssx
        name = "server" if server else "client"
        self.settings = ssx.SecuritySettings(
            certificate_file=os.path.join(args.pki, name + ".pem"),
            private_key_file=os.path.join(args.pki, name + ".key"),
            trust_file=os.path.join(args.pki, "ca.pem"))

    def listener(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ssx.set_socket_security(s, self.settings)  # before bind, as the C programs do
        return s

    def accept(self, lsock):
        c, _ = self.ssx.accept(lsock)
        return c

    def connect(self, addr):
        return self.ssx.create_connection(addr, target_name="server.test", settings=self.settings)


def make_impl(args, server):
    return (SslImpl if args.impl == "ssl" else SsxImpl)(args, server)


def run_pair(args, server_body):
    """Forks the server (pinned), returns (address, stop_write_fd, result_read_fd, pid)."""
    stop_r, stop_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(stop_w)
            os.close(res_r)
            signal.alarm(600)
            pin(args.placement, True)
            impl = make_impl(args, True)
            lsock = impl.listener()
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind(("127.0.0.1", 0))
            lsock.listen(4096)
            os.write(res_w, b"%d\n" % lsock.getsockname()[1])
            server_body(impl, lsock, stop_r, res_w)
        except BaseException as e:  # the child must never return into the parent's code
            print("server: %s: %s" % (type(e).__name__, e), file=sys.stderr)
            status = 1
        sys.stderr.flush()
        os._exit(status)
    os.close(stop_r)
    os.close(res_w)
    line = read_line(res_r)
    if not line:
        finish(pid, stop_w)
    return ("127.0.0.1", int(line)), stop_w, res_r, pid


def read_line(fd):
    out = b""
    while True:
        c = os.read(fd, 1)
        if not c or c == b"\n":
            return out.decode()
        out += c


def finish(pid, stop_w):
    os.close(stop_w)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise SystemExit("the server process failed (see above)")


def next_conn(impl, lsock, stop_r):
    import select
    r, _, _ = select.select([lsock, stop_r], [], [])
    if stop_r in r:
        return None
    return impl.accept(lsock)


def recv_exact(impl, c, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = impl.recv_into(c, view[got:])
        if k == 0:
            raise SystemExit("the peer ended the stream after %d of %d bytes" % (got, n))
        got += k
    return bytes(buf)


def bulk(args):
    total, chunk = args.bytes, args.write
    pat = pattern()

    def server(impl, lsock, stop_r, res_w):
        c = next_conn(impl, lsock, stop_r)
        if c is None:
            return
        cpu0 = cpu_us()
        view = memoryview(pat)
        sent = 0
        while sent < total:
            n = min(chunk, total - sent)
            off = sent % PERIOD
            impl.sendall(c, view[off:off + n])
            sent += n
        impl.close(c)
        os.write(res_w, b"%f\n" % (cpu_us() - cpu0))
        while os.read(stop_r, 1):
            pass

    addr, stop_w, res_r, pid = run_pair(args, server)
    impl = make_impl(args, False)
    c = impl.connect(addr)
    buf = bytearray(chunk)
    view = memoryview(buf)
    got = 0
    cpu0 = cpu_us()
    t0 = time.perf_counter()
    while True:
        n = impl.recv_into(c, view)
        if n == 0:
            break
        off = got % PERIOD
        if buf[:n] != pat[off:off + n]:  # bytes comparison is a memcmp; memoryview's is per item
            raise SystemExit("data mismatch in the chunk at byte %d of the stream" % got)
        got += n
    secs = time.perf_counter() - t0
    client_cpu = cpu_us() - cpu0
    if got != total:
        raise SystemExit("only %d of %d bytes arrived before the end of the stream" % (got, total))
    impl.close(c)
    server_cpu = float(read_line(res_r))
    finish(pid, stop_w)
    gb = total / 1e9
    return {"throughput_MBps": total / secs / 1e6, "client_cpu_ms_per_GB": client_cpu / 1e3 / gb,
            "server_cpu_ms_per_GB": server_cpu / 1e3 / gb}


def handshakes(args):
    def server(impl, lsock, stop_r, res_w):
        count, cpu0 = 0, 0.0
        while True:
            c = next_conn(impl, lsock, stop_r)
            if c is None:
                break
            b = recv_exact(impl, c, 1)
            impl.sendall(c, b)
            impl.close(c)
            count += 1
            if count == 1:
                cpu0 = cpu_us()
        os.write(res_w, b"%f %d\n" % (cpu_us() - cpu0, count - 1))

    addr, stop_w, res_r, pid = run_pair(args, server)
    impl = make_impl(args, False)

    def one():
        c = impl.connect(addr)
        impl.sendall(c, b"p")
        recv_exact(impl, c, 1)
        impl.close(c)

    one()  # warm-up
    count = 0
    cpu0 = cpu_us()
    t0 = time.perf_counter()
    while count < args.min_count or time.perf_counter() - t0 < args.seconds:
        one()
        count += 1
    secs = time.perf_counter() - t0
    client_cpu = cpu_us() - cpu0
    finish(pid, stop_w)
    server_cpu, server_count = read_line(res_r).split()
    if int(server_count) != count:
        raise SystemExit("the server counted %s handshakes; the client %d" % (server_count, count))
    return {"handshakes_per_s": count / secs, "client_cpu_us": client_cpu / count,
            "server_cpu_us": float(server_cpu) / count}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=["bulk", "handshakes"])
    p.add_argument("--impl", choices=["ssl", "ssx"], required=True)
    p.add_argument("--pki", required=True)
    p.add_argument("--policy", default="")
    p.add_argument("--placement", choices=["same", "split"], default="split")
    p.add_argument("--bytes", type=int, default=1 << 30)
    p.add_argument("--write", type=int, default=16384)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--min-count", type=int, default=5)
    args = p.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    pin(args.placement, False)
    metrics = bulk(args) if args.scenario == "bulk" else handshakes(args)
    print(json.dumps({"scenario": args.scenario, "metrics": metrics}))


if __name__ == "__main__":
    main()
