#!/usr/bin/env python3
"""Eviction hit ratio: Redis vs Swiftlet on the same Zipf(0.99) cache-aside trace.

    python3 Benchmarks/eviction.py [--quick] [--keys 1000000] [--requests 8000000]

For allkeys-lru and allkeys-lfu it reports hit ratios
  (a) at equal maxmemory bytes (the user's view: Swiftlet's smaller entries
      fit more keys), the limit being what Redis needs for 10% of the keys;
  (b) at equal resident key counts (each server's limit, for each policy, calibrated to hold
      10% of the keys, then corrected by trial runs until a full run ends
      holding them within 0.1%), which compares the policies themselves;
plus exact LRU and exact LFU simulated on the same trace, and a run whose
popularity shifts halfway, and used_memory/RSS against maxmemory under
sustained writes (100 MB). Writes Benchmarks/results/eviction.md.
"""
import argparse, json, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = "/tmp/swiftlet-zipf-cache"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


class Server:
    def __init__(self, argv, extra):
        self.port = free_port()
        self.proc = subprocess.Popen(argv + ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no"] + extra, cwd=tempfile.mkdtemp(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close(); return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("server did not start")

    def cli(self, *args, stdin=None):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), input=stdin,
                              capture_output=True, check=True).stdout.decode()

    def field(self, name):
        for line in self.cli("INFO", "everything").splitlines():
            if line.startswith(name + ":"):
                return int(line.split(":")[1])

    def rss(self):
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def stop(self):
        self.proc.terminate(); self.proc.wait()


def calibrate(argv, keys, value_size):
    """used_memory of a server holding `keys` keys of the benchmark's shape,
    plus 64 KiB for the benchmark client's buffers (both servers count them)."""
    s = Server(argv, [])
    try:
        lines = [b"*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$%d\r\n%s\r\n" % (i, value_size, b"v" * value_size) for i in range(keys)]
        s.cli("--pipe", stdin=b"".join(lines))
        return s.field("used_memory") + 64 * 1024
    finally:
        s.stop()


