#!/usr/bin/env python3
"""Side-by-side benchmark: redis-server vs swiftlet-server, same machine, same run.

Each workload runs against both servers, interleaved and repeated, and the
report gives the median of each and the ratio Swiftlet/Redis. Only same-run
ratios mean anything on a shared, noisy machine.

    python3 Benchmarks/compare.py                 # everything, default sizes
    python3 Benchmarks/compare.py --quick         # smaller runs
    python3 Benchmarks/compare.py --only throughput memory
    python3 Benchmarks/compare.py --swiftlet .build/release/swiftlet-server

Workloads
  throughput  redis-benchmark SET/GET, 50 clients, 1M-key space, 3 B and 1 KiB
              values, pipeline 1 and 16: req/s, p50, p99 and server CPU per
              request (from /proc/<pid>/stat).
  memory      RSS and used_memory per key for 1M keys (16-byte keys and
              values), without and with a TTL on every key.

Writes the table to stdout and to Benchmarks/results/latest.md.
"""
import argparse, csv, os, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# CPU pinning: the load generators run on CPU 0 and the server on all the
# others (on this 2-core machine: CPU 1), so that the two never take turns
# on one core and the server's numbers are its own. BENCH_NO_PIN=1 turns it off.
CPUS = sorted(os.sched_getaffinity(0))
PIN = len(CPUS) >= 2 and os.environ.get("BENCH_NO_PIN") != "1"
CLIENT_CPUS = {CPUS[0]} if PIN else set(CPUS)
SERVER_CPUS = set(CPUS[1:]) if PIN else set(CPUS)


def pin_client():
    """preexec_fn for load generators."""
    os.sched_setaffinity(0, CLIENT_CPUS)


