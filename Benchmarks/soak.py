#!/usr/bin/env python3
"""Soak test: a long mixed workload against swiftlet-server and redis-server.

    python3 Benchmarks/soak.py                          # both servers, 10 minutes each
    python3 Benchmarks/soak.py --minutes 30 --servers swiftlet
    python3 Benchmarks/soak.py --swiftlet /path/to/swiftlet-server --maxmemory 64mb
    python3 Benchmarks/soak.py --leak-check             # Swiftlet under valgrind, 1 minute

The question it answers: under hours of realistic, mixed traffic, does the
server's memory level off, and does anything go wrong (error replies, refused
or reset connections, lost pub/sub messages, crashes)? Throughput is reported
but is not the point; compare.py and pubsub.py measure that properly.

Each server runs alone (one after the other), started by this script on a
free port with
    --port P --bind 127.0.0.1 --save "" --appendonly no
    --maxmemory <maxmemory> --maxmemory-policy allkeys-lru
in a temporary directory (its stdout is the log, searched afterwards for
output-buffer-limit disconnects and warnings). All of these run at once for
the whole duration:

  redis-benchmark  -c 20 -P 8 -d 100 -r 2000000 -t set,get, restarted in a loop
                   (it exits at its first error reply; each such exit counts).
  keyspace         Python clients pipelining SET EX 1..30 / SET / GET / DEL /
                   UNLINK / EXPIRE on ~300k keys of 64..2048 bytes, so lazy and
                   active expiry, deletes and eviction all happen (key space x
                   value size is several times maxmemory). GET replies are
                   checked against the key they were asked for.
  pub/sub          two SUBSCRIBErs and one PSUBSCRIBEr reading continuously,
                   a publisher at a steady rate with sequence-numbered payloads
                   (gaps and reordering are counted), and a subscriber that
                   never reads, fed by a flood channel: the server should
                   disconnect it at client-output-buffer-limit pubsub
                   (32mb hard / 8mb for 60 s). When it is gone a new one is
                   started, so the disconnect path is exercised repeatedly.
  churn            connect, PING / SET EX / GET / CLIENT SETNAME, close, ~100
                   times a second; every tenth connection instead sends half a
                   RESP frame and closes (FIN or RST), and some close without
                   reading their replies.
  sampler          every 5 s: VmRSS from /proc/<pid>/status and INFO
                   (used_memory, mem_clients_normal, connected_clients,
                   evicted_keys, expired_keys, total_commands_processed) over
                   its own connection.

Errors: every error reply counts (none is expected; -OOM cannot happen under
allkeys-lru), as do wrong replies. Connection failures (refused, reset, closed,
timed out) of the normal clients are counted separately; there should be none.

"Levels off": the max RSS of the last third of the run against the max RSS of
the middle third; under 5% growth passes. The numbers are printed too. Runs of
a few minutes are dominated by the warm-up (maxmemory fills in the first
~15 s, then each never-reading subscriber adds up to 32 MB for ~20 s, so RSS
is a sawtooth); take the verdict seriously from ~10 minutes on.

--leak-check runs only Swiftlet, under valgrind --leak-check=full, with a much
lighter workload (valgrind is ~30x slower) and --maxmemory 16mb by default (so
eviction still happens in a minute) and client-output-buffer-limit
"pubsub 4mb 2mb 10" set with CONFIG SET (so the slow-subscriber disconnect runs
several times), then closes every client, sends FLUSHALL SYNC (Swiftlet's key table holds tagged entry pointers, which
valgrind cannot follow, so live entries would show up as lost) and
SHUTDOWN NOSAVE, and reports valgrind's LEAK SUMMARY.

The report goes to stdout and, as Markdown, to --out (default
Benchmarks/results/soak.md, or soak-leakcheck.md with --leak-check). The exit
status is 0 even when problems are found: this is a benchmark, not a test;
problems are listed under "Problems". Every process started here is killed on
exit, Ctrl-C (which ends the current run early and still reports) or SIGTERM.

Standard library only.
"""
import argparse
import collections
import dataclasses
import datetime
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SWIFTLET = os.path.join(ROOT, ".build", "release", "swiftlet-server")
SAMPLE_INTERVAL = 5.0
MAIN_CHANNEL = "soak:chan"
PATTERN = "soak:ch*"          # matches MAIN_CHANNEL, not FLOOD_CHANNEL
FLOOD_CHANNEL = "flood:slow"  # only the never-reading subscriber listens here


# --------------------------------------------------------------------------
# Workload profiles
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Profile:
    """How hard each part of the workload pushes. Two exist: the normal soak,
    and a light one for valgrind, where the server is ~30x slower and a normal
    load would only measure timeouts."""
    bench_args: list          # redis-benchmark arguments after -p P
    bench_pause: float        # seconds between redis-benchmark runs
    keyspace_clients: int
    keyspace_rate: float      # commands/s per keyspace client
    keyspace_keys: int
    keyspace_batch: int       # commands per pipelined batch
    value_min: int
    value_max: int
    publish_rate: float       # PUBLISH/s on MAIN_CHANNEL
    publish_size: int
    flood_rate: float         # PUBLISH/s on FLOOD_CHANNEL
    flood_size: int
    churn_rate: float         # connections/s
    timeout: float            # socket timeout of the normal clients
    ready_timeout: float      # how long the server may take to answer PING
    drain_timeout: float      # how long subscribers may take to catch up at the end
    pubsub_limit: str = None  # CONFIG SET client-output-buffer-limit after start (None: the default)


NORMAL = Profile(
    bench_args=["-c", "20", "-n", "2000000", "-r", "2000000", "-d", "100", "-P", "8",
                "-t", "set,get", "-q"],
    bench_pause=0.0, keyspace_clients=2, keyspace_rate=2500, keyspace_keys=300_000,
    keyspace_batch=50, value_min=64, value_max=2048, publish_rate=1000, publish_size=100,
    flood_rate=200, flood_size=8192, churn_rate=100, timeout=10, ready_timeout=30,
    drain_timeout=10)

LEAK = Profile(
    bench_args=["-c", "4", "-n", "20000", "-r", "200000", "-d", "1000", "-P", "4",
                "-t", "set,get", "-q"],
    bench_pause=2.0, keyspace_clients=1, keyspace_rate=300, keyspace_keys=50_000,
    keyspace_batch=10, value_min=64, value_max=2048, publish_rate=50, publish_size=100,
    flood_rate=25, flood_size=65536, churn_rate=5, timeout=60, ready_timeout=120,
    drain_timeout=30,
    # Under valgrind the flood is too slow to reach the default 32mb hard
    # limit within a minute; a small limit runs the disconnect path (a likely
    # place for a leak) several times.
    pubsub_limit="pubsub 4mb 2mb 10")


# --------------------------------------------------------------------------
# Child processes: registered so that every exit path kills them
# --------------------------------------------------------------------------

_children = []
_children_lock = threading.Lock()


def spawn(argv, **kwargs):
    """Popen in its own session (so Ctrl-C reaches only this script, which then
    decides the order of shutdown), remembered for cleanup_children()."""
    proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    with _children_lock:
        _children[:] = [c for c in _children if c.poll() is None]   # redis-benchmark restarts add up
        _children.append(proc)
    return proc


