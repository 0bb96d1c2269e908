"""The invalidation worker: SUBSCRIBE to the invalidation channel and UNLINK
the keys named by each event.

An event is a JSON object such as
    {"keys": ["item:42"], "table": "items", "id": 42, "version": 3}
published by the API after it has updated the row. Pub/sub delivers only to
connected subscribers, which is why the API falls back to deleting the key
itself when PUBLISH reports that nobody received the event.
"""

import argparse
import json
import os
import signal
import sys
import time

import redis


def handle(client, data):
    try:
        event = json.loads(data)
        keys = [str(key) for key in event["keys"]]
    except (ValueError, KeyError, TypeError) as error:
        print(f"worker: ignored malformed event {data!r}: {error}", file=sys.stderr, flush=True)
        return
    removed = client.unlink(*keys) if keys else 0
    print(f"worker: UNLINK {' '.join(keys)} -> {removed} (event {event})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Swiftlet invalidation demo: the worker.")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://localhost:6379"))
    parser.add_argument("--channel", default="invalidate:item")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    client = redis.Redis.from_url(args.redis_url)
    while True:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(args.channel)
            print(f"worker: subscribed to {args.channel} on {args.redis_url}", flush=True)
            for message in pubsub.listen():
                if message["type"] == "message":
                    handle(client, message["data"])
        except (redis.ConnectionError, redis.TimeoutError) as error:
            # Events published while we are away are lost; the TTL bounds how
            # long a key we missed can stay stale.
            print(f"worker: connection lost ({error}); reconnecting", file=sys.stderr, flush=True)
            time.sleep(1)
        except KeyboardInterrupt:
            return


if __name__ == "__main__":
    main()