def children_cpu_seconds():
    """CPU time used so far by finished child processes (the load generators)."""
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Server:
    def __init__(self, name, argv, pinned=True):
        cpus = SERVER_CPUS if pinned else set(CPUS)
        self.name = name
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-")
        self.proc = subprocess.Popen(argv + ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no"], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close(); break
            except OSError:
                time.sleep(0.02)
        else:
            raise SystemExit(f"{name} did not start")

    def cli(self, *args, stdin=None):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), input=stdin,
                              capture_output=True, check=True).stdout

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick

    def rss(self):
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def info(self, field):
        for line in self.cli("INFO", "memory").decode().splitlines():
            if line.startswith(field + ":"):
                return int(line.split(":")[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def add_pair_arguments(ap, repeat):
    """--swiftlet, --redis and --repeat, as every side-by-side script takes them."""
    ap.add_argument("--swiftlet", default=os.path.join(ROOT, ".build/release/swiftlet-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--repeat", type=int, default=repeat)


def server_pair(args):
    """The two servers to compare, as (name, argv), Redis first."""
    return [("redis", [args.redis]), ("swiftlet", [args.swiftlet])]


def round_order(binaries, rep):
    """The servers for round `rep`, their order swapped every other round
    so that neither always runs first (the machine drifts within a run)."""
    return binaries if rep % 2 == 0 else binaries[::-1]


def resp(*parts):
    """One command in RESP, from byte strings."""
    out = b"*%d\r\n" % len(parts)
    for p in parts:
        out += b"$%d\r\n%s\r\n" % (len(p), p)
    return out


def publish_results(name, text):
    """Prints a result table and writes it to Benchmarks/results/<name>."""
    print(text)
    os.makedirs(os.path.join(ROOT, "Benchmarks/results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks/results", name), "w") as f:
        f.write(text)


def redis_benchmark(server, test, n, pipeline, size, clients=50, keyspace=1_000_000, command=None, pinned=True):
    """One redis-benchmark run: its `-t test` workload, or `command` (a list
    of arguments, as redis-benchmark takes a custom command) when given."""
    cpu0, client0, start = server.cpu_seconds(), children_cpu_seconds(), time.time()
    workload = command if command else ["-t", test, "-d", str(size)]
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-n", str(n), "-r", str(keyspace),
                          "-c", str(clients), "-P", str(pipeline), "--csv"] + workload,
                         capture_output=True, text=True, check=True, preexec_fn=pin_client if pinned else None).stdout
    cpu = server.cpu_seconds() - cpu0
    # The load generator's share of its core: near 1.0 means it, not the
    # server, set the request rate.
    client_busy = (children_cpu_seconds() - client0) / max(time.time() - start, 1e-9)
    # The csv module: a custom command's name (the test column) may hold
    # commas, an EVAL script's for one.
    rows = [r for r in csv.reader(out.splitlines()) if r and r[0] != "test"]
    fields = rows[-1]
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    return {"rps": float(fields[1]), "p50": float(fields[4]), "p99": float(fields[6]), "cpu_us": cpu * 1e6 / n,
            "client_busy": client_busy}


def load_keys(server, count, ttl):
    """Loads `count` keys of 16 bytes with 16-byte values through redis-cli --pipe."""
    lines = []
    for i in range(count):
        key = b"key:%012d" % i
        value = b"val:%012d" % i
        if ttl:
            lines.append(b"*5\r\n$3\r\nSET\r\n$16\r\n%s\r\n$16\r\n%s\r\n$2\r\nEX\r\n$5\r\n86400\r\n" % (key, value))
        else:
            lines.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$16\r\n%s\r\n" % (key, value))
    server.cli("--pipe", stdin=b"".join(lines))


def measure_memory(binaries, count, load):
    """RSS and used_memory growth per item while `load(server)` adds `count`
    items. Fresh servers for each measurement: freed memory is not always
    given back to the OS, so a reused process would understate the next RSS delta."""
    result = {}
    for name, argv in binaries:
        s = Server(name, argv)
        try:
            time.sleep(0.2)
            rss0, used0 = s.rss(), s.info("used_memory")
            load(s)
            time.sleep(0.5)
            result[name] = {"rss": (s.rss() - rss0) / count, "used": (s.info("used_memory") - used0) / count}
        finally:
            s.stop()
    return result


def bench_memory(binaries, count, ttl):
    return measure_memory(binaries, count, lambda s: load_keys(s, count, ttl))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swiftlet", default=os.path.join(ROOT, ".build/release/swiftlet-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=["throughput", "memory"])
    args = ap.parse_args()
    if not os.path.exists(args.swiftlet):
        subprocess.run(["swift", "build", "-c", "release", "--product", "swiftlet-server"], cwd=ROOT, check=True)
    redis = Server("redis", [args.redis])
    swiftlet = Server("swiftlet", [args.swiftlet])
    servers = [redis, swiftlet]
    version = subprocess.run([args.redis, "--version"], capture_output=True, text=True).stdout.strip()
    rows = []
    try:
        if "throughput" in args.only:
            # Warm-up: fill both keyspaces (random keys over the 1M space), so
            # GETs mostly hit and SETs mostly overwrite, as in a running cache.
            for s in servers:
                redis_benchmark(s, "set", 300_000 if args.quick else 2_000_000, 16, 3)
            n_p16 = 300_000 if args.quick else 2_000_000
            n_p1 = 50_000 if args.quick else 300_000
            for test in ["set", "get"]:
                for pipeline, size, n in [(16, 3, n_p16), (1, 3, n_p1), (16, 1024, n_p16 // 2)]:
                    samples = {s.name: [] for s in servers}
                    for _ in range(args.repeat):
                        for s in servers:   # interleaved, so drift hits both
                            samples[s.name].append(redis_benchmark(s, test, n, pipeline, size))
                    med = {name: {k: statistics.median(x[k] for x in v) for k in v[0]} for name, v in samples.items()}
                    label = f"{test.upper()} P{pipeline} {size}B"
                    r, w = med["redis"], med["swiftlet"]
                    rows.append((label + " req/s", r["rps"], w["rps"], w["rps"] / r["rps"]))
                    rows.append((label + " p50 ms", r["p50"], w["p50"], w["p50"] / r["p50"] if r["p50"] else 0))
                    rows.append((label + " p99 ms", r["p99"], w["p99"], w["p99"] / r["p99"] if r["p99"] else 0))
                    rows.append((label + " CPU us/req", r["cpu_us"], w["cpu_us"], w["cpu_us"] / r["cpu_us"]))
                    print(f"  {label}: redis {r['rps']:.0f} req/s, swiftlet {w['rps']:.0f} req/s", file=sys.stderr)
        if "memory" in args.only:
            count = 200_000 if args.quick else 1_000_000
            for ttl in [False, True]:
                m = bench_memory([("redis", [args.redis]), ("swiftlet", [args.swiftlet])], count, ttl)
                label = "mem/key" + (" +TTL" if ttl else "")
                rows.append((label + " RSS B", m["redis"]["rss"], m["swiftlet"]["rss"], m["swiftlet"]["rss"] / m["redis"]["rss"]))
                rows.append((label + " used_memory B", m["redis"]["used"], m["swiftlet"]["used"],
                             m["swiftlet"]["used"] / m["redis"]["used"]))
    finally:
        for s in servers:
            s.stop()
    header = f"Benchmark {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, {version}, repeat {args.repeat}\n\n"
    table = "| workload | redis | swiftlet | swiftlet/redis |\n|---|---:|---:|---:|\n"
    for label, r, w, ratio in rows:
        table += f"| {label} | {r:,.3f} | {w:,.3f} | {ratio:.2f} |\n"
    publish_results("latest.md", header + table)


if __name__ == "__main__":
    main()
