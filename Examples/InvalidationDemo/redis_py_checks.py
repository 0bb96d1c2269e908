#!/usr/bin/env python3
"""redis-py 8 features the demo's architecture leans on, checked against a
running server (Swiftlet or, for comparison, redis-server):

  pipeline      the default pipeline() is MULTI/EXEC: replies in order,
                a failing command inside reported in place, the rest run
  watch         transaction() with WATCH retries until it wins; eight
                threads incrementing one counter lose no update
  watch-error   a WATCHed key changed by another connection -> WatchError
  client-cache  redis-py's own client-side cache (cache_config, RESP3
                CLIENT TRACKING): a cached GET is served locally, a write
                from another connection evicts it, and under concurrent
                writers the cache never keeps a stale value

redis-py enables client-side caching only for servers that report Redis
7.4 or later (a product policy, not a protocol need: the commands exist
since 6.0). Swiftlet reports 7.0.15, like the Redis it matches, so this
script lowers redis-py's minimum for the check; the invalidation protocol
it then exercises is exactly the one redis-py uses against 7.4+.

    python3 redis_py_checks.py --port 6379      # exit status 0 = all passed
"""
import argparse
import sys
import threading
import time

import redis
import redis.connection
from redis.cache import CacheConfig


def check(name, ok, detail):
    print(("PASS  " if ok else "FAIL  ") + name.ljust(13) + detail)
    return ok


def pipeline(r):
    r.delete("py:p")
    p = r.pipeline()  # transaction=True: MULTI ... EXEC
    p.set("py:p", "1").incr("py:p").get("py:p").incr("py:p:text-free").append("py:p", "x").incr("py:p").get("py:p")
    replies = p.execute(raise_on_error=False)
    ok = (replies[:5] == [True, 2, b"2", 1, 2] and isinstance(replies[5], redis.ResponseError)
          and "not an integer" in str(replies[5]) and replies[6] == b"2x")
    return check("pipeline", ok, f"MULTI/EXEC replies {replies[:5]} + an error in place, the rest ran")


def watch(r, port):
    r.set("py:counter", 0)
    threads, per = 8, 40

    def work():
        c = redis.Redis(port=port)
        for _ in range(per):
            def incr(pipe):
                value = int(pipe.get("py:counter"))
                pipe.multi()
                pipe.set("py:counter", value + 1)
            c.transaction(incr, "py:counter")

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    final = int(r.get("py:counter"))
    return check("watch", final == threads * per, f"{threads} threads x {per} optimistic increments -> {final}")


def watch_error(r, port):
    other = redis.Redis(port=port)
    r.set("py:w", "a")
    with r.pipeline() as p:
        p.watch("py:w")
        other.set("py:w", "b")
        p.multi()
        p.set("py:w", "c")
        try:
            p.execute()
            raised = False
        except redis.WatchError:
            raised = True
    return check("watch-error", raised and r.get("py:w") == b"b", "EXEC after another client's write -> WatchError")


def client_cache(port):
    redis.connection.CacheProxyConnection.MIN_ALLOWED_VERSION = "6.0.0"
    cached = redis.Redis(port=port, protocol=3, cache_config=CacheConfig(max_size=1000))
    writer = redis.Redis(port=port)
    writer.set("py:c", "v1")
    first = cached.get("py:c")
    cache = cached.get_cache()
    in_cache = cache.size == 1
    writer.set("py:c", "v2")
    # redis-py drops invalidated entries when it next reads its socket.
    second = cached.get("py:c")
    ok = first == b"v1" and in_cache and second == b"v2"
    passed = check("client-cache", ok, f"cached {first!r}, after another client's SET -> {second!r}")

    # Concurrent writers: when they stop, every cached key equals the server's value.
    keys = [f"py:hot:{i}" for i in range(16)]
    stop = threading.Event()

    def write(n):
        w = redis.Redis(port=port)
        i = 0
        while not stop.is_set():
            w.set(keys[(i + n) % len(keys)], f"{n}-{i}")
            i += 1

    ws = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in ws:
        t.start()
    deadline = time.monotonic() + 2
    reads = 0
    while time.monotonic() < deadline:
        for k in keys:
            cached.get(k)
            reads += 1
    stop.set()
    for t in ws:
        t.join()
    time.sleep(0.2)
    cached.ping()  # lets redis-py read the invalidations still in its socket
    stale = [k for k in keys if cached.get(k) != writer.get(k)]
    passed &= check("cache-races", not stale, f"{reads} cached reads under 3 writers; stale at the end: {stale}")
    return passed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=6379)
    args = ap.parse_args()
    r = redis.Redis(port=args.port)
    info = r.info("server")
    print(f"redis-py {redis.__version__} against port {args.port} "
          f"({'Swiftlet ' + info['swiftlet_version'] if 'swiftlet_version' in info else 'Redis ' + info['redis_version']})")
    results = [pipeline(r), watch(r, args.port), watch_error(r, args.port), client_cache(args.port)]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
