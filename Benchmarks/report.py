#!/usr/bin/env python3
"""The performance report: every figure of the performance goals, measured
side by side with redis-server in one run, as a Markdown table and PNG charts.

    python3 Benchmarks/report.py                  # everything (about 35 minutes)
    python3 Benchmarks/report.py --quick          # smaller runs, repeat 1
    python3 Benchmarks/report.py --only core memory expiry
    python3 Benchmarks/report.py --only core --generator loadgen
    python3 Benchmarks/report.py --charts-only    # redraw from Benchmarks/results/report.json

Parts (`--only` picks some; the rest are taken from the last run's JSON if present):
  core      redis-benchmark, 50 clients, 1M-key space: SET/GET at pipeline 16
            with 3-byte and 1 KiB values, SET/GET at pipeline 1 (server CPU per
            request from /proc), MSET and MGET of 10 keys, INCR, and an 80/20
            GET/SET mix with TTLs (two redis-benchmark processes at once,
            40 + 10 clients). Medians of interleaved runs, fresh servers.
            `--generator loadgen` (or `both`, the default) runs the same
            workloads with Benchmarks/tools/loadgen.c, a load generator that
            needs about half of redis-benchmark's CPU per request, so that at
            pipeline 16 the server, not the load generator, sets the rate; its
            80/20 mix is one process whose 50 clients pick GET or SET EX 300 at
            random per request. Its own table, next to redis-benchmark's.
            The pipeline-1 rows also run against Benchmarks/tools/floor.c, a
            responder that does no work: the CPU per request the kernel alone
            charges any epoll server, shown in a table under each core table.
  memory    RSS and used_memory per key, 1M keys of 16-byte keys and values,
            without and with a TTL on every key.
  expiry    1M keys with TTLs spread over 1-10 s (absolute PXAT deadlines, so
            the number still alive at any instant is known exactly): the
            fraction of the keyspace that is expired but still present,
            sampled every 100 ms, and the server CPU spent until all are gone.
  iothreads GET/SET P16 with --io-threads 1, 2 and 4 (Redis: io-threads 1
            and 2 with io-threads-do-reads), and a server-bound workload
            (LPOS of a missing element over 1000 lists of 500 elements) where
            the load generator leaves room on its core for a second loop.
  pubsub    Benchmarks/pubsub.py (PUBLISH to 10 subscribers, P16), its JSON.
  eviction  Benchmarks/eviction.py (Zipf cache-aside hit ratios), its JSON.

Writes Benchmarks/results/report.md and report.json, and the charts to
docs/images/ (the README shows them). Charts need matplotlib: the script
installs it with pip into Benchmarks/.deps when it is missing. Numbers are
never pass/fail: this machine is shared and noisy, only same-run ratios mean
anything.
"""
import argparse, bisect, json, os, platform, random, socket, statistics, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import CLIENT_CPUS, PIN, ROOT, SERVER_CPUS, Server, bench_memory, children_cpu_seconds, pin_client, redis_benchmark, resp  # noqa: E402

RESULTS = os.path.join(ROOT, "Benchmarks/results")
IMAGES = os.path.join(ROOT, "docs/images")
DEPS = os.path.join(ROOT, "Benchmarks/.deps")
PARTS = ["core", "memory", "expiry", "iothreads", "pubsub", "eviction"]
LOADGEN_SRC = os.path.join(ROOT, "Benchmarks/tools/loadgen.c")
LOADGEN = os.path.join(DEPS, "loadgen")
# The zero-work responder that the pipeline-1 rows are also run against (see floor.c).
FLOOR_SRC = os.path.join(ROOT, "Benchmarks/tools/floor.c")
FLOOR = os.path.join(DEPS, "floor")


# MARK: core workloads

