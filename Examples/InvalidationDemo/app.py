"""The API server: items from SQLite, cached in Redis/Swiftlet.

    GET  /item/<id>                      cache-aside read (L1 -> shared cache -> SQLite)
    PUT  /item/<id>?invalidate=sync|event|stream  update the row, then invalidate
    GET  /stats                          counters (hits, misses, db_loads, ...)
    GET  /l1/<key>                       whether L1 holds a key, e.g. /l1/item:42
    GET  /health

Reads: L1 (in-process, kept fresh by client tracking), then `GET item:<id>`,
then, on a miss, one request per key loads the row while holding
`SET lock:item:<id> <token> NX EX 5`; the others wait for its result. The row
is cached with `SET item:<id> <json> EX <ttl>`. A missing row is cached as
`null` for a short time, so unknown ids do not reach the database every time.

Writes: the row is updated first, then the cached copy is removed, either
here with `UNLINK` (sync) or by publishing an event on the invalidation
channel for the worker to act on (event).
"""

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import redis

import db
from l1 import L1Cache

NEGATIVE_TTL = 30  # seconds an unknown id stays cached as "null"


class ItemService:
    def __init__(self, args):
        self.args = args
        self.redis = redis.Redis.from_url(args.redis_url)
        self.l1 = L1Cache(args.redis_url, fallback=self.redis) if args.l1 else None
        self._counts_lock = threading.Lock()
        self.counts = dict.fromkeys(
            ["requests", "hits", "l1_hits", "misses", "db_loads", "lock_waits",
             "updates", "invalidations_sync", "invalidations_event", "invalidations_stream"], 0)

    def count(self, name, amount=1):
        with self._counts_lock:
            self.counts[name] += amount

    def stats(self):
        with self._counts_lock:
            result = dict(self.counts)
        if self.l1:
            result.update(self.l1.stats())
        return result

    # -- reads ---------------------------------------------------------------

    def get_item(self, item_id):
        """Returns (row or None, source) where source is l1, cache or db."""
        key = f"item:{item_id}"
        cached, source = self.l1.get(key) if self.l1 else (self.redis.get(key), "cache")
        if cached is not None:
            self.count("hits")
            if source == "l1":
                self.count("l1_hits")
            return json.loads(cached), source
        self.count("misses")
        return self._load_once(item_id, key)

    def _load_once(self, item_id, key):
        """Stampede protection: of all the requests that missed the same key,
        only the one holding the lock reads the database."""
        lock_key, token = f"lock:{key}", f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
        lock_ttl = self.args.lock_ttl
        give_up_at = time.monotonic() + 2 * lock_ttl
        waited = False
        while time.monotonic() < give_up_at:
            taken_at = time.monotonic()
            if self.redis.set(lock_key, token, nx=True, ex=lock_ttl):
                try:
                    # Another request may have filled the key just before we locked.
                    cached = self.redis.get(key)
                    if cached is not None:
                        return json.loads(cached), "cache"
                    return self._load_and_fill(item_id, key), "db"
                finally:
                    # Only we delete the lock, and it cannot have expired (and been
                    # taken by someone else) while younger than its TTL, so a
                    # plain DEL is safe here; after that, let it expire.
                    if time.monotonic() - taken_at < lock_ttl - 1:
                        self.redis.delete(lock_key)
            if not waited:
                self.count("lock_waits")
                waited = True
            # Someone else is loading this row: wait for it to appear in the cache.
            while time.monotonic() < give_up_at:
                time.sleep(0.02)
                cached = self.redis.get(key)
                if cached is not None:
                    return json.loads(cached), "cache"
                if not self.redis.exists(lock_key):
                    break  # the holder finished without filling (or died): try the lock ourselves
        # The lock outlived every reasonable wait: serve from the database, uncached.
        return self._load_and_fill(item_id, key, fill=False), "db"

    def _load_and_fill(self, item_id, key, fill=True):
        row = db.load_item(self.args.db, item_id, delay=self.args.db_delay)
        self.count("db_loads")
        if fill:
            ttl = self.args.ttl if row else min(self.args.ttl, NEGATIVE_TTL)
            self.redis.set(key, json.dumps(row, sort_keys=True), ex=ttl)
        return row

    # -- writes --------------------------------------------------------------

    def update_item(self, item_id, changes, mode):
        """Updates the row, then invalidates. Returns (row or None, details)."""
        row = db.update_item(self.args.db, item_id, changes)
        if row is None:
            return None, {}
        self.count("updates")
        key = f"item:{item_id}"
        if mode == "stream":
            # Appended to a stream: kept until the stream worker's group
            # acknowledges it, so it survives a worker that is down.
            event = {"keys": [key], "table": "items", "id": item_id, "version": row["version"]}
            entry = self.redis.xadd(self.args.stream, {"event": json.dumps(event)}, maxlen=100_000, approximate=True)
            self.count("invalidations_stream")
            return row, {"invalidate": "stream", "stream": self.args.stream,
                         "entry": entry.decode() if isinstance(entry, bytes) else entry}
        if mode == "event":
            event = {"keys": [key], "table": "items", "id": item_id, "version": row["version"]}
            receivers = self.redis.publish(self.args.channel, json.dumps(event))
            if receivers > 0:
                self.count("invalidations_event")
                return row, {"invalidate": "event", "channel": self.args.channel, "receivers": receivers}
            # Nobody is listening, so nobody would delete the key: do it here.
            mode = "sync (no worker listening)"
        removed = self.redis.unlink(key)
        if self.l1:
            self.l1.evict(key)  # our own L1 at once; other processes hear it through tracking
        self.count("invalidations_sync")
        return row, {"invalidate": mode, "unlinked": removed}