def terminate(proc, grace=5.0):
    """SIGTERM, then SIGKILL after `grace` seconds; only ever the process (and
    its own process group) that this script started."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def cleanup_children():
    with _children_lock:
        children = list(_children)
    for proc in children:
        terminate(proc, grace=3.0)


def install_signal_handlers():
    """SIGTERM/SIGHUP behave like Ctrl-C, so the same finally blocks run.
    SIGINT is set explicitly: a shell starting this in the background (`&`
    without job control) leaves it ignored, and Python then keeps it so."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


# --------------------------------------------------------------------------
# RESP
# --------------------------------------------------------------------------

class RespError(str):
    """An error reply (kept apart from simple strings so it cannot pass as one)."""


class ConnectionClosed(ConnectionError):
    """The server closed the connection (recv returned nothing)."""


class Incomplete(Exception):
    pass


def encode(*parts):
    """One command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        if isinstance(p, int):
            p = str(p).encode()
        elif isinstance(p, str):
            p = p.encode()
        out.append(b"$%d\r\n" % len(p))
        out.append(p)
        out.append(b"\r\n")
    return b"".join(out)


def parse(buf, pos):
    """One RESP2 reply starting at buf[pos]: (value, next position).
    Raises Incomplete when more bytes are needed."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete
    kind, line, nxt = buf[pos], bytes(buf[pos + 1:end]), end + 2
    if kind == 0x2B:   # +
        return line.decode(), nxt
    if kind == 0x2D:   # -
        return RespError(line.decode(errors="replace")), nxt
    if kind == 0x3A:   # :
        return int(line), nxt
    if kind == 0x24:   # $
        n = int(line)
        if n < 0:
            return None, nxt
        if len(buf) < nxt + n + 2:
            raise Incomplete
        return bytes(buf[nxt:nxt + n]), nxt + n + 2
    if kind in (0x2A, 0x3E):   # * and > (push)
        n = int(line)
        if n < 0:
            return None, nxt
        items = []
        for _ in range(n):
            item, nxt = parse(buf, nxt)
            items.append(item)
        return items, nxt
    raise ValueError(f"bad RESP type byte {kind!r} in {bytes(buf[pos:pos + 40])!r}")


