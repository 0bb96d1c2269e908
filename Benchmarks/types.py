#!/usr/bin/env python3
"""Hashes, sets, lists and sorted sets: redis-server vs swiftlet-server, same machine, same run.

    python3 Benchmarks/types.py            # repeat 3
    python3 Benchmarks/types.py --quick    # smaller

Throughput (redis-benchmark, 50 clients, pipeline 16, medians of interleaved
runs): its built-in `hset`, `sadd`, `spop`, `lpush`, `lpop`, `lrange_100`,
`zadd` and `zpopmin` tests (one big key, 1M-element space; a two-test run
such as `lpush,lpop` reports the second test, its CPU figure covers both)
and HSET/SADD/ZADD on 100k small keys (custom commands).
Memory (fresh server per figure, 16-byte elements): RSS and used_memory per
element for small hashes (3 fields), sets (3 members), intsets (10
integers), lists (3 elements) and sorted sets (3 members), and one big key
of each type (a stream of one-field entries among them); XADD throughput on
one stream. Writes Benchmarks/results/types.md.
"""
import argparse, os, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ROOT, Server, add_pair_arguments, measure_memory, publish_results, redis_benchmark, resp, server_pair  # noqa: E402


SHAPES = {
    "small hashes (3 fields)": (lambda n: [resp(b"HSET", b"hash:%011d" % k, b"field:%010d" % f, b"value:%010d" % f)
                                           for k in range(n // 3) for f in range(3)], 3),
    "small sets (3 members)": (lambda n: [resp(b"SADD", b"set:%012d" % k, b"member:%09d" % f)
                                          for k in range(n // 3) for f in range(3)], 3),
    "intsets (10 integers)": (lambda n: [resp(b"SADD", b"iset:%011d" % k, *[b"%d" % (f * 1000) for f in range(10)])
                                         for k in range(n // 10)], 10),
    "one big hash": (lambda n: [resp(b"HSET", b"bighash", b"field:%010d" % f, b"value:%010d" % f) for f in range(n)], 1),
    "one big set": (lambda n: [resp(b"SADD", b"bigset", b"member:%09d" % f) for f in range(n)], 1),
    "small lists (3 elements)": (lambda n: [resp(b"RPUSH", b"list:%011d" % k, b"element:%08d" % f)
                                            for k in range(n // 3) for f in range(3)], 3),
    "one big list": (lambda n: [resp(b"RPUSH", b"biglist", b"element:%08d" % f) for f in range(n)], 1),
    "small sorted sets (3 members)": (lambda n: [resp(b"ZADD", b"zset:%011d" % k, b"%d" % f, b"member:%09d" % f)
                                                 for k in range(n // 3) for f in range(3)], 3),
    "one big sorted set": (lambda n: [resp(b"ZADD", b"bigzset", b"%d" % f, b"member:%09d" % f) for f in range(n)], 1),
    "one stream (1 field each)": (lambda n: [resp(b"XADD", b"bigstream", b"*", b"field", b"value:%010d" % f) for f in range(n)], 1),
}


def memory(binaries, shape, elements):
    build, _ = SHAPES[shape]
    stream = b"".join(build(elements))
    return measure_memory(binaries, elements, lambda s: s.cli("--pipe", stdin=stream))


def main():
    ap = argparse.ArgumentParser()
    add_pair_arguments(ap, repeat=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(args.swiftlet):
        subprocess.run(["swift", "build", "-c", "release", "--product", "swiftlet-server"], cwd=ROOT, check=True)
    n = 200_000 if args.quick else 1_000_000
    elements = 100_000 if args.quick else 300_000
    binaries = server_pair(args)
    workloads = [
        ("hset (one hash) P16", ["-t", "hset"]),
        ("sadd (one set) P16", ["-t", "sadd"]),
        ("spop (one set) P16", ["-t", "sadd,spop"]),
        ("HSET small hashes P16", ["HSET", "h:__rand_int__", "f", "v"]),
        ("SADD small sets P16", ["SADD", "s:__rand_int__", "m"]),
        ("lpush (one list) P16", ["-t", "lpush"]),
        ("lpop (one list) P16", ["-t", "lpush,lpop"]),
        ("lrange_100 P16", ["-t", "lrange_100"]),
        ("zadd (one sorted set) P16", ["-t", "zadd"]),
        ("zpopmin (one sorted set) P16", ["-t", "zadd,zpopmin"]),
        ("ZADD small sorted sets P16", ["ZADD", "z:__rand_int__", "1", "m"]),
        ("XADD one stream P16", ["XADD", "mystream", "*", "field", "__rand_int__"]),
    ]
    samples = {(w, b): [] for w, _ in workloads for b, _ in binaries}
    for rep in range(args.repeat):
        for w, bargs in workloads:
            for b, argv in binaries:
                s = Server(b, argv)
                try:
                    r = redis_benchmark(s, None, n, 16, 0, keyspace=100_000 if "small" in w else 1_000_000, command=bargs)
                finally:
                    s.stop()
                samples[(w, b)].append(r)
                print(f"  [{rep + 1}/{args.repeat}] {w} {b}: {r['rps']:.0f} req/s", file=sys.stderr)
    lines = [f"Data types benchmark {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
             f"redis-benchmark -c 50 -P 16 -n {n}, medians of {args.repeat} runs, fresh servers\n",
             "| workload | redis | swiftlet | swiftlet/redis |", "|---|---:|---:|---:|"]
    for w, _ in workloads:
        for metric, label in [("rps", "req/s"), ("p99", "p99 ms"), ("cpu_us", "CPU us/req")]:
            r = statistics.median(x[metric] for x in samples[(w, "redis")])
            s = statistics.median(x[metric] for x in samples[(w, "swiftlet")])
            lines.append(f"| {w} {label} | {r:,.3f} | {s:,.3f} | {s / r:.2f} |")
    for shape in SHAPES:
        m = memory(binaries, shape, elements)
        for metric, label in [("rss", "RSS B/element"), ("used", "used_memory B/element")]:
            r, s = m["redis"][metric], m["swiftlet"][metric]
            lines.append(f"| {shape} {label} | {r:.1f} | {s:.1f} | {s / r:.2f} |")
    text = "\n".join(lines) + "\n"
    publish_results("types.md", text)


if __name__ == "__main__":
    main()