def run(argv, maxmemory, policy, args, shift=False):
    s = Server(argv, ["--maxmemory", str(maxmemory), "--maxmemory-policy", policy])
    try:
        cmd = [TOOL, "--port", str(s.port), "--keys", str(args.keys), "--requests", str(args.requests),
               "--warmup", str(args.requests // 4), "--value", "32"] + (["--shift"] if shift else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        ratio = float(out.split("hit_ratio ")[1].split()[0])
        return {"hit": ratio, "keys": int(s.cli("DBSIZE").strip()), "used": s.field("used_memory"),
                "rss": s.rss(), "evicted": s.field("evicted_keys")}
    finally:
        s.stop()


def sustained(argv, limit_mb=100):
    """Sustained SETs of new keys under maxmemory (allkeys-lru): used_memory and
    RSS relative to maxmemory, sampled every second while eviction runs."""
    s = Server(argv, ["--maxmemory", f"{limit_mb}mb", "--maxmemory-policy", "allkeys-lru"])
    try:
        bench = subprocess.Popen(["redis-benchmark", "-p", str(s.port), "-t", "set", "-r", "20000000", "-d", "100",
                                  "-n", "10000000", "-P", "16", "-c", "50", "-q"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        limit = limit_mb * 1024 * 1024
        time.sleep(6)  # fill to the limit first
        used, rss = [], []
        # Only samples taken while the writers are connected count: when
        # they disconnect, their buffers (about 1.5% of 100 MB here) leave
        # used_memory, which is truthful but is not eviction at work.
        while len(used) < 6 and bench.poll() is None:
            u, r = s.field("used_memory") / limit, s.rss() / limit
            if bench.poll() is None:
                used.append(u); rss.append(r)
            time.sleep(1)
        bench.kill()
        bench.wait()
        if not used:
            raise SystemExit("the writers finished before the server was full")
        return {"used_min": min(used), "used_max": max(used), "rss_max": max(rss), "evicted": s.field("evicted_keys")}
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swiftlet", default=os.path.join(ROOT, ".build/release/swiftlet-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=8_000_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true", help="also write Benchmarks/results/eviction.json (report.py reads it)")
    args = ap.parse_args()
    if args.quick:
        args.keys, args.requests = 200_000, 2_000_000
    if not os.path.exists(args.swiftlet):
        subprocess.run(["swift", "build", "-c", "release", "--product", "swiftlet-server"], cwd=ROOT, check=True)
    subprocess.run(["swiftc", "-O", os.path.join(ROOT, "Benchmarks/tools/zipf_cache.swift"), "-o", TOOL], check=True)
    resident = args.keys // 10
    sim = subprocess.run([TOOL, "--simulate", str(resident), "--keys", str(args.keys), "--requests", str(args.requests),
                          "--warmup", str(args.requests // 4)], capture_output=True, text=True, check=True).stdout
    exact = dict(line.split() for line in sim.strip().splitlines())
    redis_limit = calibrate([args.redis], resident, 32)
    swift_limit = calibrate([args.swiftlet], resident, 32)
    # A loaded server holds a little more than the calibration pass (client
    # buffers, tables at a different fill): see settle() below.
    trial_args = argparse.Namespace(**{**vars(args), "requests": max(400_000, args.requests // 4)})

    def settle(label, argv, limit, policy, run_args, attempts):
        """Runs until the server holds `resident` keys within 0.1% at the end
        (or `attempts` runs), moving the limit by the missing or extra keys
        at the bytes per key seen; returns the limit and result of the run
        that came closest. (The count at one limit varies by a few hundred
        keys from run to run: 100k keys over 64 shards is near a table
        growth threshold, and each grown table holds 16 KiB more slots.)"""
        best = None
        for attempt in range(attempts):
            result = run(argv, limit, policy, run_args)
            print(f"run {attempt}: {label} {policy} holds {result['keys']} keys at {limit} B "
                  f"(hit ratio {result['hit']:.4f})", file=sys.stderr)
            if best is None or abs(result["keys"] - resident) < abs(best[1]["keys"] - resident):
                best = (limit, result)
            if abs(result["keys"] - resident) <= resident // 1000:
                break
            limit += int((resident - result["keys"]) * result["used"] / max(1, result["keys"]))
        return best

    # Each policy is calibrated on its own, short trial runs first, then
    # full runs until one ends within 0.1% of the resident keys (a server
    # holds a few hundred keys more or fewer at one limit under LFU than
    # under LRU, and the count drifts with the run's length: worth a few
    # 0.0001 of hit ratio, the size of the differences compared).
    rows, limits = [], {}
    redis_at, swift_at = redis_limit, swift_limit  # each policy starts where the last one settled
    for policy in ["allkeys-lru", "allkeys-lfu"]:
        redis_at, _ = settle("redis", [args.redis], redis_at, policy, trial_args, 6)
        redis_at, r = settle("redis", [args.redis], redis_at, policy, args, 3)
        swift_at, _ = settle("swiftlet", [args.swiftlet], swift_at, policy, trial_args, 6)
        swift_at, b = settle("swiftlet", [args.swiftlet], swift_at, policy, args, 3)
        limits[policy] = (redis_at, swift_at)
        print(f"{policy} limits: redis {redis_at} B, swiftlet {swift_at} B for {resident} keys", file=sys.stderr)
        a = run([args.swiftlet], redis_at, policy, args)
        rows.append((policy, r, a, b))
        print(f"  {policy}: redis {r['hit']:.4f}, swiftlet equal bytes {a['hit']:.4f}, equal keys {b['hit']:.4f}", file=sys.stderr)
    redis_limit, swift_limit = limits["allkeys-lru"]
    shift_r = run([args.redis], limits["allkeys-lfu"][0], "allkeys-lfu", args, shift=True)
    shift_s = run([args.swiftlet], limits["allkeys-lfu"][1], "allkeys-lfu", args, shift=True)
    text = (f"Eviction benchmark {time.strftime('%Y-%m-%d %H:%M')}: Zipf(0.99) over {args.keys} keys, "
            f"{args.requests} GET-then-SET-on-miss requests (first quarter not counted), 10% resident "
            f"({resident} keys; allkeys-lru limits: Redis {redis_limit} B, Swiftlet for the same keys {swift_limit} B; "
            f"allkeys-lfu: Redis {limits['allkeys-lfu'][0]} B, Swiftlet {limits['allkeys-lfu'][1]} B).\n\n"
            f"Exact LRU on this trace: {float(exact['exact_lru']):.4f}; exact LFU: {float(exact['exact_lfu']):.4f}.\n\n"
            "| policy | Redis hit ratio (keys) | Swiftlet, equal bytes (keys) | Swiftlet, equal keys (keys) |\n|---|---:|---:|---:|\n")
    for policy, r, a, b in rows:
        text += f"| {policy} | {r['hit']:.4f} ({r['keys']}) | {a['hit']:.4f} ({a['keys']}) | {b['hit']:.4f} ({b['keys']}) |\n"
    text += (f"\nPopularity shift halfway, allkeys-lfu, equal keys: Redis {shift_r['hit']:.4f}, Swiftlet {shift_s['hit']:.4f}.\n\n"
             "| server | used_memory / maxmemory | RSS / maxmemory |\n|---|---:|---:|\n")
    for label, res, limit in [("redis lru", rows[0][1], redis_limit), ("swiftlet lru (equal bytes)", rows[0][2], redis_limit)]:
        text += f"| {label} | {res['used'] / limit:.3f} | {res['rss'] / limit:.2f} |\n"
    text += "\nSustained SETs of new 100-byte values (redis-benchmark -P 16 -c 50 -r 20M) under maxmemory 100mb, allkeys-lru, sampled every second once full, while the writers are connected:\n\n"
    text += "| server | used_memory / maxmemory (min-max) | RSS / maxmemory (max) | evicted keys |\n|---|---:|---:|---:|\n"
    for label, argv in [("redis", [args.redis]), ("swiftlet", [args.swiftlet])]:
        r = sustained(argv)
        text += f"| {label} | {r['used_min']:.4f}-{r['used_max']:.4f} | {r['rss_max']:.3f} | {r['evicted']} |\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "Benchmarks/results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks/results/eviction.md"), "w") as f:
        f.write(text)
    if args.json:
        with open(os.path.join(ROOT, "Benchmarks/results/eviction.json"), "w") as f:
            json.dump({"exact_lru": float(exact["exact_lru"]), "exact_lfu": float(exact["exact_lfu"]),
                       "policies": {policy: {"redis": r["hit"], "swiftlet_equal_bytes": a["hit"], "swiftlet_equal_keys": b["hit"]}
                                    for policy, r, a, b in rows},
                       "shift": {"redis": shift_r["hit"], "swiftlet": shift_s["hit"]}}, f, indent=1)


if __name__ == "__main__":
    main()