class RespConnection:
    """A blocking client connection. Reads are resumable: a socket timeout in
    the middle of a reply leaves the partial bytes buffered."""

    def __init__(self, port, timeout=10.0, rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(timeout)
            sock.connect(("127.0.0.1", port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def settimeout(self, seconds):
        self.sock.settimeout(seconds)

    def send(self, *commands):
        self.sock.sendall(b"".join(encode(*c) for c in commands))

    def call(self, *parts):
        self.send(parts)
        return self.read()

    def read(self):
        while True:
            if self.pos < len(self.buf):
                try:
                    value, self.pos = parse(self.buf, self.pos)
                except Incomplete:
                    pass
                else:
                    if self.pos >= 1 << 16:
                        del self.buf[:self.pos]
                        self.pos = 0
                    return value
            chunk = self.sock.recv(1 << 18)
            if not chunk:
                raise ConnectionClosed("server closed the connection")
            self.buf += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_info(text):
    """INFO's "field:value" lines as a dict of strings."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    return fields


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# Shared state of one run
# --------------------------------------------------------------------------

class Stats:
    """Thread-safe counters: errors by kind (with one example each),
    connection failures by client and kind, and plain counts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.errors = collections.Counter()
        self.examples = {}
        self.conn_failures = collections.Counter()
        self.counts = collections.Counter()

    def error(self, kind, example=""):
        with self.lock:
            self.errors[kind] += 1
            self.examples.setdefault(kind, example)

    def reply_error(self, command, reply):
        """An error reply: its kind is its first word (ERR, OOM, ...) and the command."""
        word = reply.split(" ", 1)[0] or "?"
        self.error(f"-{word} reply to {command}", str(reply)[:200])

    def conn_failure(self, client, exc):
        kind = type(exc).__name__
        with self.lock:
            self.conn_failures[f"{client}: {kind}"] += 1
            self.examples.setdefault(f"{client}: {kind}", str(exc)[:200])

    def add(self, name, n=1):
        with self.lock:
            self.counts[name] += n


def check_reply(stats, command, reply, ok):
    """Records an error reply, or a reply that is not what `command` must return."""
    if isinstance(reply, RespError):
        stats.reply_error(command, reply)
    elif not ok:
        stats.error(f"unexpected reply to {command}", repr(reply)[:200])


class Context:
    """What every worker of one run shares."""

    def __init__(self, port, profile, redis_benchmark, tmpdir):
        self.port = port
        self.profile = profile
        self.redis_benchmark = redis_benchmark
        self.tmpdir = tmpdir
        self.stats = Stats()
        self.stop = threading.Event()       # producers stop
        self.sub_stop = threading.Event()   # reading subscribers stop (after draining)
        self.server_exit = None             # exit code if the server died during the run


class Pacer:
    """Keeps a loop at `rate` operations per second. Falling far behind (the
    machine is busy) does not cause a catch-up burst."""

    def __init__(self, rate):
        self.rate = rate
        self.start = time.monotonic()
        self.done = 0

    def wait(self, n, stop):
        self.done += n
        ahead = self.done / self.rate - (time.monotonic() - self.start)
        if ahead > 0:
            stop.wait(ahead)
        elif ahead < -1.0:
            self.start, self.done = time.monotonic(), 0


# --------------------------------------------------------------------------
# Workers
# --------------------------------------------------------------------------

class Worker(threading.Thread):
    """A thread that runs session() until told to stop. A session that fails
    with a connection error counts as a connection failure, and after half a
    second a new session starts (so one reset does not end the soak)."""

    label = "worker"

    def __init__(self, ctx, label=None):
        super().__init__(daemon=True)
        self.ctx = ctx
        self.stats = ctx.stats
        self.p = ctx.profile
        if label:
            self.label = label
        self.name = f"soak-{self.label}"

    @property
    def stop_event(self):
        return self.ctx.stop

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.session()
            except OSError as exc:   # refused, reset, closed, timed out, broken pipe
                if self.stop_event.is_set():
                    break
                self.stats.conn_failure(self.label, exc)
                self.stop_event.wait(0.5)
            except Exception as exc:
                self.stats.error(f"{self.label} crashed: {type(exc).__name__}",
                                 "".join(traceback.format_exception_only(type(exc), exc)).strip())
                self.stop_event.wait(1.0)

    def session(self):
        raise NotImplementedError


class BenchmarkLoop(Worker):
    """redis-benchmark SET/GET, restarted whenever it finishes. Its output goes
    to files (a pipe nobody reads would block it). It exits at the first error
    reply, so every "Error from server" is one error."""

    label = "redis-benchmark"

    def session(self):
        out_path = os.path.join(self.ctx.tmpdir, "bench.out")
        argv = [self.ctx.redis_benchmark, "-p", str(self.ctx.port)] + self.p.bench_args
        with open(out_path, "wb") as out:
            proc = spawn(argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.ctx.tmpdir)
            while proc.poll() is None and not self.stop_event.is_set():
                self.stop_event.wait(0.5)
            stopped = proc.poll() is None
            terminate(proc)
        with open(out_path, "rb") as f:
            text = f.read().decode(errors="replace")
        self.account(text, proc.returncode, stopped)
        self.stop_event.wait(self.p.bench_pause)

    def account(self, text, returncode, stopped):
        explained = False   # an error line already accounts for a non-zero exit
        for line in re.split(r"[\r\n]+", text):
            if "Error from server" in line:
                reply = RespError(line.split(":", 1)[-1].strip())
                self.stats.reply_error("redis-benchmark", reply)
                explained = True
            elif "Could not connect" in line or line.startswith("Error:"):
                self.stats.conn_failure(self.label, ConnectionError(line.strip()))
                explained = True
        for test, rps in re.findall(r"\b(SET|GET): ([\d.]+) requests per second", text):
            self.stats.add(f"bench_{test.lower()}_rps_sum", float(rps))
            self.stats.add(f"bench_{test.lower()}_runs")
        if stopped:
            return
        self.stats.add("bench_runs")
        if returncode != 0 and not explained:
            last = [l for l in re.split(r"[\r\n]+", text) if l.strip()][-1:]
            self.stats.error(f"redis-benchmark exited with status {returncode}", "".join(last)[:300])


class KeyspaceClient(Worker):
    """SET with and without TTL, GET, DEL, UNLINK, EXPIRE on random keys, in
    pipelined batches at a steady rate. Values start with their key, so a GET
    that returns another key's value is caught."""

    label = "keyspace"

    def __init__(self, ctx, label, seed):
        super().__init__(ctx, label)
        self.rng = random.Random(seed)
        self.padding = b"v" * ctx.profile.value_max

    def command(self):
        """A random command and the check of its reply."""
        rng, p = self.rng, self.p
        key = b"soak:key:%d" % rng.randrange(p.keyspace_keys)
        r = rng.random()
        if r < 0.45:
            value = key + b"|" + self.padding[:rng.randint(p.value_min, p.value_max)]
            if r < 0.35:
                return ("SET", key, value, "EX", rng.randint(1, 30)), "SET EX", lambda v: v == "OK"
            return ("SET", key, value), "SET", lambda v: v == "OK"
        if r < 0.75:
            prefix = key + b"|"
            return ("GET", key), "GET", lambda v: v is None or (isinstance(v, bytes) and v.startswith(prefix))
        if r < 0.83:
            return ("DEL", key), "DEL", lambda v: v in (0, 1)
        if r < 0.90:
            return ("UNLINK", key), "UNLINK", lambda v: v in (0, 1)
        return ("EXPIRE", key, rng.randint(1, 30)), "EXPIRE", lambda v: v in (0, 1)

    def session(self):
        conn = RespConnection(self.ctx.port, self.p.timeout)
        try:
            pacer = Pacer(self.p.keyspace_rate)
            while not self.stop_event.is_set():
                batch = [self.command() for _ in range(self.p.keyspace_batch)]
                conn.send(*(cmd for cmd, _, _ in batch))
                for _, name, ok in batch:
                    reply = conn.read()
                    check_reply(self.stats, name, reply, isinstance(reply, RespError) or ok(reply))
                self.stats.add("keyspace_commands", len(batch))
                pacer.wait(len(batch), self.stop_event)
        finally:
            conn.close()


class Subscriber(Worker):
    """Reads MAIN_CHANNEL (SUBSCRIBE) or PATTERN (PSUBSCRIBE) continuously and
    checks that the payload sequence numbers arrive in order without gaps.
    Keeps reading after the producers stop, until told the publisher's last
    message has arrived (or the drain timeout passed)."""

    def __init__(self, ctx, label, pattern=False):
        super().__init__(ctx, label)
        self.pattern = pattern
        self.ready = threading.Event()
        self.received = 0
        self.last_seq = None
        self.missing = 0

    @property
    def stop_event(self):
        return self.ctx.sub_stop

    def session(self):
        conn = RespConnection(self.ctx.port, self.p.timeout)
        try:
            conn.send(("CLIENT", "SETNAME", self.label),
                      ("PSUBSCRIBE", PATTERN) if self.pattern else ("SUBSCRIBE", MAIN_CHANNEL))
            check_reply(self.stats, "CLIENT SETNAME", conn.read(), True)
            confirmation = conn.read()
            check_reply(self.stats, "SUBSCRIBE", confirmation,
                        isinstance(confirmation, list) and len(confirmation) == 3)
            self.ready.set()
            conn.settimeout(1.0)   # wake up now and then to notice sub_stop
            while not self.stop_event.is_set():
                try:
                    frame = conn.read()
                except (socket.timeout, TimeoutError):
                    continue
                self.on_frame(frame)
        finally:
            conn.close()

    def on_frame(self, frame):
        if isinstance(frame, RespError):
            self.stats.reply_error("subscriber", frame)
            return
        kind = frame[0] if isinstance(frame, list) and frame else None
        if kind == b"message" and len(frame) == 3:
            payload = frame[2]
        elif kind == b"pmessage" and len(frame) == 4:
            payload = frame[3]
        else:
            self.stats.error("unexpected frame on a subscriber", repr(frame)[:200])
            return
        seq = int(payload.split(b"|", 1)[0])
        self.received += 1
        if self.last_seq is not None:
            if seq > self.last_seq + 1:
                self.missing += seq - self.last_seq - 1
                self.stats.error("pub/sub gap (messages lost)", f"{self.label}: {self.last_seq} -> {seq}")
            elif seq <= self.last_seq:
                self.stats.error("pub/sub message out of order or repeated",
                                 f"{self.label}: {self.last_seq} -> {seq}")
        elif seq != 0:
            self.missing += seq
            self.stats.error("pub/sub first messages lost", f"{self.label}: first seq {seq}")
        self.last_seq = seq if self.last_seq is None else max(seq, self.last_seq)


class Publisher(Worker):
    """PUBLISH at a steady rate, in small pipelined batches. On MAIN_CHANNEL
    the payload starts with a sequence number; the flood channel just carries
    bulk for the never-reading subscriber."""

    def __init__(self, ctx, label, channel, rate, size, wait_for=()):
        super().__init__(ctx, label)
        self.channel, self.rate, self.size = channel, rate, size
        self.wait_for = wait_for
        self.next_seq = 0
        self.padding = b"p" * size

    def session(self):
        for sub in self.wait_for:   # messages before a SUBSCRIBE would count as lost
            if not sub.ready.wait(self.p.ready_timeout):
                self.stats.error("subscriber not ready in time", sub.label)
        conn = RespConnection(self.ctx.port, self.p.timeout)
        try:
            pacer = Pacer(self.rate)
            batch = max(1, int(self.rate / 100))
            while not self.stop_event.is_set():
                first = self.next_seq
                payloads = [(b"%d|" % (first + i) + self.padding)[:max(self.size, 12)] for i in range(batch)]
                conn.send(*(("PUBLISH", self.channel, pl) for pl in payloads))
                for _ in payloads:
                    reply = conn.read()
                    check_reply(self.stats, "PUBLISH", reply, isinstance(reply, int) and reply >= 0)
                self.next_seq += batch
                self.stats.add(f"published {self.channel}", batch)
                pacer.wait(batch, self.stop_event)
        finally:
            conn.close()


class SlowSubscriber(Worker):
    """SUBSCRIBEs (to MAIN_CHANNEL and the flood channel) with a tiny receive
    buffer and then never reads. Its server-side output buffer grows until the
    server disconnects it at the pubsub output buffer limit; it watches that
    with CLIENT LIST ID over another connection, then starts over."""

    label = "slow-subscriber"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.ready = threading.Event()
        self.max_omem = 0
        self.lifetimes = []   # seconds from SUBSCRIBE to disconnect

    def session(self):
        sub = RespConnection(self.ctx.port, self.p.timeout, rcvbuf=4096)
        admin = None
        try:
            client_id = sub.call("CLIENT", "ID")
            check_reply(self.stats, "CLIENT ID", client_id, isinstance(client_id, int))
            check_reply(self.stats, "CLIENT SETNAME", sub.call("CLIENT", "SETNAME", "soak-slow"), True)
            sub.send(("SUBSCRIBE", MAIN_CHANNEL, FLOOD_CHANNEL))
            sub.read(), sub.read()   # the two confirmations; nothing is read after this
            since = time.monotonic()
            self.stats.add("slow subscribers started")
            self.ready.set()
            admin = RespConnection(self.ctx.port, self.p.timeout)
            while not self.stop_event.wait(1.0):
                line = admin.call("CLIENT", "LIST", "ID", client_id)
                if isinstance(line, RespError):
                    self.stats.reply_error("CLIENT LIST ID", line)
                    continue
                if not line or not line.strip():
                    self.lifetimes.append(time.monotonic() - since)
                    self.stats.add("slow subscribers disconnected")
                    break
                m = re.search(rb"\bomem=(\d+)", line)
                if m:
                    self.max_omem = max(self.max_omem, int(m.group(1)))
        finally:
            sub.close()
            if admin:
                admin.close()
        self.stop_event.wait(2.0)


class Churn(Worker):
    """Short-lived connections at a steady rate. Most do PING, SET EX, GET,
    CLIENT SETNAME and check the replies; every tenth sends half a RESP frame
    and closes (alternately FIN and RST); every tenth, offset by five, sends
    its commands and closes without reading the replies."""

    label = "churn"
    HALF_FRAME = b"*3\r\n$3\r\nSET\r\n$10\r\nchurn:half\r\n$100\r\nonly-part-of-the-value"

    def session(self):
        pacer = Pacer(self.p.churn_rate)
        i = 0
        while not self.stop_event.is_set():
            i += 1
            if i % 10 == 0:
                self.half_frame(rst=(i % 20 == 0))
            elif i % 10 == 5:
                self.unread(i)
            else:
                self.normal(i)
            pacer.wait(1, self.stop_event)

    def normal(self, i):
        conn = RespConnection(self.ctx.port, self.p.timeout)
        try:
            key, value = f"churn:{i % 1000}", f"value-{i}"
            conn.send(("PING",), ("SET", key, value, "EX", 5), ("GET", key),
                      ("CLIENT", "SETNAME", f"churn-{i}"))
            for name, ok in (("PING", lambda v: v == "PONG"), ("SET", lambda v: v == "OK"),
                             ("GET", lambda v: v == value.encode()), ("CLIENT SETNAME", lambda v: v == "OK")):
                reply = conn.read()
                if name == "GET" and reply is None:
                    # Not an error reply, but the key was just SET: only an
                    # eviction of the newest key explains it. Counted, shown.
                    self.stats.add("churn connections (GET nil right after SET)")
                    continue
                check_reply(self.stats, f"churn {name}", reply, isinstance(reply, RespError) or ok(reply))
            self.stats.add("churn connections (full)")
        finally:
            conn.close()

    def half_frame(self, rst):
        conn = RespConnection(self.ctx.port, self.p.timeout)
        try:
            conn.sock.sendall(self.HALF_FRAME)
            if rst:
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.stats.add("churn connections (half frame, RST)" if rst else "churn connections (half frame, FIN)")
        finally:
            conn.close()

    def unread(self, i):
        conn = RespConnection(self.ctx.port, self.p.timeout)
        try:
            conn.send(("PING",), ("SET", f"churn:{i % 1000}", "x", "EX", 5), ("GET", "churn:0"))
            self.stats.add("churn connections (replies unread)")
        finally:
            conn.close()


@dataclasses.dataclass
class Sample:
    t: float
    rss_kb: int
    used_memory: int = None
    clients: int = None
    evicted: int = None
    expired: int = None
    commands: int = None
    client_buffers: int = None   # mem_clients_normal: mostly the never-reading subscriber's output


def read_rss_kb(pid):
    """VmRSS of a process in kB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """Every SAMPLE_INTERVAL seconds, RSS and INFO over its own connection; one
    last sample when finish() is called, while the workload is still running
    (so the end figures are not those of a half torn-down run). Notices a
    dead server and stops the run."""

    def __init__(self, ctx, server, t0):
        super().__init__(daemon=True, name="soak-sampler")
        self.ctx, self.server, self.t0 = ctx, server, t0
        self.done = threading.Event()
        self.samples = []
        self.conn = None
        self.progress_every = 30.0
        self.last_progress = 0.0

    def take(self):
        t = time.monotonic() - self.t0
        sample = Sample(t, read_rss_kb(self.server.pid))
        try:
            if self.conn is None:
                self.conn = RespConnection(self.ctx.port, self.ctx.profile.timeout)
            info = self.conn.call("INFO")
            if isinstance(info, RespError):
                self.ctx.stats.reply_error("INFO", info)
            else:
                f = parse_info(info)
                sample.used_memory = int(f.get("used_memory", 0))
                sample.clients = int(f.get("connected_clients", 0))
                sample.evicted = int(f.get("evicted_keys", 0))
                sample.expired = int(f.get("expired_keys", 0))
                sample.commands = int(f.get("total_commands_processed", 0))
                sample.client_buffers = int(f.get("mem_clients_normal", 0))
        except OSError as exc:
            if self.server.proc.poll() is None:
                self.ctx.stats.conn_failure("monitor", exc)
            if self.conn:
                self.conn.close()
            self.conn = None
        self.samples.append(sample)
        return sample

    def run(self):
        while True:
            sample = self.take()
            self.report_progress(sample)
            code = self.server.proc.poll()
            if code is not None:
                self.ctx.server_exit = code   # reported as a problem of its own
                self.ctx.stop.set()
                break
            if self.done.wait(SAMPLE_INTERVAL):
                self.take()
                break
        if self.conn:
            self.conn.close()

    def finish(self):
        self.done.set()
        self.join(self.ctx.profile.timeout + 5)

    def report_progress(self, sample):
        if sample.t - self.last_progress < self.progress_every or sample.t < 1:
            return
        self.last_progress = sample.t
        prev = self.samples[-2] if len(self.samples) > 1 else None
        rate = ""
        if prev and prev.commands is not None and sample.commands is not None and sample.t > prev.t:
            rate = f" cmds/s={(sample.commands - prev.commands) / (sample.t - prev.t):,.0f}"
        errors = sum(self.ctx.stats.errors.values())
        fails = sum(self.ctx.stats.conn_failures.values())
        print(f"  [{self.server.name}] {sample.t / 60:5.1f} min  rss={fmt_kb(sample.rss_kb)} "
              f"used_memory={fmt_bytes(sample.used_memory)} clients={sample.clients}{rate} "
              f"errors={errors} conn_failures={fails}", flush=True)


# --------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------

class ServerProcess:
    """One server started by this script, optionally under valgrind."""

    def __init__(self, name, binary, maxmemory, tmpdir, valgrind_log=None, valgrind="valgrind"):
        self.name, self.binary, self.tmpdir = name, binary, tmpdir
        self.port = free_port()
        self.log_path = os.path.join(tmpdir, "server.log")
        self.argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--maxmemory", maxmemory,
                     "--maxmemory-policy", "allkeys-lru"]
        if valgrind_log:
            self.argv = [valgrind, "--leak-check=full", "--errors-for-leak-kinds=definite",
                         "--error-exitcode=0", f"--log-file={valgrind_log}"] + self.argv
        # swiftlet-server runs itself again for huge pages unless GLIBC_TUNABLES
        # is set; under valgrind that second exec would leave valgrind behind.
        self.env = dict(os.environ, GLIBC_TUNABLES="") if valgrind_log else None
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self, ready_timeout):
        """Starts it and waits until it answers PING (raising with the log's
        tail if it exits or does not answer in time)."""
        with open(self.log_path, "wb") as log:
            self.proc = spawn(self.argv, cwd=self.tmpdir, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.proc.returncode} at start:\n"
                                   + self.log_tail())
            try:
                conn = RespConnection(self.port, 5.0)
                try:
                    if conn.call("PING") == "PONG":
                        return
                finally:
                    conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer PING within {ready_timeout:.0f} s:\n" + self.log_tail())

    def config_set(self, name, value):
        conn = RespConnection(self.port, 30.0)
        try:
            reply = conn.call("CONFIG", "SET", name, value)
        finally:
            conn.close()
        if reply != "OK":
            raise RuntimeError(f"CONFIG SET {name} {value!r}: {reply!r}")

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=15):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self):
        if self.proc is not None:
            terminate(self.proc, grace=10.0)


def server_version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


# --------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------

@dataclasses.dataclass
class RunResult:
    name: str
    binary: str
    version: str = ""
    planned_s: float = 0.0
    duration_s: float = 0.0
    samples: list = dataclasses.field(default_factory=list)
    stats: Stats = None
    subscribers: list = dataclasses.field(default_factory=list)   # (label, received, missing)
    published: int = 0
    slow_started: int = 0
    slow_disconnected: int = 0
    slow_lifetimes: list = dataclasses.field(default_factory=list)
    slow_max_omem: int = 0
    limit_log_lines: int = 0
    warnings: list = dataclasses.field(default_factory=list)
    failure: str = ""
    interrupted: bool = False
    server_exit: int = None
    leak: dict = None
    notes: list = dataclasses.field(default_factory=list)
    stop_status: int = None   # non-zero exit status after SIGTERM at the end
    log_tail: str = ""        # end of the server log, when it died or failed to start


def build_workers(ctx):
    """All workload threads of one run, subscribers first."""
    p = ctx.profile
    subs = [Subscriber(ctx, "subscriber-1"), Subscriber(ctx, "subscriber-2"),
            Subscriber(ctx, "psubscriber", pattern=True)]
    slow = SlowSubscriber(ctx)
    publisher = Publisher(ctx, "publisher", MAIN_CHANNEL, p.publish_rate, p.publish_size,
                          wait_for=subs + [slow])
    flood = Publisher(ctx, "flood-publisher", FLOOD_CHANNEL, p.flood_rate, p.flood_size, wait_for=[slow])
    producers = [BenchmarkLoop(ctx), Churn(ctx), slow, publisher, flood]
    producers += [KeyspaceClient(ctx, f"keyspace-{i + 1}", seed=i) for i in range(p.keyspace_clients)]
    return subs, slow, publisher, producers


def wait_for_end(ctx, seconds):
    """Sleeps through the run; returns early if the server died. Ctrl-C
    propagates to the caller, which ends the run early."""
    end = time.monotonic() + seconds
    while not ctx.stop.is_set():   # set by the sampler when the server dies
        left = end - time.monotonic()
        if left <= 0:
            return
        ctx.stop.wait(min(left, 1.0))


def drain_subscribers(ctx, subs, publisher):
    """After the publisher stopped, waits until every reading subscriber has
    its last message (or the drain timeout), then stops them."""
    deadline = time.monotonic() + (ctx.profile.drain_timeout if ctx.server_exit is None else 0)
    last = publisher.next_seq - 1
    while time.monotonic() < deadline and any((s.last_seq or -1) < last for s in subs if s.is_alive()):
        time.sleep(0.1)
    ctx.sub_stop.set()
    for s in subs:
        s.join(ctx.profile.timeout + 5)
    for s in subs:
        tail = max(0, last - (s.last_seq if s.last_seq is not None else -1))
        s.missing += tail
        if tail:
            ctx.stats.error("pub/sub messages not delivered by the end", f"{s.label}: {tail} missing")


def run_one(name, binary, args, profile, valgrind_log=None, valgrind="valgrind"):
    """Starts the server, runs the whole workload for the planned time, stops
    it (or, for the leak check, shuts it down cleanly) and collects results.
    Never raises except for a second Ctrl-C; failures end up in the result."""
    result = RunResult(name, binary, server_version(binary), planned_s=args.minutes * 60)
    tmpdir = tempfile.mkdtemp(prefix="soak-" + re.sub(r"\W+", "-", name).strip("-") + "-")
    server = None
    try:
        server = ServerProcess(name, binary, args.maxmemory, tmpdir, valgrind_log, valgrind)
        print(f"== {name}: {shlex.join(server.argv)}  (cwd {tmpdir})", flush=True)
        server.start(profile.ready_timeout)
        if profile.pubsub_limit:
            server.config_set("client-output-buffer-limit", profile.pubsub_limit)
            result.notes.append(f"CONFIG SET client-output-buffer-limit \"{profile.pubsub_limit}\" after start")
        ctx = Context(server.port, profile, args.redis_benchmark, tmpdir)
        result.stats = ctx.stats
        subs, slow, publisher, producers = build_workers(ctx)
        t0 = time.monotonic()
        sampler = Sampler(ctx, server, t0)
        sampler.start()
        for w in subs + producers:
            w.start()
        try:
            wait_for_end(ctx, result.planned_s)
        except KeyboardInterrupt:
            result.interrupted = True
            print(f"\n  [{name}] interrupted: stopping the workload and reporting what was measured",
                  flush=True)
        result.duration_s = time.monotonic() - t0
        sampler.finish()
        ctx.stop.set()
        for w in producers:
            w.join(profile.timeout + 10)
        drain_subscribers(ctx, subs, publisher)
        collect(result, ctx, sampler, subs, slow, publisher)
        if valgrind_log:
            result.leak = shutdown_for_leak_check(server, valgrind_log, ctx.stats)
    except KeyboardInterrupt:
        result.interrupted = True
    except Exception as exc:
        result.failure = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        if server is not None:
            was_running = server.proc is not None and server.proc.poll() is None
            server.stop()
            if was_running and server.proc.returncode != 0:
                result.stop_status = server.proc.returncode
            if result.failure or result.server_exit is not None:
                result.log_tail = server.log_tail(20)
            scan_log(result, server.log_text())
        shutil.rmtree(tmpdir, ignore_errors=True)
    return result


def collect(result, ctx, sampler, subs, slow, publisher):
    result.samples = sampler.samples
    result.subscribers = [(s.label, s.received, s.missing) for s in subs]
    result.published = publisher.next_seq
    result.slow_started = ctx.stats.counts["slow subscribers started"]
    result.slow_disconnected = ctx.stats.counts["slow subscribers disconnected"]
    result.slow_lifetimes = slow.lifetimes
    result.slow_max_omem = slow.max_omem
    result.server_exit = ctx.server_exit


# Warning-level lines every start and stop produces.
BENIGN_LOG_LINES = (r"output buffer limits|no config file specified|Received SIGTERM|User requested shutdown"
                    r"|ready to exit|oO0OoO0OoO0Oo|Configuration loaded|just started|Server initialized"
                    r"|Memory overcommit must be enabled")


def scan_log(result, text):
    """Counts output-buffer-limit disconnects in the server log and keeps its
    distinct warnings and anything that looks like a crash."""
    result.limit_log_lines = len(re.findall(r"output buffer limits", text))
    seen = collections.OrderedDict()
    for line in text.splitlines():
        crashy = re.search(r"fatal|panic|crash|assert|segmentation|signal \d|backtrace", line, re.I)
        warning = re.match(r"^\d+:[A-Z] .*? # ", line)
        if not (crashy or warning) or re.search(BENIGN_LOG_LINES, line):
            continue
        body = re.sub(r"^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [#*.-] ", "", line)
        key = re.sub(r"\d+", "N", body)
        if key not in seen:
            seen[key] = body
    result.warnings = list(seen.values())[:20]


# --------------------------------------------------------------------------
# Leak check
# --------------------------------------------------------------------------

def shutdown_for_leak_check(server, valgrind_log, stats):
    """All workload connections are closed by now. FLUSHALL SYNC (so no tagged
    entry pointers remain for valgrind to misread), SHUTDOWN NOSAVE, wait for
    valgrind to finish writing its summary, and parse it."""
    time.sleep(2.0)   # let the server notice and free the closed connections
    conn = RespConnection(server.port, 120.0)
    try:
        reply = conn.call("FLUSHALL", "SYNC")
        check_reply(stats, "FLUSHALL SYNC", reply, reply == "OK")
        conn.send(("SHUTDOWN", "NOSAVE"))
        try:
            reply = conn.read()
            check_reply(stats, "SHUTDOWN NOSAVE", reply, False)   # any reply means it did not shut down
        except OSError:
            pass   # the connection closing is the expected answer
    finally:
        conn.close()
    clean = True
    try:
        server.proc.wait(180)
    except subprocess.TimeoutExpired:
        clean = False
        stats.error("server did not exit within 180 s of SHUTDOWN NOSAVE")
        server.stop()
    leak = parse_valgrind_log(valgrind_log)
    leak["exit_status"] = server.proc.returncode
    leak["clean_exit"] = clean and server.proc.returncode == 0
    return leak


def one_line_record(record):
    """"N bytes in M blocks ... <first caller past the allocator>": enough to tell
    a Swift runtime cache or thread-local storage from server code."""
    lines = record.splitlines()
    head = lines[0].split(" are ")[0] if lines else "?"
    frames = [l.strip() for l in lines[1:] if l.strip().startswith("by ")]
    caller = next((f for f in frames if not re.search(r"calloc|malloc|realloc|swift_slowAlloc|rtld-malloc", f)),
                  frames[0] if frames else "?")
    caller = re.sub(r"^by 0x[0-9A-F]+: ", "", caller)
    where = re.search(r"\(([^()]*)\)$", caller)   # "(in libswiftCore.so)" or "(File.swift:24)"
    return f"{head}: {caller.split('(')[0][:100]}" + (f" ({where.group(1)})" if where else "")


def parse_valgrind_log(path):
    """LEAK SUMMARY figures (bytes and blocks per kind), the ERROR SUMMARY line,
    and the first few "definitely lost" loss records with their stacks."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError as exc:
        return {"error": f"no valgrind log: {exc}", "text": ""}
    leak = {"text": text, "summary_lines": [], "kinds": {}, "records": [], "other_errors": []}
    for kind in ("definitely lost", "indirectly lost", "possibly lost", "still reachable", "suppressed"):
        m = re.search(rf"==\d+==\s+{kind}: ([\d,]+) bytes in ([\d,]+) blocks", text)
        if m:
            leak["kinds"][kind] = (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")))
            leak["summary_lines"].append(f"{kind}: {m.group(1)} bytes in {m.group(2)} blocks")
    if not leak["kinds"] and "no leaks are possible" in text:
        leak["summary_lines"].append("All heap blocks were freed -- no leaks are possible")
        leak["kinds"] = {k: (0, 0) for k in ("definitely lost", "indirectly lost", "possibly lost")}
    m = re.search(r"ERROR SUMMARY: .*", text)
    leak["error_summary"] = m.group(0) if m else "(no ERROR SUMMARY line)"
    blocks = re.split(r"\n==\d+== \n", text)
    strip = lambda b: "\n".join(re.sub(r"^==\d+== ?", "", l) for l in b.splitlines())
    leak["records"] = [strip(b) for b in blocks if "definitely lost in loss record" in b][:5]
    leak["possibly"] = [one_line_record(strip(b)) for b in blocks if "possibly lost in loss record" in b][:10]
    leak["other_errors"] = [strip(b) for b in blocks
                            if re.search(r"Invalid (read|write|free)|uninitialised|Mismatched free", b)][:5]
    if "LEAK SUMMARY" not in text and "no leaks are possible" not in text:
        leak["error"] = "valgrind wrote no LEAK SUMMARY (the server did not exit normally?)"
    return leak


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def fmt_kb(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f} MB"


def fmt_bytes(n):
    return "n/a" if n is None else f"{n / 1048576:.1f} MB"


def sample_near(samples, t):
    return min(samples, key=lambda s: abs(s.t - t)) if samples else None


def rss_levels_off(samples, duration):
    """(verdict, middle-third max kB, last-third max kB, growth %) or None
    when there are too few samples for thirds."""
    third = duration / 3
    mid = [s.rss_kb for s in samples if third <= s.t < 2 * third and s.rss_kb]
    last = [s.rss_kb for s in samples if s.t >= 2 * third and s.rss_kb]
    if not mid or not last:
        return None
    growth = (max(last) - max(mid)) / max(mid) * 100
    return growth < 5.0, max(mid), max(last), growth


def command_rate(samples):
    """Commands processed during the run (INFO, first to last sample) and per second."""
    with_info = [s for s in samples if s.commands is not None]
    if len(with_info) < 2 or with_info[-1].t <= with_info[0].t:
        return None, None
    total = with_info[-1].commands - with_info[0].commands
    return total, total / (with_info[-1].t - with_info[0].t)


def problems_of(r):
    """Everything a reader must not miss, as sentences."""
    out = []
    if r.failure:
        out.append(f"run failed: {r.failure}")
    if r.interrupted:
        out.append("interrupted (Ctrl-C): the run is shorter than planned")
    if r.server_exit is not None:
        out.append(f"the server exited during the run (status {r.server_exit})")
    if r.stop_status is not None:
        out.append(f"the server exited with status {r.stop_status} when stopped with SIGTERM at the end")
    if r.stats:
        for kind, n in sorted(r.stats.errors.items()):
            out.append(f"{n} x {kind} (e.g. {r.stats.examples.get(kind, '')!r})")
        for kind, n in sorted(r.stats.conn_failures.items()):
            out.append(f"{n} x connection failure {kind} (e.g. {r.stats.examples.get(kind, '')!r})")
    if r.samples and not r.leak:
        verdict = rss_levels_off(r.samples, r.duration_s)
        if verdict and not verdict[0]:
            out.append(f"RSS does not level off: last-third max {fmt_kb(verdict[2])} is "
                       f"{verdict[3]:+.1f}% over middle-third max {fmt_kb(verdict[1])}")
    # It needs ~20 s to reach the 32mb hard limit: a short run is not a failure.
    if r.slow_started and not r.slow_disconnected and (r.duration_s >= 60 or r.slow_max_omem > 34 << 20):
        out.append(f"the never-reading subscriber was not disconnected (max omem seen "
                   f"{fmt_bytes(r.slow_max_omem)})")
    if r.leak:
        lost = r.leak.get("kinds", {}).get("definitely lost")
        if r.leak.get("error"):
            out.append(r.leak["error"])
        if lost and lost[0] > 0:
            out.append(f"valgrind: definitely lost {lost[0]:,} bytes in {lost[1]:,} blocks")
        if r.leak.get("other_errors"):
            out.append(f"valgrind reported memory errors other than leaks: {r.leak['error_summary']}")
        if not r.leak.get("clean_exit"):
            out.append(f"server did not exit cleanly after SHUTDOWN NOSAVE (status {r.leak.get('exit_status')})")
    return out


def header(args):
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    mode = "leak check (valgrind)" if args.leak_check else "soak"
    return [f"# Swiftlet soak test: {mode}", "",
            f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M:%S %Z')}",
            f"- machine: `{run(['uname', '-a'])}`, nproc {run(['nproc'])}",
            f"- command: `python3 {shlex.join(sys.argv)}`",
            f"- server flags: `--port P --bind 127.0.0.1 --save \"\" --appendonly no "
            f"--maxmemory {args.maxmemory} --maxmemory-policy allkeys-lru`", ""]


def summary_rows(r):
    """(label, value) pairs of the key figures of one run."""
    total, rate = command_rate(r.samples)
    last = r.samples[-1] if r.samples else None
    s = r.stats
    errors = sum(s.errors.values()) if s else 0
    fails = sum(s.conn_failures.values()) if s else 0
    received = sum(n for _, n, _ in r.subscribers)
    missing = sum(m for _, _, m in r.subscribers)
    rows = [
        ("binary", f"`{r.binary}` ({r.version})"),
        ("duration", f"{r.duration_s / 60:.1f} min ({r.duration_s:.0f} s)"),
        ("commands processed", "n/a" if total is None else f"{total:,}"),
        ("commands/s", "n/a" if rate is None else f"{rate:,.0f}"),
        ("errors", f"{errors}" + (" (" + ", ".join(f"{k}: {v}" for k, v in s.errors.most_common()) + ")"
                                  if errors else "")),
        ("connection failures", f"{fails}" + (" (" + ", ".join(f"{k}: {v}" for k, v in
                                                               s.conn_failures.most_common()) + ")"
                                              if fails else "")),
        ("pub/sub messages received", f"{received:,} ({r.published:,} published to {len(r.subscribers)} "
                                      f"reading subscribers; {missing:,} missing)"),
        ("never-reading subscriber", slow_text(r)),
        ("evicted_keys", "n/a" if not last or last.evicted is None else f"{last.evicted:,}"),
        ("expired_keys", "n/a" if not last or last.expired is None else f"{last.expired:,}"),
    ]
    if r.samples:
        one = sample_near(r.samples, 60) if r.duration_s >= 55 else None
        mid, end = sample_near(r.samples, r.duration_s / 2), r.samples[-1]
        peak = max((x.rss_kb or 0) for x in r.samples)
        rows += [("RSS at 1 min / middle / end",
                  f"{fmt_kb(one.rss_kb) if one else 'n/a'} / {fmt_kb(mid.rss_kb)} / {fmt_kb(end.rss_kb)}"),
                 ("max RSS", fmt_kb(peak)),
                 ("used_memory at end", fmt_bytes(end.used_memory))]
        verdict = rss_levels_off(r.samples, r.duration_s)
        if verdict is None:
            rows.append(("levels off", "n/a (too few samples)"))
        else:
            ok, mid_max, last_max, growth = verdict
            short = ("; the run is short, so the thirds still include the warm-up that fills maxmemory"
                     if r.duration_s < 300 else "")
            rows.append(("levels off", f"{'YES' if ok else 'NO'}: max RSS middle third {fmt_kb(mid_max)}, "
                                       f"last third {fmt_kb(last_max)}, growth {growth:+.1f}% (limit 5%){short}"))
    if s:
        churn = {k: v for k, v in s.counts.items() if k.startswith("churn")}
        rows.append(("client churn", ", ".join(f"{k[len('churn connections '):]}: {v:,}"
                                               for k, v in sorted(churn.items())) or "none"))
        rows.append(("keyspace client commands", f"{s.counts['keyspace_commands']:,}"))
        bench = [f"{t.upper()} {s.counts[f'bench_{t}_rps_sum'] / s.counts[f'bench_{t}_runs']:,.0f} req/s"
                 for t in ("set", "get") if s.counts[f"bench_{t}_runs"]]
        rows.append(("redis-benchmark", f"{s.counts['bench_runs']} complete runs"
                     + (f", mean {', '.join(bench)}" if bench else "")))
    return rows


def slow_text(r):
    if not r.slow_started:
        return "not started"
    life = ", ".join(f"{t:.0f}" for t in r.slow_lifetimes[:8])
    return (f"{'disconnected' if r.slow_disconnected else 'NOT disconnected'}: {r.slow_disconnected} of "
            f"{r.slow_started} started were disconnected"
            + (f" after {life} s" if life else "")
            + f"; max omem seen {fmt_bytes(r.slow_max_omem)}; "
            f"{r.limit_log_lines} output-buffer-limit lines in the server log")


def rss_table(r):
    """One row per minute (every 15 s when the run is under 3 minutes), plus the last sample."""
    if not r.samples:
        return []
    step = 60 if r.duration_s >= 180 else 15
    rows, t = [], 0.0
    picked = []
    while t <= r.duration_s + 1:
        s = sample_near(r.samples, t)
        if not any(s is p for p in picked):
            picked.append(s)
        t += step
    if not any(r.samples[-1] is p for p in picked):
        picked.append(r.samples[-1])
    rows = ["| t (min) | RSS | used_memory | mem_clients_normal | clients | evicted_keys | expired_keys "
            "| commands processed |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in picked:
        num = lambda v: "n/a" if v is None else f"{v:,}"
        rows.append(f"| {s.t / 60:.2f} | {fmt_kb(s.rss_kb)} | {fmt_bytes(s.used_memory)} | "
                    f"{fmt_bytes(s.client_buffers)} | {num(s.clients)} | "
                    f"{num(s.evicted)} | {num(s.expired)} | {num(s.commands)} |")
    return rows


def leak_section(leak):
    lines = ["### valgrind", ""]
    if leak.get("error"):
        lines += [f"**{leak['error']}**", ""]
    lost = leak.get("kinds", {}).get("definitely lost")
    if lost is not None:
        lines += [f"**definitely lost: {lost[0]:,} bytes in {lost[1]:,} blocks**", ""]
    lines += ["```", "LEAK SUMMARY:"] + [f"   {l}" for l in leak.get("summary_lines", [])]
    lines += [leak.get("error_summary", ""), "```", "",
              f"server exit status after SHUTDOWN NOSAVE: {leak.get('exit_status')}", ""]
    if leak.get("log_copy"):
        lines += [f"full valgrind log: `{leak['log_copy']}`", ""]
    if leak.get("possibly"):
        lines += ["possibly lost records (size: first caller past the allocator):", ""]
        lines += [f"- `{p}`" for p in leak["possibly"]] + [""]
    for title, blocks in (("definitely lost records (first 5)", leak.get("records")),
                          ("memory errors (first 5)", leak.get("other_errors"))):
        if blocks:
            lines += [f"{title}:", "", "```"] + ["\n".join(b.splitlines()[:25]) + "\n" for b in blocks] + ["```", ""]
    return lines


def report(args, results):
    lines = header(args)
    if len(results) > 1:
        lines += ["## Summary", "", "| | " + " | ".join(r.name for r in results) + " |",
                  "|---|" + "---|" * len(results)]
        table = [dict(summary_rows(r)) for r in results]
        labels = list(collections.OrderedDict.fromkeys(label for t in table for label in t))
        for label in labels:
            if label == "binary":
                continue
            lines.append(f"| {label} | " + " | ".join(t.get(label, "") for t in table) + " |")
        lines.append("")
    for r in results:
        lines += [f"## {r.name}", ""]
        lines += [f"- {label}: {value}" for label, value in summary_rows(r)]
        lines += [f"- note: {n}" for n in r.notes]
        lines += ["", "RSS over time:", ""] + rss_table(r) + [""]
        sub = ", ".join(f"{label} {n:,} (missing {m:,})" for label, n, m in r.subscribers)
        if sub:
            lines += [f"Subscribers: {sub}.", ""]
        if r.leak:
            lines += leak_section(r.leak)
        if r.warnings:
            lines += ["Server log warnings (distinct, first 20):", "", "```"] + r.warnings + ["```", ""]
        if r.log_tail:
            lines += ["End of the server log:", "", "```", r.log_tail, "```", ""]
        problems = problems_of(r)
        lines += [f"### Problems ({r.name}): {'none' if not problems else len(problems)}", ""]
        lines += [f"- {p}" for p in problems] + [""]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=None,
                    help="duration per server (default 10; 1 with --leak-check)")
    ap.add_argument("--swiftlet", default=None,
                    help=f"swiftlet-server binary (default {os.path.relpath(DEFAULT_SWIFTLET, ROOT)}, "
                         "built with swift build -c release if missing)")
    ap.add_argument("--redis", default="redis-server", help="redis-server binary (default: on PATH)")
    ap.add_argument("--redis-benchmark", default="redis-benchmark", help=argparse.SUPPRESS)
    ap.add_argument("--servers", default="swiftlet,redis", help="comma-separated, run in this order")
    ap.add_argument("--maxmemory", default=None,
                    help="default 64mb; 16mb with --leak-check, so that the slower run still evicts")
    ap.add_argument("--out", default=None,
                    help="Markdown report (default Benchmarks/results/soak.md, soak-leakcheck.md with --leak-check)")
    ap.add_argument("--leak-check", action="store_true",
                    help="only Swiftlet, under valgrind, light workload, FLUSHALL SYNC + SHUTDOWN NOSAVE at the end")
    args = ap.parse_args()
    if args.minutes is None:
        args.minutes = 1.0 if args.leak_check else 10.0
    if args.maxmemory is None:
        args.maxmemory = "16mb" if args.leak_check else "64mb"
    if args.out is None:
        args.out = os.path.join(ROOT, "Benchmarks", "results",
                                "soak-leakcheck.md" if args.leak_check else "soak.md")
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in servers if s not in ("swiftlet", "redis")]
    if unknown:
        ap.error(f"unknown server(s) {unknown}: use swiftlet and/or redis")
    args.servers = ["swiftlet"] if args.leak_check else servers
    return args


def swiftlet_binary(args):
    """The --swiftlet path, or the default release build, built only if it is missing."""
    if args.swiftlet:
        path = os.path.abspath(args.swiftlet)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"--swiftlet {path}: not an executable file")
        return path
    if not os.access(DEFAULT_SWIFTLET, os.X_OK):
        print(f"{DEFAULT_SWIFTLET} missing: swift build -c release --product swiftlet-server", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "swiftlet-server"], cwd=ROOT, check=True)
    return DEFAULT_SWIFTLET


def resolve_tool(name, hint):
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if not path:
        raise RuntimeError(f"{name} not found ({hint})")
    return path


def run_leak_check(args):
    """Swiftlet under valgrind with the light profile; the valgrind log is kept next to the report."""
    valgrind = resolve_tool("valgrind", "install it with: apt-get install -y valgrind")
    binary = swiftlet_binary(args)
    logdir = tempfile.mkdtemp(prefix="soak-valgrind-")
    log = os.path.join(logdir, "valgrind.log")
    try:
        result = run_one("swiftlet (valgrind)", binary, args, LEAK, valgrind_log=log, valgrind=valgrind)
        if result.leak is not None:
            copy = os.path.splitext(args.out)[0] + ".valgrind.log"
            os.makedirs(os.path.dirname(os.path.abspath(copy)), exist_ok=True)
            shutil.copyfile(log, copy)
            result.leak["log_copy"] = copy
        return result
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


def run_soaks(args):
    results = []
    for name in args.servers:
        try:
            binary = swiftlet_binary(args) if name == "swiftlet" else resolve_tool(args.redis, "install redis-server")
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            results.append(RunResult(name, "?", failure=str(exc)))
            continue
        result = run_one(name, binary, args, NORMAL)
        results.append(result)
        if result.interrupted:
            break
    return results


def main():
    args = parse_args()
    install_signal_handlers()
    results = []
    try:
        args.redis_benchmark = resolve_tool(args.redis_benchmark, "it comes with redis-server")
        results = [run_leak_check(args)] if args.leak_check else run_soaks(args)
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
    except Exception:
        traceback.print_exc()
    finally:
        cleanup_children()
    if results:
        text = report(args, results)
        print("\n" + text)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
        print(f"report written to {args.out}")
        problems = sum(len(problems_of(r)) for r in results)
        print(f"PROBLEMS FOUND: {problems} (see the Problems sections above)" if problems
              else "no problems found")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup_children()
