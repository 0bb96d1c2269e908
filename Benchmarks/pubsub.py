#!/usr/bin/env python3
"""PUBLISH fan-out: redis-server vs swiftlet-server, same machine, same run.

    python3 Benchmarks/pubsub.py                  # defaults: 2M publishes, P16, repeat 3
    python3 Benchmarks/pubsub.py --quick          # 1M publishes
    python3 Benchmarks/pubsub.py --requests 1000000 --repeat 5 --pipeline 16 1
    python3 Benchmarks/pubsub.py --swiftlet .build/release/swiftlet-server

Setup of one run (a fresh server process per run, so RSS figures start equal):
  subscribers  10 connections SUBSCRIBEd to one channel, drained by a
               separate process (this script with --drain: epoll over the 10
               sockets, recv_into a 1 MiB buffer, byte counting). Every frame
               has the same length, so bytes / frame length is the exact message
               count; the first and last frame of each socket are compared
               byte for byte.
  publishers   redis-benchmark -c 50 -P <pipeline> -n <requests> PUBLISH ch <payload>
  warm-up      a publish pass of requests/10 with the subscribers attached.
  scenarios    "10 subs": the above.
               "10 subs + slow": plus one subscriber that SUBSCRIBEs and then
               never reads. With the default client-output-buffer-limit
               pubsub 32mb 8mb 60 both servers must disconnect it once its
               output passes 32 MB; CLIENT LIST is polled (250 ms) to see its
               omem and when it went away, and the server's log (--logfile) is
               searched for the output-buffer-limit line.
  checks       after each run: every subscriber got every message (and no
               subscriber connection was closed), PUBSUB NUMSUB is back to 10,
               the slow one is gone, exactly one limit line was logged (none
               without the slow one). Failures are listed under the table.

Reported per server (medians over --repeat interleaved runs): PUBLISH req/s,
p50/p99 (redis-benchmark), messages delivered/s to the subscribers (from the
first to the last byte the drainer received), the fraction of expected
messages delivered, server CPU per PUBLISH (/proc/<pid>/stat utime+stime,
from the start of the run until the last subscriber has drained), the CPU
that redis-benchmark and the drainer used (to see who competes for the two
cores), RSS (/proc/<pid>/statm resident = VmRSS): growth from before the run
to the peak sampled during it, and 0.5 s after it.
Writes the tables to stdout and to Benchmarks/results/pubsub.md.

Both servers run with the same flags (io-threads left at the default 1, as in
compare.py). As there, the server is pinned to CPU 1 and redis-benchmark and
the drainer share CPU 0 (BENCH_NO_PIN=1 turns that off); only same-run
ratios mean anything.
"""
import argparse, json, os, resource, select, socket, statistics, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import ROOT, Server, pin_client  # noqa: E402  (free ports, same start flags, CPU and RSS readers)

CHANNEL = "bench:pubsub"


def bulk(s):
    return b"$%d\r\n%s\r\n" % (len(s), s)


def command(*parts):
    parts = [p if isinstance(p, bytes) else p.encode() for p in parts]
    return b"*%d\r\n" % len(parts) + b"".join(bulk(p) for p in parts)


def message_frame(channel, payload):
    """What a RESP2 subscriber receives for one PUBLISH."""
    return b"*3\r\n" + bulk(b"message") + bulk(channel) + bulk(payload)


def subscribe_reply(channel):
    return b"+OK\r\n" + b"*3\r\n" + bulk(b"subscribe") + bulk(channel) + b":1\r\n"


