"""An in-process L1 cache in front of the shared cache, kept fresh by
Redis client tracking (CLIENT TRACKING).

How it stays fresh
------------------
* Every read that may fill L1 goes through one dedicated connection, the
  *reader*, on which tracking is on. The server remembers which keys it has
  served on that connection.
* When any client later changes one of those keys (SET, UNLINK, DEL, expiry,
  eviction, FLUSHALL...), the server sends an invalidation message naming it.
  We use tracking's REDIRECT mode: the messages go to a second connection,
  the *listener*, subscribed to the `__redis__:invalidate` channel, and a
  background thread drops those keys from L1. Both connections speak RESP2
  (redis-py 8 defaults to RESP3): a RESP2 redirect target receives
  invalidations as ordinary pub/sub messages, which public redis-py calls
  read. (A RESP3 client could instead get them as `invalidate` push frames
  on the reader connection itself.)
* A fill started before an invalidation must not store the old value: each
  fill first puts a placeholder in L1, and keeps its result only if no
  invalidation removed the placeholder while the GET was in flight.
* An entry never outlives the shared copy: it expires locally when the key's
  TTL (read with PTTL next to the GET) runs out.
* If either connection fails, invalidations may have been lost, so L1 is
  emptied and bypassed until both connections (and tracking) are back.

Why not redis-py's own client-side cache?
-----------------------------------------
redis-py 8 has one (`redis.Redis(protocol=3, cache_config=CacheConfig())`,
`CacheConfig` from `redis.cache`), but it refuses to start unless the server
reports version 7.4 or later ("client-side caching is supported by Redis 7.4
or later"). Redis 7.0 and Swiftlet (which reports 7.0.15) are both refused, so
this module does the same job with the commands Redis 7.0 has.
"""

import collections
import sys
import threading
import time

import redis

INVALIDATION_CHANNEL = b"__redis__:invalidate"
NETWORK_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)


def _call(conn, *args):
    """Sends one command on a raw redis-py connection and returns its reply."""
    conn.send_command(*args)
    return conn.read_response()