class Handler(BaseHTTPRequestHandler):
    service = None  # set in main()
    quiet = False

    def do_GET(self):
        path, query = self._route()
        if path == "/stats":
            return self._reply(200, self.service.stats())
        if path == "/health":
            l1 = self.service.l1.stats()["l1_status"] if self.service.l1 else "disabled"
            return self._reply(200, {"ok": True, "l1": l1})
        if path.startswith("/l1/"):  # is this cache key held in L1? (for watching invalidations)
            key, l1 = path[len("/l1/"):], self.service.l1
            return self._reply(200, {"key": key, "in_l1": bool(l1 and l1.holds(key))})
        item_id = self._item_id(path)
        if item_id is None:
            return self._reply(404, {"error": "not found"})
        self.service.count("requests")
        row, source = self.service.get_item(item_id)
        if row is None:
            return self._reply(404, {"error": f"no item {item_id}", "source": source}, source)
        self._reply(200, {"source": source, "item": row}, source)

    def do_PUT(self):
        path, query = self._route()
        item_id = self._item_id(path)
        if item_id is None:
            return self._reply(404, {"error": "not found"})
        mode = query.get("invalidate", [self.server.default_invalidation])[0]
        if mode not in ("sync", "event", "stream"):
            return self._reply(400, {"error": "invalidate must be sync, event or stream"})
        try:
            length = int(self.headers.get("Content-Length", 0))
            changes = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
        except ValueError as error:
            return self._reply(400, {"error": f"bad body: {error}"})
        self.service.count("requests")
        row, details = self.service.update_item(item_id, changes, mode)
        if row is None:
            return self._reply(404, {"error": f"no item {item_id}"})
        self._reply(200, {"item": row, **details})

    def _route(self):
        parts = urlsplit(self.path)
        return parts.path, parse_qs(parts.query)

    @staticmethod
    def _item_id(path):
        match = re.fullmatch(r"/item/(\d+)", path)
        return int(match.group(1)) if match else None

    def _reply(self, status, body, source=None):
        data = (json.dumps(body, sort_keys=True) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if source:
            self.send_header("X-Cache", source)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        if not self.quiet:
            sys.stderr.write(f"api: {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except redis.RedisError as error:  # the cache is down or refused a command
            self._reply(503, {"error": f"cache: {type(error).__name__}: {error}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a stampede arrives all at once


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Swiftlet invalidation demo: the API server.")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://localhost:6379"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--db", default="demo.db", help="SQLite file (created and seeded if missing)")
    parser.add_argument("--ttl", type=int, default=300, help="cache TTL in seconds (SET ... EX ttl)")
    parser.add_argument("--lock-ttl", type=int, default=5, help="stampede lock TTL in seconds")
    parser.add_argument("--db-delay", type=float, default=0.0, help="make every database read this many seconds slow")
    parser.add_argument("--invalidate", choices=["sync", "event", "stream"], default="sync", help="default for PUT")
    parser.add_argument("--channel", default="invalidate:item", help="pub/sub channel of invalidation events")
    parser.add_argument("--stream", default="invalidate:item:log", help="stream of invalidation entries (invalidate=stream)")
    parser.add_argument("--no-l1", dest="l1", action="store_false", help="no in-process L1 cache")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    db.init(args.db)
    service = ItemService(args)
    if service.l1 and not service.l1.wait_online(timeout=3):
        print(f"api: L1 is not online ({service.l1.stats()['l1_status']}); serving without it meanwhile",
              file=sys.stderr, flush=True)
    Handler.service, Handler.quiet = service, args.quiet
    server = Server((args.host, args.port), Handler)
    server.default_invalidation = args.invalidate
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"api: listening on http://{host}:{port} (cache {args.redis_url}, ttl {args.ttl}s, "
          f"invalidate={args.invalidate}, l1={'on' if args.l1 else 'off'})", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        if service.l1:
            service.l1.close()


if __name__ == "__main__":
    main()
