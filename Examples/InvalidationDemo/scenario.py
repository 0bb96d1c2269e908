"""A scripted run of every path, with assertions.

Starts the worker and two API processes (on free ports) against a running
Redis-protocol server, then checks: miss, hit, L1 hit, update with
synchronous invalidation, update with invalidation by event, update with
invalidation through a stream and a consumer group (including entries
written while the worker is down and entries a crashed consumer never
acknowledged), L1 freshness after another client's write (client
tracking), stampede, TTL expiry and unknown ids. Prints PASS/FAIL per path; exits 1 if anything failed.

    python3 scenario.py --redis-port 6379
    python3 scenario.py --redis-url redis://localhost:6380/0 --verbose
"""

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

import redis

import db
from start import start_api, start_stream_worker, start_worker, stop

IDS = {"miss": 42, "event": 43, "tracking": 44, "stampede": 45, "expiry": 46, "stream": 47,
       "recover-a": 48, "recover-b": 49, "unknown": 100000}
STAMPEDE_REQUESTS = 20
DB_DELAY = 0.4  # seconds per database read in API "a", so the stampede overlaps


class Failed(Exception):
    pass


class Skipped(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Api:
    def __init__(self, name, url):
        self.name, self.url = name, url

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def get(self, path):
        return self.call("GET", path)

    def item(self, item_id):
        status, body = self.get(f"/item/{item_id}")
        expect(status == 200, f"GET /item/{item_id} on API {self.name}: HTTP {status} {body}")
        return body["item"], body["source"]

    def stats(self):
        return self.get("/stats")[1]

    def in_l1(self, key):
        return self.get(f"/l1/{key}")[1]["in_l1"]

    def l1_online(self):
        return self.stats().get("l1_status") == "online"

    def require_l1(self):
        status = self.stats().get("l1_status", "disabled")
        if status == "disabled":
            raise Skipped("L1 disabled (--no-l1)")
        expect(status == "online", f"API {self.name}'s L1 is not online: {status}")


class Scenario:
    def __init__(self, cache, a, b, db_path):
        self.cache, self.a, self.b, self.db_path = cache, a, b, db_path

    def row(self, item_id):
        return db.load_item(self.db_path, item_id)

    def delta(self, api, before, name):
        return api.stats()[name] - before[name]

    # Each check returns a one-line description of what it showed.

    def check_miss(self):
        item_id = IDS["miss"]
        before = self.a.stats()
        item, source = self.a.item(item_id)
        expect(source == "db", f"first read came from {source}, expected db")
        expect(item == self.row(item_id), f"API returned {item}, database has {self.row(item_id)}")
        expect(self.delta(self.a, before, "db_loads") == 1, "expected exactly one database load")
        ttl = self.cache.ttl(f"item:{item_id}")
        expect(295 <= ttl <= 300, f"TTL item:{item_id} is {ttl}, expected about 300 (SET ... EX 300)")
        expect(json.loads(self.cache.get(f"item:{item_id}")) == item, "cached JSON differs from the row")
        return f"item:{item_id} read from SQLite once, cached with SET EX 300 (TTL {ttl})"

    def check_hit(self):
        item_id = IDS["miss"]
        before = self.b.stats()
        item, source = self.b.item(item_id)
        expect(source == "cache", f"API b read it from {source}, expected the shared cache")
        expect(item == self.row(item_id), "API b returned a different row")
        expect(self.delta(self.b, before, "db_loads") == 0, "API b read the database")
        return f"a second API process (empty L1) got item:{item_id} from the shared cache, no database read"

    def check_l1_hit(self):
        self.a.require_l1()
        item_id = IDS["miss"]
        before = self.a.stats()
        # The database load filled the shared cache only; the next read
        # through the tracked connection fills L1, the one after is served by it.
        _, source = self.a.item(item_id)
        expect(source == "cache", f"second read came from {source}, expected cache")
        self.warm_l1(self.a, item_id)
        expect(self.delta(self.a, before, "l1_hits") >= 1, "l1_hits did not grow")
        return f"second read of item:{item_id} (from the cache) filled L1; the next was served by L1"

    def warm_l1(self, api, item_id):
        """Reads until the API serves the item from L1 (db -> cache -> l1).
        More reads are allowed: the invalidation caused by the cache fill
        itself (the miss was read through the tracked connection too) may
        arrive late and drop the first L1 copy."""
        for _ in range(5):
            item, source = api.item(item_id)
            if source == "l1" and api.in_l1(f"item:{item_id}"):
                return item
        raise Failed(f"item:{item_id} never came from L1 (last source {source})")

    def check_update_sync(self):
        item_id = IDS["miss"]
        status, body = self.a.call("PUT", f"/item/{item_id}?invalidate=sync", {"price_cents": 4299})
        expect(status == 200, f"PUT: HTTP {status} {body}")
        expect(body.get("invalidate") == "sync" and body.get("unlinked") == 1, f"PUT reply {body}")
        expect(self.cache.exists(f"item:{item_id}") == 0, "key still cached right after the PUT")
        item, source = self.a.item(item_id)
        expect(item["price_cents"] == 4299, f"read after update returned stale {item}")
        expect(source == "db", f"read after update came from {source}, expected db")
        return f"PUT updated SQLite and UNLINKed item:{item_id}; next read got the new row from the database"

    def check_update_event(self):
        item_id = IDS["event"]
        l1 = self.a.l1_online()
        if l1:
            self.warm_l1(self.a, item_id)  # so the check also covers the API's L1 copy
        else:
            self.a.item(item_id)
        before = self.a.stats()
        status, body = self.a.call("PUT", f"/item/{item_id}?invalidate=event", {"name": "renamed via event"})
        expect(status == 200, f"PUT: HTTP {status} {body}")
        expect(body.get("invalidate") == "event" and body.get("receivers", 0) >= 1, f"PUT reply {body}")
        expect(self.delta(self.a, before, "invalidations_sync") == 0, "the API deleted the key itself")
        expect(wait_until(lambda: self.cache.exists(f"item:{item_id}") == 0, 5),
               f"the worker did not UNLINK item:{item_id} within 5 s")
        if l1:
            expect(wait_until(lambda: not self.a.in_l1(f"item:{item_id}"), 3),
                   "the worker's UNLINK did not evict the API's L1 copy (no tracking invalidation within 3 s)")
        item, source = self.a.item(item_id)
        expect(item["name"] == "renamed via event", f"read after the event returned stale {item}")
        expect(source == "db", f"read after the event came from {source}, expected db")
        extra = ", tracking dropped the API's L1 copy" if l1 else " (L1 off)"
        return f"PUT published {{keys:[item:{item_id}]}}; the worker UNLINKed it{extra}; next read is fresh"

    def pending(self):
        return self.cache.xpending(self.stream, self.group)["pending"]

    def check_update_stream(self):
        item_id = IDS["stream"]
        self.a.item(item_id)
        expect(self.cache.exists(f"item:{item_id}") == 1, "the read did not cache the item")
        status, body = self.a.call("PUT", f"/item/{item_id}?invalidate=stream", {"name": "renamed via stream"})
        expect(status == 200 and body.get("invalidate") == "stream" and body.get("entry"), f"PUT reply {status} {body}")
        expect(wait_until(lambda: self.cache.exists(f"item:{item_id}") == 0, 5),
               f"the stream worker did not UNLINK item:{item_id} within 5 s")
        expect(wait_until(lambda: self.pending() == 0, 5), "the stream worker did not XACK the entry")
        item, source = self.a.item(item_id)
        expect(item["name"] == "renamed via stream" and source == "db", f"read after the stream entry: {item} from {source}")
        return f"PUT added entry {body['entry']} to {self.stream}; the group's worker UNLINKed item:{item_id} and XACKed it"

    def check_stream_recovery(self):
        a, b = IDS["recover-a"], IDS["recover-b"]
        self.stop_stream_worker()
        for item_id in (a, b):
            self.a.item(item_id)
            status, body = self.a.call("PUT", f"/item/{item_id}?invalidate=stream", {"name": f"renamed {item_id}"})
            expect(status == 200, f"PUT: HTTP {status} {body}")
        expect(self.cache.exists(f"item:{a}", f"item:{b}") == 2, "keys went away with no worker running")
        # A consumer that reads an entry and dies before XACK: it stays pending.
        crashed = self.cache.xreadgroup(self.group, "crashed-worker", {self.stream: ">"}, count=1)
        expect(crashed and len(crashed[0][1]) == 1, f"the crashed consumer read {crashed}")
        expect(self.pending() == 1, "the crashed consumer's entry is not pending")
        self.start_stream_worker()
        expect(wait_until(lambda: self.cache.exists(f"item:{a}", f"item:{b}") == 0, 10),
               "the restarted worker did not process the waiting and the abandoned entries")
        expect(wait_until(lambda: self.pending() == 0, 5), "entries are still pending after the restart")
        return ("entries written while the worker was down, and one a crashed consumer never acknowledged "
                "(taken over with XAUTOCLAIM), were all processed after the restart: nothing lost")

    def check_tracking(self):
        self.a.require_l1()
        item_id = IDS["tracking"]
        item = self.warm_l1(self.a, item_id)
        changed = dict(item, name="written by another client")
        self.cache.set(f"item:{item_id}", json.dumps(changed, sort_keys=True), keepttl=True)
        expect(wait_until(lambda: not self.a.in_l1(f"item:{item_id}"), 3),
               "no tracking invalidation evicted the L1 copy within 3 s of another client's SET")
        fresh, source = self.a.item(item_id)
        expect(fresh == changed, f"L1 served a stale value after the invalidation: {fresh}")
        expect(source == "cache", f"read after invalidation came from {source}, expected cache")
        return f"another connection SET item:{item_id}; tracking evicted the L1 copy; next read got the new value"

    def check_stampede(self):
        item_id = IDS["stampede"]
        before = self.a.stats()
        barrier = threading.Barrier(STAMPEDE_REQUESTS)
        results = [None] * STAMPEDE_REQUESTS

        def read(i):
            barrier.wait()
            results[i] = self.a.get(f"/item/{item_id}")

        threads = [threading.Thread(target=read, args=(i,)) for i in range(STAMPEDE_REQUESTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expect(all(r and r[0] == 200 for r in results), f"some requests failed: {results}")
        expect(all(r[1]["item"] == self.row(item_id) for r in results), "some requests got a different row")
        loads = self.delta(self.a, before, "db_loads")
        waits = self.delta(self.a, before, "lock_waits")
        expect(loads == 1, f"{STAMPEDE_REQUESTS} concurrent misses caused {loads} database loads, expected 1")
        expect(waits >= 1, "no request waited on the lock")
        expect(self.cache.exists(f"lock:item:{item_id}") == 0, "the lock was not released")
        sources = collections.Counter(r[1]["source"] for r in results)
        return (f"{STAMPEDE_REQUESTS} concurrent reads of a cold key -> 1 database load, "
                f"{waits} waited on lock:item:{item_id} ({dict(sources)})")

    def check_expiry(self):
        item_id = IDS["expiry"]
        before = self.b.stats()
        _, source = self.b.item(item_id)
        expect(source == "db", f"first read came from {source}, expected db")
        pttl = self.cache.pttl(f"item:{item_id}")
        expect(0 < pttl <= 1000, f"PTTL item:{item_id} is {pttl}, expected at most 1000 (EX 1)")
        self.b.item(item_id)  # an L1 or cache hit while it lives
        expect(wait_until(lambda: self.cache.exists(f"item:{item_id}") == 0, 5), "the key did not expire")
        item, source = self.b.item(item_id)
        expect(source == "db", f"read after expiry came from {source}, expected db")
        expect(self.delta(self.b, before, "db_loads") == 2, "expected exactly two database loads")
        l1 = " (and L1 did not outlive it)" if self.b.l1_online() else ""
        return f"item:{item_id} cached with EX 1 expired; the next read loaded it again{l1}"

    def check_unknown(self):
        item_id = IDS["unknown"]
        before = self.a.stats()
        first = self.a.get(f"/item/{item_id}")
        second = self.a.get(f"/item/{item_id}")
        expect(first[0] == 404 and second[0] == 404, f"expected 404 twice, got {first} / {second}")
        expect(self.delta(self.a, before, "db_loads") == 1, "the unknown id reached the database twice")
        expect(self.a.call("PUT", f"/item/{item_id}", {"name": "x"})[0] == 404, "PUT of an unknown id")
        return f"unknown id {item_id}: 404, cached as null, second lookup did not touch the database"

    CHECKS = [
        ("miss", check_miss), ("hit", check_hit), ("l1-hit", check_l1_hit),
        ("update-sync", check_update_sync), ("update-event", check_update_event),
        ("update-stream", check_update_stream), ("stream-recovery", check_stream_recovery),
        ("l1-tracking", check_tracking), ("stampede", check_stampede),
        ("expiry", check_expiry), ("not-found", check_unknown),
    ]


def run(args):
    cache = redis.Redis.from_url(args.redis_url)
    try:
        info = cache.info("server")
    except redis.RedisError as error:
        print(f"cannot reach {args.redis_url}: {error}", file=sys.stderr)
        return 2
    server = f"Swiftlet {info['swiftlet_version']}" if "swiftlet_version" in info else f"Redis {info.get('redis_version')}"
    print(f"scenario against {args.redis_url} ({server}), redis-py {redis.__version__}", flush=True)

    workdir = tempfile.mkdtemp(prefix="invalidation-demo-")
    db_path = os.path.join(workdir, "demo.db")
    db.init(db_path)
    channel = f"invalidate:item:scenario-{os.getpid()}"
    stream = f"invalidate:item:log:scenario-{os.getpid()}"
    cache.unlink(stream, *[f"{prefix}item:{i}" for i in IDS.values() for prefix in ("", "lock:")])

    log = sys.stdout if args.verbose else open(os.path.join(workdir, "processes.log"), "w")
    processes = []
    failed = 0
    try:
        processes.append(start_worker(args.redis_url, channel, log=log))
        expect(wait_until(lambda: cache.pubsub_numsub(channel)[0][1] >= 1, 5), "the worker did not subscribe")
        l1 = [] if args.l1 else ["--no-l1"]
        quiet = [] if args.verbose else ["--quiet"]
        common = ["--port", "0", "--db", db_path, "--channel", channel, "--stream", stream, *l1, *quiet]
        stream_worker = [start_stream_worker(args.redis_url, stream, "invalidators",
                                             ["--claim-idle-ms", "200", "--consumer", "scenario-worker"], log=log)]
        processes.append(stream_worker[0])
        proc_a, url_a = start_api(args.redis_url, [*common, "--ttl", "300", "--db-delay", str(DB_DELAY)], log=log)
        processes.append(proc_a)
        proc_b, url_b = start_api(args.redis_url, [*common, "--ttl", "1"], log=log)
        processes.append(proc_b)
        a, b = Api("a", url_a), Api("b", url_b)
        print(f"worker on {channel}; API a {url_a} (ttl 300 s, slow database); API b {url_b} (ttl 1 s)", flush=True)
        scenario = Scenario(cache, a, b, db_path)
        scenario.stream, scenario.group = stream, "invalidators"

        def stop_stream_worker():
            stop([stream_worker[0]])

        def restart_stream_worker():
            stream_worker[0] = start_stream_worker(args.redis_url, stream, "invalidators",
                                                   ["--claim-idle-ms", "200", "--consumer", "scenario-worker"], log=log)
            processes.append(stream_worker[0])
        scenario.stop_stream_worker, scenario.start_stream_worker = stop_stream_worker, restart_stream_worker
        passed = skipped = 0
        for name, check in Scenario.CHECKS:
            try:
                detail = check(scenario)
                print(f"PASS  {name:13} {detail}", flush=True)
                passed += 1
            except Skipped as why:
                print(f"SKIP  {name:13} {why}", flush=True)
                skipped += 1
            except Failed as why:
                print(f"FAIL  {name:13} {why}", flush=True)
                failed += 1
            except Exception as error:  # a crash in one path should not hide the others
                print(f"FAIL  {name:13} {type(error).__name__}: {error}", flush=True)
                if args.verbose:
                    traceback.print_exc()
                failed += 1
        print(f"{passed} passed, {failed} failed, {skipped} skipped")
    except (Failed, RuntimeError, redis.RedisError) as error:
        print(f"FAIL  setup         {error}")
        failed += 1
    finally:
        stop(processes)
        cache.unlink(stream, *[f"{prefix}item:{i}" for i in IDS.values() for prefix in ("", "lock:")])
        if log is not sys.stdout:
            log.close()
            if failed:
                print("---- worker and API output ----")
                with open(log.name) as text:
                    sys.stdout.write("".join(text.readlines()[-80:]))
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description="Run every path of the demo against a server and check it.")
    parser.add_argument("--redis-url", help="default: $REDIS_URL, else redis://127.0.0.1:<port>")
    parser.add_argument("--redis-port", type=int, help="default: $REDIS_PORT, else 6379")
    parser.add_argument("--no-l1", dest="l1", action="store_false", help="run the APIs without L1 (skips its checks)")
    parser.add_argument("--verbose", action="store_true", help="show the processes' output as it happens")
    args = parser.parse_args()
    if args.redis_port:
        args.redis_url = args.redis_url or f"redis://127.0.0.1:{args.redis_port}"
    elif not args.redis_url:
        port = os.environ.get("REDIS_PORT", "6379")
        args.redis_url = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{port}"
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