class L1Cache:
    def __init__(self, redis_url, fallback, max_entries=10_000, max_age=300.0):
        """`fallback` is an ordinary redis.Redis client, used for reads while
        L1 is offline. `max_age` caps an entry's life even if its key has no
        TTL (a safety net; tracking is what keeps entries correct)."""
        self._url = redis_url
        self._fallback = fallback
        self._max_entries = max_entries
        self._max_age = max_age
        self._lock = threading.Lock()  # guards everything below
        self._entries = collections.OrderedDict()  # key (bytes) -> (value, expires_at) or a fill token
        self._reader = None  # the tracked connection, while online
        self._reader_lock = threading.Lock()  # one command at a time on the reader
        self._online = False
        self._broken = False  # set by a request that saw the reader fail
        self._status = "connecting"
        self._counts = {"l1_hits": 0, "l1_fills": 0, "l1_invalidation_messages": 0, "l1_evictions": 0, "l1_flushes": 0}
        self._online_event = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="l1-invalidations", daemon=True)
        self._thread.start()

    # -- reads ---------------------------------------------------------------

    def get(self, key):
        """Returns (value, source): source is "l1" when served from memory,
        "cache" when read from the server. value is None for a missing key."""
        name = key.encode()
        token = object()
        with self._lock:
            entry = self._entries.get(name)
            if type(entry) is tuple and entry[1] > time.monotonic():
                self._entries.move_to_end(name)
                self._counts["l1_hits"] += 1
                return entry[0], "l1"
            online, reader = self._online, self._reader
            if online:
                self._entries[name] = token  # placeholder: a fill is in flight
        if not online:
            return self._fallback.get(key), "cache"
        try:
            with self._reader_lock:
                if self._reader is not reader:  # went offline meanwhile
                    return self._fallback.get(key), "cache"
                reader.send_packed_command(reader.pack_commands([("GET", key), ("PTTL", key)]))
                value = reader.read_response()
                pttl = reader.read_response()
        except NETWORK_ERRORS as error:
            self._connection_failed(f"reader: {error}")
            return self._fallback.get(key), "cache"
        with self._lock:
            if self._entries.get(name) is token:
                if value is None:
                    del self._entries[name]
                else:
                    life = pttl / 1000 if pttl > 0 else self._max_age
                    self._entries[name] = (value, time.monotonic() + min(life, self._max_age))
                    self._counts["l1_fills"] += 1
                    while len(self._entries) > self._max_entries:
                        self._entries.popitem(last=False)
        return value, "cache"

    def holds(self, key):
        """Whether L1 would answer a read of `key` from memory right now."""
        with self._lock:
            entry = self._entries.get(key.encode())
            return type(entry) is tuple and entry[1] > time.monotonic()

    def evict(self, key):
        """Drops a key this process knows it has just changed."""
        with self._lock:
            self._entries.pop(key.encode(), None)

    def wait_online(self, timeout):
        return self._online_event.wait(timeout)

    def stats(self):
        with self._lock:
            return {**self._counts, "l1_entries": len(self._entries), "l1_status": self._status}

    def close(self):
        self._stopping.set()
        self._thread.join(timeout=2)

    # -- invalidations -------------------------------------------------------

    def _invalidate(self, keys):
        with self._lock:
            self._counts["l1_invalidation_messages"] += 1
            if keys is None:  # FLUSHALL / FLUSHDB: everything is stale
                self._counts["l1_evictions"] += len(self._entries)
                self._entries.clear()
                return
            for name in keys:
                if self._entries.pop(name, None) is not None:
                    self._counts["l1_evictions"] += 1

    def _connection_failed(self, reason):
        with self._lock:
            self._broken = True
            self._go_offline(reason)

    def _go_offline(self, reason):  # called with self._lock held
        if self._online:
            print(f"l1: offline ({reason}); emptied", file=sys.stderr, flush=True)
            self._counts["l1_flushes"] += 1
        self._online = False
        self._status = f"offline: {reason}"
        self._entries.clear()

    def _run(self):
        """The listener thread: connects, then applies invalidations until a
        connection fails, then starts again."""
        delay, last_reason = 0.2, None
        while not self._stopping.is_set():
            listener = reader = None
            try:
                pool = redis.ConnectionPool.from_url(self._url, protocol=2)
                listener = pool.make_connection()
                listener.connect()
                listener_id = _call(listener, "CLIENT", "ID")
                _call(listener, "SUBSCRIBE", INVALIDATION_CHANNEL)
                reader = pool.make_connection()
                reader.connect()
                _call(reader, "CLIENT", "TRACKING", "ON", "REDIRECT", listener_id)
                with self._lock:
                    self._reader, self._online, self._broken = reader, True, False
                    self._status = "online"
                self._online_event.set()
                print(f"l1: online (tracking redirected to client {listener_id})", file=sys.stderr, flush=True)
                delay = 0.2
                while not self._stopping.is_set() and not self._broken:
                    if listener.can_read(timeout=0.2):
                        kind, channel, keys = listener.read_response()[:3]
                        if kind == b"message" and channel == INVALIDATION_CHANNEL:
                            self._invalidate(keys)
                reason = "stopping" if self._stopping.is_set() else "reader connection failed"
            except (redis.RedisError, OSError) as error:
                reason = f"{type(error).__name__}: {error}"
            with self._lock:
                was_online = self._online
                self._go_offline(reason)
                self._reader = None
            if not was_online and reason != last_reason:
                print(f"l1: cannot go online ({reason}); retrying", file=sys.stderr, flush=True)
            last_reason = reason
            with self._reader_lock:  # no request is using the reader now
                for conn in (listener, reader):
                    if conn is not None:
                        conn.disconnect()
            self._stopping.wait(delay)
            delay = min(delay * 2, 5.0)
