#!/usr/bin/env python3
"""Whole-keyspace walks: redis-server vs swiftlet-server, same machine, same
run, server CPU per walk as the figure to compare.

    python3 Benchmarks/walks.py              # repeat 3, about 2 minutes
    python3 Benchmarks/walks.py --repeat 5

Each run loads 1M keys of 16 bytes (key:%012d) into a fresh server, then:
  SCAN MATCH   a full SCAN iteration with MATCH key:0000000* (10% of the
               keys) and COUNT 1000, the way an application deletes a prefix;
  KEYS prefix  KEYS key:00000001* (10,000 keys);
  KEYS *       every key;
  FLUSHALL     FLUSHALL SYNC of the million keys.
Replies are read in full. Writes Benchmarks/results/walks.md.
"""
import argparse, os, socket, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Server, add_pair_arguments, load_keys, publish_results, resp, round_order, server_pair  # noqa: E402

KEYS = 1_000_000


def read_reply(f):
    line = f.readline()
    kind = line[:1]
    if kind == b"*":
        n = int(line[1:])
        return [read_reply(f) for _ in range(n)] if n >= 0 else None
    if kind == b"$":
        n = int(line[1:])
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"-":
        raise RuntimeError(line.decode().strip())
    return line[1:-2]


def walks(server):
    """Server CPU seconds of each walk, and the number of keys each found."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    f = sock.makefile("rb")

    def timed(body):
        before = server.cpu_seconds()
        found = body()
        return server.cpu_seconds() - before, found

    def scan():
        cursor, found = b"0", 0
        while True:
            sock.sendall(resp(b"SCAN", cursor, b"MATCH", b"key:0000000*", b"COUNT", b"1000"))
            cursor, keys = read_reply(f)
            found += len(keys)
            if cursor == b"0":
                return found

    def call(*args):
        sock.sendall(resp(*args))
        reply = read_reply(f)
        return len(reply) if isinstance(reply, list) else 0

    out = {
        "SCAN MATCH key:0000000* COUNT 1000, full iteration": timed(scan),
        "KEYS key:00000001*": timed(lambda: call(b"KEYS", b"key:00000001*")),
        "KEYS *": timed(lambda: call(b"KEYS", b"*")),
        "FLUSHALL SYNC": timed(lambda: call(b"FLUSHALL", b"SYNC") or KEYS),
    }
    sock.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    add_pair_arguments(ap, repeat=3)
    args = ap.parse_args()
    binaries = server_pair(args)
    samples = {}
    for rep in range(args.repeat):
        for name, argv in round_order(binaries, rep):
            s = Server(name, argv)
            try:
                load_keys(s, KEYS, False)
                time.sleep(0.3)  # let the load's last replies settle before counting CPU
                for walk, (cpu, found) in walks(s).items():
                    samples.setdefault((walk, name), []).append((cpu, found))
                    print(f"  [{rep + 1}/{args.repeat}] {walk} {name}: {cpu * 1000:.0f} ms, {found} keys", file=sys.stderr)
            finally:
                s.stop()
    lines = [f"Keyspace walks {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {KEYS} keys, "
             f"server CPU per walk, medians of {args.repeat} interleaved runs\n",
             "| walk | keys found | redis CPU ms | swiftlet CPU ms | swiftlet/redis |",
             "|---|---:|---:|---:|---:|"]
    for walk in dict.fromkeys(w for w, _ in samples):
        cpu = {b: statistics.median(x[0] for x in samples[(walk, b)]) * 1000 for b, _ in binaries}
        found = {b: samples[(walk, b)][0][1] for b, _ in binaries}
        if found["redis"] != found["swiftlet"]:
            raise SystemExit(f"{walk}: redis found {found['redis']} keys, swiftlet {found['swiftlet']}")
        lines.append(f"| {walk} | {found['redis']} | {cpu['redis']:.0f} | {cpu['swiftlet']:.0f} | "
                     f"{cpu['swiftlet'] / max(cpu['redis'], 1e-9):.2f} |")
    publish_results("walks.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
