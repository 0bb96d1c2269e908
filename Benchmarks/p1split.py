#!/usr/bin/env python3
"""Where pipeline-1 CPU goes: user and kernel time per request for Redis,
Swiftlet and the zero-work floor (Benchmarks/tools/floor.c), same machine,
same run, interleaved.

    python3 Benchmarks/p1split.py              # SET and GET, repeat 3, about 1 minute
    python3 Benchmarks/p1split.py --repeat 5 --tests get
    python3 Benchmarks/p1split.py --also other=/tmp/b/swiftlet-server   # a second build, same rounds

redis-benchmark, 50 clients, pipeline 1, 1M-key space, servers pinned to
CPU 1 and the client to CPU 0; GET runs after the keyspace is filled. For
each server it prints CPU per request, split into user and system time
(/proc utime and stime: 10 ms ticks, so use enough requests), and context
switches per request (how often the server slept in epoll_wait). The kernel
time is the loopback TCP path that every epoll server pays; the difference
between two servers is mostly their user time.
"""
import argparse, glob, os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Server, add_pair_arguments, redis_benchmark, round_order, server_pair  # noqa: E402
import report  # noqa: E402


def ticks(pid):
    """utime and stime of `pid` in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def context_switches(pid):
    total = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        with open(status) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_pair_arguments(ap, repeat=3)
    ap.add_argument("--tests", default="set,get")
    ap.add_argument("--requests", type=int, default=300_000)
    ap.add_argument("--epoll", action="store_true", help="also run Swiftlet with SWIFTLET_IO_BACKEND=epoll")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=PATH",
                    help="also run another server binary (another build, to compare two builds in the same rounds)")
    args = ap.parse_args()
    servers = server_pair(args)
    if args.epoll:
        # The same binary with its event loops on epoll instead of io_uring.
        servers.append(("swiftlet-epoll", ["env", "SWIFTLET_IO_BACKEND=epoll", args.swiftlet]))
    for extra in args.also:
        name, _, path = extra.partition("=")
        servers.append((name, [path]))
    servers.append(("floor", [report.ensure_built(report.FLOOR_SRC, report.FLOOR)]))
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    n = args.requests
    results = {}
    for rep in range(args.repeat):
        for test in args.tests.split(","):
            for name, argv in round_order(servers, rep):
                server = Server(name, argv)
                try:
                    if test == "get" and name != "floor":
                        report.warm(server, 3, False)
                    switches0, (user0, sys0) = context_switches(server.proc.pid), ticks(server.proc.pid)
                    m = redis_benchmark(server, test, n, 1, 3)
                    user1, sys1 = ticks(server.proc.pid)
                    m["user"] = (user1 - user0) * tick_us / n
                    m["sys"] = (sys1 - sys0) * tick_us / n
                    m["switches"] = (context_switches(server.proc.pid) - switches0) / n
                finally:
                    server.stop()
                results.setdefault((test, name), []).append(m)
                print(f"  [{rep + 1}/{args.repeat}] {test} {name}: {m['cpu_us']:.3f} us/req "
                      f"(user {m['user']:.3f}, system {m['sys']:.3f}), {m['switches']:.3f} switches/req", flush=True)
    # "paired": the median over rounds of this server's CPU over Redis's in
    # the same round. The machine drifts by more than the differences
    # measured here, and within a round both ran within a minute.
    print("\n| test | server | CPU us/req | vs Redis | paired vs Redis (min-max) | user us/req | system us/req | context switches/req |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for test in args.tests.split(","):
        redis_runs = results[(test, "redis")]
        base = statistics.median(r["cpu_us"] for r in redis_runs)
        for name, _ in servers:
            runs = results[(test, name)]
            median = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
            paired = [r["cpu_us"] / b["cpu_us"] for r, b in zip(runs, redis_runs)]
            print(f"| {test.upper()} P1 | {name} | {median('cpu_us'):.3f} | {median('cpu_us') / base:.2f} | "
                  f"{statistics.median(paired):.2f} ({min(paired):.2f}-{max(paired):.2f}) | "
                  f"{median('user'):.3f} | {median('sys'):.3f} | {median('switches'):.3f} |")


if __name__ == "__main__":
    main()