def subscriber(port, name, channel):
    """A connection that has named itself and is subscribed (confirmation read)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(command("CLIENT", "SETNAME", name) + command("SUBSCRIBE", channel))
    want = subscribe_reply(channel)
    got = b""
    s.settimeout(5)
    while len(got) < len(want):
        chunk = s.recv(len(want) - len(got))
        if not chunk:
            raise SystemExit(f"subscriber {name}: connection closed during SUBSCRIBE")
        got += chunk
    if got != want:
        raise SystemExit(f"subscriber {name}: unexpected SUBSCRIBE reply {got!r}")
    s.settimeout(None)
    return s


# ---------------------------------------------------------------- drainer ---

def drain_main(port, channel, count, payload_len):
    """Runs in its own process. Protocol on stdin/stdout, one line each:
    prints `ready`; reads `expect <messages per subscriber>` and answers with a
    JSON line once every subscriber has that many (or nothing arrived for 3 s
    after the request); counters then restart; `quit` ends it."""
    chan = channel.encode()
    frame = message_frame(chan, b"x" * payload_len)
    flen = len(frame)
    socks = [subscriber(port, f"sub-{i}", chan) for i in range(count)]
    for s in socks:
        s.setblocking(False)
    fds = {s.fileno(): i for i, s in enumerate(socks)}
    ep = select.epoll()
    for s in socks:
        ep.register(s.fileno(), select.EPOLLIN)
    ep.register(0, select.EPOLLIN)
    buf = bytearray(1 << 20)
    mv = memoryview(buf)

    def reset():
        return [0] * count, [b""] * count, [b""] * count, None, None

    nbytes, heads, tails, first, last = reset()
    closed = [False] * count
    expect = None
    asked = 0.0
    stdin_buf = b""
    print("ready", flush=True)
    while True:
        events = ep.poll(0.1)
        now = time.monotonic()
        for fd, _ in events:
            if fd == 0:
                data = os.read(0, 4096)
                if not data:
                    return
                stdin_buf += data
                while b"\n" in stdin_buf:
                    line, stdin_buf = stdin_buf.split(b"\n", 1)
                    words = line.split()
                    if words and words[0] == b"quit":
                        return
                    if words and words[0] == b"expect":
                        expect, asked = int(words[1]), now
                continue
            i = fds[fd]
            try:
                n = socks[i].recv_into(buf)
            except BlockingIOError:
                continue
            except ConnectionError:
                n = 0
            if n == 0:
                closed[i] = True
                ep.unregister(fd)
                continue
            if first is None:
                first = now
            last = now
            if len(heads[i]) < flen:
                heads[i] += bytes(mv[:min(n, flen - len(heads[i]))])
            tails[i] = (tails[i] + bytes(mv[max(0, n - flen):n]))[-flen:]
            nbytes[i] += n
        if expect is not None:
            done = all(b >= expect * flen for b in nbytes)
            idle = now - max(asked, last or 0.0) > 3.0
            if done or idle:
                report = {
                    "messages": [b // flen for b in nbytes],
                    "partial_bytes": [b % flen for b in nbytes],
                    "frames_ok": all(h == frame and t == frame for h, t, b in zip(heads, tails, nbytes) if b)
                                 and all(b % flen == 0 for b in nbytes),
                    "closed": closed,
                    "first": first, "last": last, "timed_out": not done,
                }
                print(json.dumps(report), flush=True)
                nbytes, heads, tails, first, last = reset()
                expect = None


# ------------------------------------------------------------ orchestrator ---

def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Drainer:
    def __init__(self, port, count, payload_len):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--drain", str(port), CHANNEL,
                                      str(count), str(payload_len)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=pin_client)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("drainer did not start")

    def expect(self, messages):
        self.proc.stdin.write(f"expect {messages}\n"); self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        try:
            self.proc.stdin.write("quit\n"); self.proc.stdin.flush()
            self.proc.wait(5)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()


def client_list(sock):
    """CLIENT LIST over an open connection, as {name: {field: value}}."""
    sock.sendall(command("CLIENT", "LIST"))
    data = b""
    while b"\r\n" not in data:
        data += sock.recv(65536)
    header, rest = data.split(b"\r\n", 1)
    size = int(header[1:])
    while len(rest) < size + 2:
        rest += sock.recv(65536)
    clients = {}
    for line in rest[:size].decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        clients[fields.get("name", "")] = fields
    return clients


class Monitor(threading.Thread):
    """Samples the server's RSS and the slow subscriber's omem while a run goes."""
    def __init__(self, server, interval=0.25):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.sock = socket.create_connection(("127.0.0.1", server.port))
        self.halt = threading.Event()
        self.peak_rss = server.rss()
        self.slow_seen = False
        self.slow_peak_omem = 0
        self.slow_gone_at = None

    def sample(self):
        self.peak_rss = max(self.peak_rss, self.server.rss())
        slow = client_list(self.sock).get("slow")
        if slow is not None:
            self.slow_seen = True
            self.slow_peak_omem = max(self.slow_peak_omem, int(slow.get("omem", 0)))
        elif self.slow_seen and self.slow_gone_at is None:
            self.slow_gone_at = time.monotonic()

    def run(self):
        while not self.halt.wait(self.interval):
            self.sample()

    def finish(self):
        self.halt.set(); self.join(); self.sample(); self.sock.close()


def numsub_of(port):
    """PUBSUB NUMSUB for the benchmark channel."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(command("PUBSUB", "NUMSUB", CHANNEL))
        data = b""
        while not data.endswith(b"\r\n") or data.count(b"\r\n") < 4:
            data += s.recv(4096)
        return int(data.split(b"\r\n")[3][1:])


