"""The stream invalidation worker: a consumer in a consumer group that
deletes the keys each invalidation entry names, then acknowledges it.

Unlike pub/sub, a stream keeps every entry. The API appends one per write
(`XADD invalidate:item:log * event <json>`); the group remembers what it has
delivered, and each delivered entry stays pending until this worker XACKs
it. So nothing is lost when the worker is down (entries wait in the stream)
or dies half-way (its pending entries are read again when it restarts, and
entries another consumer left pending for too long are taken over with
XAUTOCLAIM).

    python3 stream_worker.py --redis-url redis://localhost:6379
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

import redis

from worker import handle


def main(argv=None):
    parser = argparse.ArgumentParser(description="Swiftlet invalidation demo: the stream worker.")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://localhost:6379"))
    parser.add_argument("--stream", default="invalidate:item:log")
    parser.add_argument("--group", default="invalidators")
    parser.add_argument("--consumer", default=f"{socket.gethostname()}-{os.getpid()}")
    parser.add_argument("--claim-idle-ms", type=int, default=30_000,
                        help="take over entries another consumer left unacknowledged this long")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    while True:
        try:
            try:
                # `0`: a new group also sees entries written before it existed.
                client.xgroup_create(args.stream, args.group, id="0", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise
            print(f"worker: consumer {args.consumer} of group {args.group} on stream {args.stream}", flush=True)
            # First our own pending entries (read before a crash, never acknowledged).
            process(client, args, client.xreadgroup(args.group, args.consumer, {args.stream: "0"}))
            while True:
                # Entries abandoned by dead consumers, then new ones.
                _, claimed, _ = client.xautoclaim(args.stream, args.group, args.consumer,
                                                  min_idle_time=args.claim_idle_ms, start_id="0-0", count=100)
                process(client, args, [[args.stream, claimed]])
                process(client, args, client.xreadgroup(args.group, args.consumer, {args.stream: ">"},
                                                        count=100, block=1000))
        except (redis.ConnectionError, redis.TimeoutError) as error:
            print(f"worker: connection lost ({error}); reconnecting", file=sys.stderr, flush=True)
            time.sleep(1)
        except KeyboardInterrupt:
            return


def process(client, args, reply):
    """Deletes the keys of each entry, then acknowledges it (so a crash in
    between means it is processed again: deleting a key twice is harmless)."""
    for _, entries in reply or []:
        for entry_id, fields in entries:
            if fields:  # None: the entry was trimmed away; nothing to delete
                handle(client, fields.get("event", "{}"))
            client.xack(args.stream, args.group, entry_id)
            print(f"worker: XACK {entry_id}", flush=True)


if __name__ == "__main__":
    main()