def core_workloads(quick):
    n16 = 400_000 if quick else 2_000_000
    n1 = 60_000 if quick else 300_000
    ten_keys = ["key:__rand_int__"] * 10
    return [
        # label, redis_benchmark keyword arguments
        ("SET P16 3B", dict(test="set", n=n16, pipeline=16, size=3)),
        ("GET P16 3B", dict(test="get", n=n16, pipeline=16, size=3)),
        ("SET P16 1KiB", dict(test="set", n=n16 // 2, pipeline=16, size=1024)),
        ("GET P16 1KiB", dict(test="get", n=n16 // 2, pipeline=16, size=1024)),
        ("SET P1 3B", dict(test="set", n=n1, pipeline=1, size=3)),
        ("GET P1 3B", dict(test="get", n=n1, pipeline=1, size=3)),
        ("MSET 10 keys P16", dict(test="mset", n=n16 // 4, pipeline=16, size=3)),
        ("MGET 10 keys P16", dict(test=None, n=n16 // 4, pipeline=16, size=3, command=["MGET"] + ten_keys)),
        ("INCR P16", dict(test="incr", n=n16, pipeline=16, size=3)),
    ]


def warm(server, size, quick):
    """Fills the 1M-key space (random keys, so GETs mostly hit as in a warm cache)."""
    redis_benchmark(server, "set", 300_000 if quick else 2_000_000, 16, size)


def mixed(server, n):
    """80/20 GET/SET with a TTL on every SET: 40 GET clients and 10 SET EX
    clients at once, pipeline 16. Every client sends as many requests, so
    both finish together; throughput is all requests over the wall time."""
    cpu0, client0 = server.cpu_seconds(), children_cpu_seconds()
    base = ["redis-benchmark", "-p", str(server.port), "-r", "1000000", "-P", "16", "--csv"]
    start = time.time()
    gets = subprocess.Popen(base + ["-c", "40", "-n", str(n * 4 // 5), "GET", "key:__rand_int__"],
                            stdout=subprocess.PIPE, text=True, preexec_fn=pin_client)
    sets = subprocess.Popen(base + ["-c", "10", "-n", str(n // 5), "SET", "key:__rand_int__", "xyz", "EX", "300"],
                            stdout=subprocess.PIPE, text=True, preexec_fn=pin_client)
    outs = [p.communicate()[0] for p in (gets, sets)]
    elapsed = time.time() - start
    cpu = server.cpu_seconds() - cpu0
    client_busy = (children_cpu_seconds() - client0) / elapsed

    def parse(out):
        rows = [l for l in out.splitlines() if l.startswith('"') and not l.startswith('"test"')]
        f = [x.strip('"') for x in rows[-1].split(",")]
        return float(f[4]), float(f[6])
    (g50, g99), (s50, s99) = parse(outs[0]), parse(outs[1])
    return {"rps": n / elapsed, "p50": g50, "p99": max(g99, s99), "cpu_us": cpu * 1e6 / n, "client_busy": client_busy}


def ensure_built(source, binary):
    """Compiles a tool from Benchmarks/tools into Benchmarks/.deps when missing or older than its source."""
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        os.makedirs(DEPS, exist_ok=True)
        print(f"compiling {os.path.relpath(source, ROOT)} into Benchmarks/.deps", file=sys.stderr)
        subprocess.run(["gcc", "-O2", "-pthread", "-o", binary, source], check=True)
    return binary


def ensure_loadgen():
    return ensure_built(LOADGEN_SRC, LOADGEN)


def loadgen(server, workload, n, pipeline, size, clients=50, keyspace=1_000_000, ttl=300):
    """One loadgen run (pinned like redis-benchmark). Same keys as redis-benchmark's
    key:__rand_int__, so warm() fills what GET and MGET read. Fails on any error reply."""
    cpu0, client0, start = server.cpu_seconds(), children_cpu_seconds(), time.time()
    p = subprocess.run([LOADGEN, "-p", str(server.port), "-t", workload, "-n", str(n), "-r", str(keyspace),
                        "-c", str(clients), "-P", str(pipeline), "-d", str(size), "--ttl", str(ttl), "-q"],
                       capture_output=True, text=True, preexec_fn=pin_client)
    cpu = server.cpu_seconds() - cpu0
    client_busy = (children_cpu_seconds() - client0) / max(time.time() - start, 1e-9)
    if p.returncode != 0:
        raise RuntimeError(f"loadgen {workload} against {server.name} failed ({p.returncode}): {p.stdout}{p.stderr}")
    words = p.stdout.split()
    out = dict(zip(words[::2], words[1::2]))
    # client_busy as for redis-benchmark (children's CPU over the wall time, start-up
    # included); gen_cpu_us is loadgen's own CPU per request during the run.
    return {"rps": float(out["rps"]), "p50": float(out["p50_ms"]), "p99": float(out["p99_ms"]), "cpu_us": cpu * 1e6 / n,
            "client_busy": client_busy, "gen_cpu_us": float(out["cpu_us_per_req"])}


MIX_LABEL = "GET/SET 80/20 +TTL P16"


def run_one(generator, name, argv, kw, quick):
    """One measurement on a fresh server: warm-up when the workload reads, then the workload."""
    s = Server(name, argv)
    try:
        # The floor keeps no keys: there is nothing to warm.
        if name != "floor" and (kw is None or kw["test"] in ("get", None)):
            warm(s, 3 if kw is None else kw["size"], quick)
        if generator == "loadgen":
            if kw is None:
                return loadgen(s, "mix", 400_000 if quick else 2_000_000, 16, 3)
            workload = kw["test"] or kw["command"][0].lower()
            return loadgen(s, workload, kw["n"], kw["pipeline"], kw["size"])
        if kw is None:
            return mixed(s, 400_000 if quick else 2_000_000)
        return redis_benchmark(s, kw["test"], kw["n"], kw["pipeline"], kw["size"], command=kw.get("command"))
    finally:
        s.stop()


def run_core(binaries, repeat, quick, generators=("redis-benchmark",)):
    """Returns {generator: {label: {server: medians}}}. Every repeat runs each
    generator against each server in turn (fresh server each run), so drift
    hits all of them."""
    rows = {g: {} for g in generators}
    # Pipeline 1 also runs against the zero-work floor: there the kernel's
    # share of a request dominates, and the floor shows it.
    with_floor = binaries + [("floor", [ensure_built(FLOOR_SRC, FLOOR)])]
    for label, kw in core_workloads(quick) + [(MIX_LABEL, None)]:
        servers = with_floor if kw and kw["pipeline"] == 1 else binaries
        samples = {g: {name: [] for name, _ in servers} for g in generators}
        for rep in range(repeat):
            for g in generators:
                for name, argv in servers:
                    r = run_one(g, name, argv, kw, quick)
                    samples[g][name].append(r)
                    print(f"  [{rep + 1}/{repeat}] {label} {name} ({g}): {r['rps']:,.0f} req/s, p99 {r['p99']:.3f} ms, "
                          f"{r['cpu_us']:.2f} us CPU/req, load generator {r['client_busy']:.0%} busy", file=sys.stderr)
        for g in generators:
            rows[g][label] = {name: {k: statistics.median(x[k] for x in v) for k in v[0]} for name, v in samples[g].items()}
    return rows


# MARK: memory

def run_memory(binaries, quick):
    count = 200_000 if quick else 1_000_000
    out = {}
    for ttl in (False, True):
        out["TTL on every key" if ttl else "no TTL"] = bench_memory(binaries, count, ttl)
    return out


# MARK: active expiry

def read_integer(f):
    line = f.readline()
    if not line.startswith(b":"):
        raise RuntimeError(f"expected an integer reply, got {line!r}")
    return int(line[1:])


def run_expiry_one(name, argv, count, quick):
    s = Server(name, argv)
    try:
        rng = random.Random(7)
        start_ms = int(time.time() * 1000) + (3000 if quick else 9000)   # after the load (slower when pinned), with room to spare
        deadlines = [start_ms + rng.randint(1000, 10_000) for _ in range(count)]
        load = b"".join(resp(b"SET", b"key:%012d" % i, b"val:%012d" % i, b"PXAT", b"%d" % d)
                        for i, d in enumerate(deadlines))
        s.cli("--pipe", stdin=load)
        deadlines.sort()
        sock = socket.create_connection(("127.0.0.1", s.port))
        f = sock.makefile("rb")
        samples = []
        cpu0, t_cpu0 = s.cpu_seconds(), time.time()
        end = start_ms + 10_000 + 3_000
        gone_at = None
        while time.time() * 1000 < end:
            sock.sendall(resp(b"DBSIZE"))
            present = read_integer(f)
            now_ms = int(time.time() * 1000)
            alive = count - bisect.bisect_right(deadlines, now_ms)
            samples.append(((now_ms - start_ms) / 1000, max(0, present - alive) / count))
            if present == 0 and gone_at is None:
                gone_at = (now_ms - start_ms) / 1000
            time.sleep(0.1)
        cpu = s.cpu_seconds() - cpu0
        wall = time.time() - t_cpu0
        sock.close()
        window = [frac for t, frac in samples if t >= 0]
        return {"max_stale": max(window), "mean_stale": statistics.mean(window), "cpu_s": cpu, "wall_s": wall,
                "all_gone_s": gone_at, "samples": samples}
    finally:
        s.stop()


def run_expiry(binaries, quick):
    count = 200_000 if quick else 1_000_000
    out = {}
    for name, argv in binaries:
        r = run_expiry_one(name, argv, count, quick)
        out[name] = r
        print(f"  expiry {name}: max stale {r['max_stale']:.4f}, mean {r['mean_stale']:.4f}, "
              f"CPU {r['cpu_s']:.2f} s, all gone at {r['all_gone_s']} s", file=sys.stderr)
    out["keys"] = count
    return out


# MARK: io-threads

# LPOS of a missing element over lists of this many elements: the server
# walks the whole list and answers nil, so it does far more work per request
# than the load generator, and a second loop can use what redis-benchmark
# leaves of its core. GET and SET P16 are the opposite: there redis-benchmark
# needs a core of its own.
SERVER_BOUND_LISTS = 1000
SERVER_BOUND_LENGTH = 500
SERVER_BOUND_LABEL = "LPOS 500-element list P16"


def fill_lists(server):
    """RPUSHes SERVER_BOUND_LISTS lists of SERVER_BOUND_LENGTH elements, named as
    redis-benchmark's list:__rand_int__ with -r SERVER_BOUND_LISTS."""
    elements = [b"element-%04d" % i for i in range(SERVER_BOUND_LENGTH)]
    server.cli("--pipe", stdin=b"".join(resp(b"RPUSH", b"list:%012d" % k, *elements) for k in range(SERVER_BOUND_LISTS)))


def run_iothreads(redis, swiftlet, repeat, quick):
    n = 300_000 if quick else 1_500_000
    configs = [("redis", "io-threads 1", [redis]),
               ("redis", "io-threads 2", [redis, "--io-threads", "2", "--io-threads-do-reads", "yes"])]
    configs += [("swiftlet", f"io-threads {k}", [swiftlet, "--io-threads", str(k)]) for k in (1, 2, 4)]
    out = {}
    for test in ("set", "get", "lpos"):
        for server, label, argv in configs:
            samples = []
            for _ in range(repeat):
                # Unpinned: io-threads need the server to have every core.
                s = Server(server, argv, pinned=False)
                try:
                    if test == "get":
                        warm(s, 3, quick)
                    if test == "lpos":
                        fill_lists(s)
                        command = ["LPOS", "list:__rand_int__", "absent"]
                        samples.append(redis_benchmark(s, None, n // 5, 16, 3, keyspace=SERVER_BOUND_LISTS,
                                                       command=command, pinned=False)["rps"])
                    else:
                        samples.append(redis_benchmark(s, test, n, 16, 3, pinned=False)["rps"])
                finally:
                    s.stop()
            key = f"{server} {label} " + (SERVER_BOUND_LABEL if test == "lpos" else f"{test.upper()} P16")
            out[key] = statistics.median(samples)
            print(f"  {key}: {out[key]:,.0f} req/s", file=sys.stderr)
    return out


# MARK: pubsub and eviction (their own scripts)

def run_script(script, extra):
    subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", script), "--json"] + extra, check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(RESULTS, script.replace(".py", ".json"))) as f:
        return json.load(f)


# MARK: report

def ratio_row(label, r, s, unit, fmt="{:,.0f}"):
    return f"| {label} | {fmt.format(r)} {unit} | {fmt.format(s)} {unit} | {s / r if r else float('nan'):.2f} |"


def core_row(label, r, s):
    """One core-workload table row: rates, latencies, server CPU, load generator busy share."""
    busy = f"{r['client_busy']:.0%} / {s['client_busy']:.0%}" if "client_busy" in s else ""
    return (f"| {label} | {r['rps']:,.0f} | {s['rps']:,.0f} | {s['rps'] / r['rps']:.2f} | "
            f"{r['p50']:.3f} / {r['p99']:.3f} | {s['p50']:.3f} / {s['p99']:.3f} | {s['p99'] / r['p99']:.2f} | "
            f"{r['cpu_us']:.2f} / {s['cpu_us']:.2f} | {s['cpu_us'] / r['cpu_us']:.2f} | {busy} |")


def floor_table(rows):
    """Pipeline-1 server CPU against the zero-work floor (Benchmarks/tools/floor.c)."""
    floored = [(label, v) for label, v in rows.items() if "floor" in v]
    if not floored:
        return []
    lines = ["Pipeline 1 against the floor: `Benchmarks/tools/floor.c` answers every request without doing any work "
             "(one epoll loop, one recv and one send per request, no keyspace), so its CPU per request is what the "
             "kernel alone charges an epoll server at pipeline 1 (Swiftlet on io_uring can go below it). *above floor* is what each server spends beyond it.", "",
             "| workload | CPU us/req Redis / Swiftlet / floor | floor / Redis | Swiftlet / Redis | above floor us/req Redis / Swiftlet |",
             "|---|---:|---:|---:|---:|"]
    for label, v in floored:
        r, s, f = v["redis"]["cpu_us"], v["swiftlet"]["cpu_us"], v["floor"]["cpu_us"]
        lines.append(f"| {label} | {r:.2f} / {s:.2f} / {f:.2f} | {f / r:.2f} | {s / r:.2f} | {r - f:.2f} / {s - f:.2f} |")
    return lines + [""]


def markdown(data):
    meta = data["meta"]
    lines = [f"# Swiftlet performance report", "",
             f"{meta['date']}, {meta['machine']}, {meta['redis']}; Swiftlet {meta['swiftlet']}. "
             "Both servers on the same machine in one run, interleaved; ratios are Swiftlet / Redis "
             "(higher is better for throughput, lower for latency, CPU and memory).", ""]
    if "core" in data:
        pinning = meta.get("pinning", "")
        lines += ["## Throughput and latency (redis-benchmark, 50 clients, 1M-key space)", "",
                  (f"{pinning} " if pinning else "") +
                  "*CPU us/req* is the server's user+system CPU per request (from /proc): the figure that does not "
                  "depend on the load generator. *load gen busy* is redis-benchmark's share of its core during the "
                  "Swiftlet run: near 100% it, not the server, set the request rate, and the req/s ratio understates "
                  "the server.", "",
                  "| workload | Redis req/s | Swiftlet req/s | ratio | Redis p50 / p99 ms | Swiftlet p50 / p99 ms | p99 ratio | CPU us/req Redis / Swiftlet | CPU ratio | load gen busy (Redis / Swiftlet run) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, v in data["core"].items():
            lines.append(core_row(label, v["redis"], v["swiftlet"]))
        lines.append("")
        lines += floor_table(data["core"])
    if "core_loadgen" in data:
        lines += ["## Throughput and latency (loadgen, 50 clients, 1M-key space)", "",
                  "The same workloads driven by `Benchmarks/tools/loadgen.c`, which needs about half of redis-benchmark's "
                  "CPU per request, so that at pipeline 16 the server sets the rate. Same keys, values, pipelining and "
                  "latency definition (batch write to reply parse) as redis-benchmark; its 80/20 mix is one process "
                  "whose 50 clients choose GET or SET EX 300 at random per request. *loadgen CPU us/req* is the load "
                  "generator's own CPU per request.", "",
                  "| workload | Redis req/s | Swiftlet req/s | ratio | Redis p50 / p99 ms | Swiftlet p50 / p99 ms | p99 ratio | CPU us/req Redis / Swiftlet | CPU ratio | load gen busy (Redis / Swiftlet run) | loadgen CPU us/req (Redis / Swiftlet run) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, v in data["core_loadgen"].items():
            r, s = v["redis"], v["swiftlet"]
            lines.append(core_row(label, r, s) + f" {r['gen_cpu_us']:.2f} / {s['gen_cpu_us']:.2f} |")
        lines.append("")
        lines += floor_table(data["core_loadgen"])
    if "memory" in data:
        lines += ["## Memory per key (1M keys, 16-byte keys and values)", "",
                  "| shape | Redis RSS B/key | Swiftlet RSS B/key | ratio | Redis used_memory B/key | Swiftlet used_memory B/key | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for label, m in data["memory"].items():
            r, s = m["redis"], m["swiftlet"]
            lines.append(f"| {label} | {r['rss']:.1f} | {s['rss']:.1f} | {s['rss'] / r['rss']:.2f} | "
                         f"{r['used']:.1f} | {s['used']:.1f} | {s['used'] / r['used']:.2f} |")
        lines.append("")
    if "expiry" in data:
        e = data["expiry"]
        r, s = e["redis"], e["swiftlet"]
        lines += [f"## Active expiry ({e['keys']:,} keys, TTLs spread over 1-10 s)", "",
                  "| measure | Redis | Swiftlet | ratio |", "|---|---:|---:|---:|",
                  f"| expired-but-present keys, max (fraction of the keyspace) | {r['max_stale']:.4f} | {s['max_stale']:.4f} | "
                  f"{s['max_stale'] / r['max_stale'] if r['max_stale'] else float('nan'):.2f} |",
                  f"| expired-but-present keys, mean | {r['mean_stale']:.4f} | {s['mean_stale']:.4f} | "
                  f"{s['mean_stale'] / r['mean_stale'] if r['mean_stale'] else float('nan'):.2f} |",
                  f"| server CPU seconds over the {r['wall_s']:.0f} s window | {r['cpu_s']:.2f} | {s['cpu_s']:.2f} | "
                  f"{s['cpu_s'] / r['cpu_s'] if r['cpu_s'] else float('nan'):.2f} |",
                  f"| all keys gone after (s from the first deadline window) | {r['all_gone_s']} | {s['all_gone_s']} | |", ""]
    if "iothreads" in data:
        lines += ["## io-threads (GET/SET P16 with 3-byte values; LPOS over 500-element lists, P16)", "",
                  "Not pinned: the servers may use every core, and share them with redis-benchmark. "
                  "GET and SET need about a core of redis-benchmark's; LPOS of a missing element makes the server "
                  "walk a whole list per request, so it leaves part of the client's core free for a second loop.", "",
                  "| configuration | req/s |", "|---|---:|"]
        lines += [f"| {k} | {v:,.0f} |" for k, v in data["iothreads"].items()]
        lines.append("")
    if "pubsub" in data:
        p = data["pubsub"]
        lines += ["## PUBLISH to 10 subscribers (Benchmarks/pubsub.py)", "", "| measure | Redis | Swiftlet | ratio |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {row['label']} | {row['redis']:,.3f} | {row['swiftlet']:,.3f} | {row['ratio']:.2f} |" for row in p["rows"]]
        lines.append("")
    if "eviction" in data:
        v = data["eviction"]
        lines += ["## Eviction hit ratios (Benchmarks/eviction.py, Zipf 0.99 cache-aside)", "",
                  f"Exact LRU on the trace {v['exact_lru']:.4f}, exact LFU {v['exact_lfu']:.4f}.", "",
                  "| policy | Redis | Swiftlet, equal bytes | Swiftlet, equal keys |", "|---|---:|---:|---:|"]
        for policy, h in v["policies"].items():
            lines.append(f"| {policy} | {h['redis']:.4f} | {h['swiftlet_equal_bytes']:.4f} | {h['swiftlet_equal_keys']:.4f} |")
        lines += [f"| allkeys-lfu, popularity shift | {v['shift']['redis']:.4f} | | {v['shift']['swiftlet']:.4f} |", ""]
    lines += ["Charts: docs/images/throughput.png, latency.png, memory.png, expiry.png, hit-ratio.png.", ""]
    return "\n".join(lines)


def ensure_matplotlib():
    """Imports matplotlib from the system or Benchmarks/.deps, pip-installing it there once."""
    import importlib
    sys.path.insert(0, DEPS)
    for attempt in range(2):
        try:
            importlib.invalidate_caches()
            import matplotlib  # noqa: F401
            return True
        except ImportError:
            if attempt == 0:
                print("installing matplotlib into Benchmarks/.deps (pip)", file=sys.stderr)
                subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", DEPS, "matplotlib"])
    print("matplotlib is not available: no charts drawn", file=sys.stderr)
    return False


def charts(data):
    if not ensure_matplotlib():
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(IMAGES, exist_ok=True)
    colors = {"redis": "#c0392b", "swiftlet": "#2471a3"}
    stamp = f"{data['meta']['date']}, {data['meta']['machine']}"

    def bars(ax, labels, redis, swift, ylabel, ratio_fmt="{:.2f}x"):
        x = range(len(labels))
        w = 0.38
        ax.bar([i - w / 2 for i in x], redis, w, label="redis-server 7.0", color=colors["redis"])
        ax.bar([i + w / 2 for i in x], swift, w, label="Swiftlet", color=colors["swiftlet"])
        for i, (r, s) in enumerate(zip(redis, swift)):
            if r:
                ax.annotate(ratio_fmt.format(s / r), (i + w / 2, s), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)

    # Throughput: redis-benchmark's panel, and loadgen's under it when there are loadgen figures.
    panels = [(key, tool) for key, tool in (("core", "redis-benchmark"), ("core_loadgen", "loadgen")) if key in data]
    if panels:
        fig, axes = plt.subplots(len(panels), 1, figsize=(10, 4.8 * len(panels)), squeeze=False)
        for ax, (key, tool) in zip(axes[:, 0], panels):
            names = list(data[key])
            bars(ax, names, [data[key][l]["redis"]["rps"] for l in names],
                 [data[key][l]["swiftlet"]["rps"] for l in names], "requests per second")
            title = "Throughput, 50 clients (labels: Swiftlet / Redis)"
            ax.set_title(f"{title}\n{stamp}" if panels == [("core", "redis-benchmark")]
                         else f"{title}, load generator: {tool}\n{stamp}", fontsize=10)
        fig.tight_layout(); fig.savefig(os.path.join(IMAGES, "throughput.png"), dpi=110); plt.close(fig)

    if "core" in data:
        labels = list(data["core"])
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
        for ax, key in zip(axes, ("p50", "p99")):
            bars(ax, labels, [data["core"][l]["redis"][key] for l in labels],
                 [data["core"][l]["swiftlet"][key] for l in labels], f"{key} latency, ms")
            ax.set_title(f"{key} (lower is better)", fontsize=10)
        fig.suptitle(f"Latency percentiles (redis-benchmark)  {stamp}", fontsize=10)
        fig.tight_layout(); fig.savefig(os.path.join(IMAGES, "latency.png"), dpi=110); plt.close(fig)

    if "memory" in data:
        labels = list(data["memory"])
        fig, ax = plt.subplots(figsize=(6, 4))
        bars(ax, labels, [data["memory"][l]["redis"]["rss"] for l in labels],
             [data["memory"][l]["swiftlet"]["rss"] for l in labels], "RSS bytes per key")
        ax.set_title(f"Memory per key, 1M keys of 16 B + 16 B\n{stamp}", fontsize=10)
        fig.tight_layout(); fig.savefig(os.path.join(IMAGES, "memory.png"), dpi=110); plt.close(fig)

    if "expiry" in data:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name in ("redis", "swiftlet"):
            t, frac = zip(*data["expiry"][name]["samples"])
            ax.plot(t, [100 * f for f in frac], label="redis-server 7.0" if name == "redis" else "Swiftlet", color=colors[name])
        ax.axhline(10, color="gray", linestyle="--", linewidth=0.8)
        ax.set_xlabel("seconds since the first TTL window opened")
        ax.set_ylabel("expired but present, % of keyspace")
        ax.set_title(f"Active expiry, {data['expiry']['keys']:,} keys with TTLs of 1-10 s\n{stamp}", fontsize=10)
        ax.legend(fontsize=8); ax.grid(alpha=0.3)
        fig.tight_layout(); fig.savefig(os.path.join(IMAGES, "expiry.png"), dpi=110); plt.close(fig)

    if "eviction" in data:
        v = data["eviction"]
        labels, redis, swift_keys, swift_bytes = [], [], [], []
        for policy, h in v["policies"].items():
            labels.append(policy); redis.append(h["redis"]); swift_keys.append(h["swiftlet_equal_keys"])
            swift_bytes.append(h["swiftlet_equal_bytes"])
        labels.append("lfu, shift"); redis.append(v["shift"]["redis"]); swift_keys.append(v["shift"]["swiftlet"])
        swift_bytes.append(0)
        fig, ax = plt.subplots(figsize=(7, 4))
        x = range(len(labels)); w = 0.27
        ax.bar([i - w for i in x], redis, w, label="redis-server 7.0", color=colors["redis"])
        ax.bar(list(x), swift_keys, w, label="Swiftlet, equal keys", color=colors["swiftlet"])
        ax.bar([i + w for i in x], swift_bytes, w, label="Swiftlet, equal bytes", color="#5dade2")
        ax.axhline(v["exact_lru"], color="gray", linestyle=":", linewidth=0.8)
        ax.axhline(v["exact_lfu"], color="gray", linestyle="--", linewidth=0.8)
        ax.set_ylim(0.6, 0.9); ax.set_xticks(list(x)); ax.set_xticklabels(labels)
        ax.set_ylabel("hit ratio"); ax.legend(fontsize=8); ax.grid(axis="y", alpha=0.3)
        ax.set_title(f"Cache-aside hit ratio, Zipf 0.99 (dotted: exact LRU, dashed: exact LFU)\n{stamp}", fontsize=10)
        fig.tight_layout(); fig.savefig(os.path.join(IMAGES, "hit-ratio.png"), dpi=110); plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swiftlet", default=os.path.join(ROOT, ".build/release/swiftlet-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--repeat", type=int, default=None, help="runs per figure (default 3, 1 with --quick)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*", choices=PARTS, default=PARTS)
    ap.add_argument("--charts-only", action="store_true")
    ap.add_argument("--generator", choices=["redis-benchmark", "loadgen", "both"], default="both",
                    help="load generator for the core part (default: both, each in its own table)")
    args = ap.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "report.json")
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    if not args.charts_only:
        args.swiftlet = os.path.abspath(args.swiftlet)
        if not os.path.exists(args.swiftlet):
            subprocess.run(["swift", "build", "-c", "release", "--product", "swiftlet-server"], cwd=ROOT, check=True)
        binaries = [("redis", [args.redis]), ("swiftlet", [args.swiftlet])]
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        data["meta"] = {"date": time.strftime("%Y-%m-%d"), "repeat": args.repeat, "quick": args.quick,
                        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') // 2**30} GiB",
                        "redis": subprocess.run([args.redis, "--version"], capture_output=True, text=True).stdout.split(" sha")[0],
                        "swiftlet": commit,
                        "pinning": ("Servers pinned to CPUs " + ",".join(map(str, sorted(SERVER_CPUS))) +
                                    ", load generators to CPU " + ",".join(map(str, sorted(CLIENT_CPUS))) + "."
                                    if PIN else "No CPU pinning (BENCH_NO_PIN=1 or a single CPU).")}
        quick = ["--quick"] if args.quick else []
        for part in args.only:
            print(f"== {part}", file=sys.stderr)
            if part == "core":
                generators = ["redis-benchmark", "loadgen"] if args.generator == "both" else [args.generator]
                if "loadgen" in generators:
                    ensure_loadgen()
                core = run_core(binaries, args.repeat, args.quick, generators)
                if "redis-benchmark" in core:
                    data["core"] = core["redis-benchmark"]
                if "loadgen" in core:
                    data["core_loadgen"] = core["loadgen"]
            elif part == "memory":
                data["memory"] = run_memory(binaries, args.quick)
            elif part == "expiry":
                data["expiry"] = run_expiry(binaries, args.quick)
            elif part == "iothreads":
                data["iothreads"] = run_iothreads(args.redis, args.swiftlet, args.repeat, args.quick)
            elif part == "pubsub":
                data["pubsub"] = run_script("pubsub.py", quick + ["--no-slow", "--repeat", str(args.repeat),
                                                                  "--swiftlet", args.swiftlet])
            elif part == "eviction":
                data["eviction"] = run_script("eviction.py", quick + ["--swiftlet", args.swiftlet])
        with open(path, "w") as f:
            json.dump(data, f, indent=1)
    text = markdown(data)
    with open(os.path.join(RESULTS, "report.md"), "w") as f:
        f.write(text)
    print(text)
    charts(data)


if __name__ == "__main__":
    main()