def publish(server, n, pipeline, payload, clients=50):
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-c", str(clients), "-n", str(n),
                          "-P", str(pipeline), "--csv", "PUBLISH", CHANNEL, payload],
                         capture_output=True, text=True, check=True, preexec_fn=pin_client).stdout
    rows = [l for l in out.splitlines() if l.startswith('"') and not l.startswith('"test"')]
    fields = [x.strip('"') for x in rows[-1].split(",")]
    return {"rps": float(fields[1]), "p50": float(fields[4]), "p99": float(fields[6])}


def one_run(name, argv, args, pipeline, slow):
    payload = "x" * args.payload
    server = Server(name, argv + ["--logfile", "server.log"])   # relative to the server's temporary dir
    drainer = None
    slow_sock = None
    try:
        drainer = Drainer(server.port, args.subscribers, args.payload)
        warm = max(args.requests // 10, 10_000)
        publish(server, warm, pipeline, payload)
        w = drainer.expect(warm)
        if w["timed_out"] or not w["frames_ok"]:
            print(f"    {name}: warm-up delivery incomplete: {w['messages']}", file=sys.stderr)
        if slow:
            slow_sock = subscriber(server.port, "slow", CHANNEL.encode())   # never read again
        time.sleep(0.2)
        rss0 = server.rss()
        monitor = Monitor(server)
        cpu0, gen0, drain0 = server.cpu_seconds(), children_cpu_seconds(), proc_cpu_seconds(drainer.proc.pid)
        t0 = time.monotonic()
        monitor.start()
        bench = publish(server, args.requests, pipeline, payload)
        t1 = time.monotonic()
        gen = children_cpu_seconds() - gen0
        d = drainer.expect(args.requests)
        cpu = server.cpu_seconds() - cpu0
        drain_cpu = proc_cpu_seconds(drainer.proc.pid) - drain0
        monitor.finish()
        numsub = numsub_of(server.port)
        with open(os.path.join(server.dir, "server.log"), errors="replace") as f:
            limit_lines = [l.strip() for l in f if "output buffer limit" in l]
        time.sleep(0.5)
        rss_after = server.rss()
        delivered = sum(d["messages"])
        expected = args.requests * args.subscribers
        end = d["last"] if d["last"] else t1
        window = end - d["first"] if d["first"] and end > d["first"] else t1 - t0
        result = dict(bench)
        result.update({
            "delivered_per_s": delivered / window,
            "delivered_frac": delivered / expected,
            "drain_lag_ms": max(0.0, end - t1) * 1000,
            "cpu_us": cpu * 1e6 / args.requests,
            "cpu_ns_msg": cpu * 1e9 / max(delivered, 1),
            "gen_cpu_us": gen * 1e6 / args.requests,
            "drain_cpu_us": drain_cpu * 1e6 / args.requests,
            "rss0_mb": rss0 / 2**20,
            "rss_peak_mb": monitor.peak_rss / 2**20,
            "rss_growth_mb": (monitor.peak_rss - rss0) / 2**20,
            "rss_after_mb": rss_after / 2**20,
        })
        detail = {"messages": d["messages"], "frames_ok": d["frames_ok"], "closed": d["closed"],
                  "timed_out": d["timed_out"], "alive": server.proc.poll() is None,
                  "numsub_after": numsub, "limit_log": limit_lines}
        if slow:
            result["slow_peak_omem_mb"] = monitor.slow_peak_omem / 2**20
            result["slow_cut_s"] = (monitor.slow_gone_at - t0) if monitor.slow_gone_at else float("nan")
            result["slow_cut_runs"] = 1 if monitor.slow_gone_at else 0
            detail["slow_disconnected"] = monitor.slow_gone_at is not None
            detail["slow_listed_after"] = not detail["slow_disconnected"]
        return result, detail
    finally:
        if slow_sock:
            slow_sock.close()
        if drainer:
            drainer.stop()
        server.stop()


def median(values):
    """Median of the values that are numbers (NaN: did not happen in that run)."""
    values = [x for x in values if x == x]
    return statistics.median(values) if values else float("nan")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--drain":
        port, channel, count, payload_len = sys.argv[2:6]
        drain_main(int(port), channel, int(count), int(payload_len))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--swiftlet", default=os.path.join(ROOT, ".build/release/swiftlet-server"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--requests", type=int, default=2_000_000, help="PUBLISH commands per run")
    ap.add_argument("--pipeline", type=int, nargs="*", default=[16])
    ap.add_argument("--subscribers", type=int, default=10)
    ap.add_argument("--payload", type=int, default=16, help="message size in bytes")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-slow", action="store_true", help="skip the slow-subscriber scenario")
    ap.add_argument("--json", action="store_true", help="also write Benchmarks/results/pubsub.json (report.py reads it)")
    args = ap.parse_args()
    if args.quick:
        args.requests = 1_000_000
    frame = len(message_frame(CHANNEL.encode(), b"x" * args.payload))
    if not args.no_slow and args.requests * frame < 40 * 2**20:
        print(f"note: {args.requests} messages of {frame} B stay under the 32 MB pubsub limit; "
              "the slow subscriber will not be disconnected", file=sys.stderr)
    args.swiftlet = os.path.abspath(args.swiftlet)   # servers run in a temporary directory
    if not os.path.exists(args.swiftlet):
        subprocess.run(["swift", "build", "-c", "release", "--product", "swiftlet-server"], cwd=ROOT, check=True)
    binaries = [("redis", [args.redis]), ("swiftlet", [args.swiftlet])]
    version = subprocess.run([args.redis, "--version"], capture_output=True, text=True).stdout.strip()
    scenarios = [(p, slow) for p in args.pipeline for slow in ([False] if args.no_slow else [False, True])]
    samples = {(sc, name): [] for sc in scenarios for name, _ in binaries}
    problems = []
    for rep in range(args.repeat):
        for sc in scenarios:
            for name, argv in binaries:   # interleaved, so drift hits both
                r, detail = one_run(name, argv, args, *sc)
                samples[(sc, name)].append(r)
                label = f"P{sc[0]}{' +slow' if sc[1] else ''}"
                extra = ""
                if sc[1]:
                    extra = f", slow omem peak {r['slow_peak_omem_mb']:.1f} MB, cut at {r['slow_cut_s']:.2f} s"
                print(f"  [{rep + 1}/{args.repeat}] {label} {name}: {r['rps']:,.0f} publish/s, "
                      f"{r['delivered_per_s']:,.0f} delivered/s ({r['delivered_frac']:.4f} of expected), "
                      f"{r['cpu_us']:.2f} us CPU/publish, RSS peak {r['rss_peak_mb']:.1f} MB{extra}", file=sys.stderr)
                bad = (detail["timed_out"] or not detail["frames_ok"] or any(detail["closed"]) or not detail["alive"]
                       or detail["numsub_after"] != args.subscribers
                       or (sc[1] and not detail["slow_disconnected"])
                       or len(detail["limit_log"]) != (1 if sc[1] else 0))
                if bad:
                    problems.append(f"{label} {name} run {rep + 1}: {json.dumps(detail)}")
                    print(f"    PROBLEM: {problems[-1]}", file=sys.stderr)

    rows = []
    med = {}
    for sc in scenarios:
        label = f"P{sc[0]} 10 subs{' + slow' if sc[1] else ''}"
        for name, _ in binaries:
            v = samples[(sc, name)]
            med[(sc, name)] = {k: median([x[k] for x in v]) for k in v[0]}
            if sc[1]:
                med[(sc, name)]["slow_cut_runs"] = sum(x["slow_cut_runs"] for x in v)
        r, w = med[(sc, "redis")], med[(sc, "swiftlet")]
        keys = [("rps", "PUBLISH req/s"), ("p50", "p50 ms"), ("p99", "p99 ms"),
                ("delivered_per_s", "delivered msg/s"), ("delivered_frac", "delivered / expected"),
                ("drain_lag_ms", "drain after last reply ms"), ("cpu_us", "server CPU us/publish"),
                ("cpu_ns_msg", "server CPU ns/delivered msg"), ("gen_cpu_us", "redis-benchmark CPU us/publish"),
                ("drain_cpu_us", "drainer CPU us/publish"), ("rss_growth_mb", "RSS growth during run MB"),
                ("rss_peak_mb", "RSS peak MB"),
                ("rss_after_mb", "RSS after MB")]
        if sc[1]:
            keys += [("slow_peak_omem_mb", "slow sub omem peak MB (CLIENT LIST)"),
                     ("slow_cut_runs", f"slow sub disconnected (runs of {args.repeat})"),
                     ("slow_cut_s", "slow sub gone from CLIENT LIST after s")]
        for k, text in keys:
            rows.append((f"{label} {text}", r[k], w[k], w[k] / r[k] if r[k] else float("nan")))
    for p in args.pipeline:
        if not args.no_slow:
            r, w = (med[((p, True), n)]["rps"] / med[((p, False), n)]["rps"] for n in ("redis", "swiftlet"))
            rows.append((f"P{p} req/s with slow / without", r, w, w / r))
    header = (f"PUBLISH fan-out benchmark {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, {version}; "
              f"{args.subscribers} subscribers on one channel, {args.payload}-byte payload, redis-benchmark -c 50, "
              f"{args.requests:,} PUBLISH per run, medians of {args.repeat} interleaved runs, fresh server per run\n\n")
    table = "| workload | redis | swiftlet | swiftlet/redis |\n|---|---:|---:|---:|\n"
    for label, r, w, ratio in rows:
        table += f"| {label} | {r:,.3f} | {w:,.3f} | {ratio:.2f} |\n"
    text = header + table
    if problems:
        text += "\nProblems seen:\n\n" + "".join(f"- {p}\n" for p in problems)
    print(text)
    os.makedirs(os.path.join(ROOT, "Benchmarks/results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks/results/pubsub.md"), "w") as f:
        f.write(text)
    if args.json:
        with open(os.path.join(ROOT, "Benchmarks/results/pubsub.json"), "w") as f:
            json.dump({"rows": [{"label": l, "redis": r, "swiftlet": w, "ratio": q} for l, r, w, q in rows],
                       "problems": problems}, f, indent=1)


if __name__ == "__main__":
    main()
