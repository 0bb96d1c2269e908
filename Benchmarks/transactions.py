#!/usr/bin/env python3
"""MULTI/EXEC transactions: redis-server vs swiftlet-server, same machine,
same run, server CPU per transaction as the figure to compare.

    python3 Benchmarks/transactions.py              # every shape, repeat 5
    python3 Benchmarks/transactions.py --repeat 3 set_get

Client libraries send transactions all the time (redis-py's pipeline() is
one by default, and so are Rails' and Sidekiq's multi blocks), but
redis-benchmark cannot: it repeats one command. This script writes them
itself on one connection, 250 transactions per write, and reads every
reply back (each shape's replies have a fixed length, so counting bytes is
exact). 300k transactions per run on a fresh server, keys drawn from 1M.
One connection is enough: the server's CPU per transaction, not the
client's speed, is the figure. Writes Benchmarks/results/transactions.md.
"""
import argparse, os, random, socket, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Server, add_pair_arguments, publish_results, resp, round_order, server_pair  # noqa: E402

TRANSACTIONS = 300_000
PER_WRITE = 250


# name: (commands of one transaction for key k, byte length of its replies)
SHAPES = {
    # +OK +QUEUED +QUEUED *2 +OK $1 v
    "set_get": (lambda k: [(b"SET", k, b"v"), (b"GET", k)], 5 + 9 + 9 + 4 + 5 + 7),
    # A rate limiter: +OK +QUEUED x3 *3 +OK :1 :1 (SET resets the count, so INCR answers 1)
    "incr_expire": (lambda k: [(b"SET", k, b"0"), (b"INCR", k), (b"EXPIRE", k, b"60")],
                    5 + 9 * 3 + 4 + 5 + 4 + 4),
    # Two keys on (usually) different shards: +OK +QUEUED +QUEUED *2 +OK :1
    "two_keys": (lambda k: [(b"SET", k, b"v"), (b"SADD", b"s" + k, b"m")], 5 + 9 + 9 + 4 + 5 + 4),
    # A keyless command in the queue: +OK +QUEUED +QUEUED *2 +OK +PONG
    "with_ping": (lambda k: [(b"SET", k, b"v"), (b"PING",)], 5 + 9 + 9 + 4 + 5 + 7),
    # The invalidation write path: drop the key and tell the workers, in one
    # step. No key exists and nobody subscribes: +OK +QUEUED +QUEUED *2 :0 :0
    "del_publish": (lambda k: [(b"DEL", k), (b"PUBLISH", b"invalidate", k)], 5 + 9 + 9 + 4 + 4 + 4),
}


def batches(shape, count):
    build, _ = SHAPES[shape]
    rnd = random.Random(1)
    out = []
    for _ in range(count):
        buf = bytearray()
        for _ in range(PER_WRITE):
            k = b"k:%06d" % rnd.randrange(1_000_000)
            buf += resp(b"MULTI")
            for command in build(k):
                buf += resp(*command)
            buf += resp(b"EXEC")
        out.append(bytes(buf))
    return out


def run(port, shape, payloads):
    """Sends TRANSACTIONS transactions; returns the wall time taken."""
    _, reply_length = SHAPES[shape]
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.time()
    for i in range(TRANSACTIONS // PER_WRITE):
        s.sendall(payloads[i % len(payloads)])
        want, got = reply_length * PER_WRITE, 0
        while got < want:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("server closed the connection")
            got += len(chunk)
        if got != want:
            raise RuntimeError(f"{shape}: expected {want} reply bytes per write, got {got}")
    s.close()
    return time.time() - start


def main():
    ap = argparse.ArgumentParser()
    add_pair_arguments(ap, repeat=5)
    ap.add_argument("shapes", nargs="*", help="shapes to run (default: all): " + " ".join(SHAPES))
    args = ap.parse_args()
    shapes = args.shapes or list(SHAPES)
    binaries = server_pair(args)
    samples = {}
    for shape in shapes:
        payloads = batches(shape, 20)
        for rep in range(args.repeat):
            for name, argv in round_order(binaries, rep):
                s = Server(name, argv)
                try:
                    cpu0 = s.cpu_seconds()
                    seconds = run(s.port, shape, payloads)
                    cpu_us = (s.cpu_seconds() - cpu0) * 1e6 / TRANSACTIONS
                finally:
                    s.stop()
                samples.setdefault((shape, name), []).append((cpu_us, TRANSACTIONS / seconds))
                print(f"  [{rep + 1}/{args.repeat}] {shape} {name}: {cpu_us:.3f} us/transaction", file=sys.stderr)
    lines = [f"Transactions {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, one connection, "
             f"{PER_WRITE} per write, {TRANSACTIONS} per run, medians of {args.repeat} interleaved runs\n",
             "| transaction | redis CPU us/tx | swiftlet CPU us/tx | CPU swiftlet/redis | tx/s swiftlet/redis |",
             "|---|---:|---:|---:|---:|"]
    for shape in shapes:
        cpu = {b: statistics.median(x[0] for x in samples[(shape, b)]) for b, _ in binaries}
        rate = {b: statistics.median(x[1] for x in samples[(shape, b)]) for b, _ in binaries}
        commands = " ".join(c[0].decode() for c in SHAPES[shape][0](b"k"))
        lines.append(f"| MULTI {commands} EXEC | {cpu['redis']:.3f} | {cpu['swiftlet']:.3f} | "
                     f"{cpu['swiftlet'] / cpu['redis']:.2f} | {rate['swiftlet'] / rate['redis']:.2f} |")
    publish_results("transactions.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
