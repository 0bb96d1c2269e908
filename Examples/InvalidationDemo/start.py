"""One command: the worker and the API server against a running Swiftlet
(or any Redis-protocol server).

    python3 start.py                                  # redis://localhost:6379, API on :8000
    python3 start.py --redis-url redis://localhost:6380 --port 8080 --ttl 30 --db-delay 0.5

Any option not listed below is passed to the API server (see `python3 app.py
--help`). Ctrl-C stops both processes.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

import db

HERE = os.path.dirname(os.path.abspath(__file__))


def start_worker(redis_url, channel="invalidate:item", log=None):
    """Starts worker.py and waits for it to subscribe."""
    process = subprocess.Popen(
        [sys.executable, "-u", os.path.join(HERE, "worker.py"), "--redis-url", redis_url, "--channel", channel],
        stdout=subprocess.PIPE, stderr=log, text=True)
    line = process.stdout.readline()
    if "subscribed" not in line:
        process.kill()
        raise RuntimeError(f"worker did not start: {line.strip() or 'exited with ' + str(process.wait())}")
    _forward(line, process.stdout, log)
    return process


def start_stream_worker(redis_url, stream="invalidate:item:log", group="invalidators", extra_args=(), log=None):
    """Starts stream_worker.py and waits until it has joined its group."""
    process = subprocess.Popen(
        [sys.executable, "-u", os.path.join(HERE, "stream_worker.py"), "--redis-url", redis_url,
         "--stream", stream, "--group", group, *extra_args],
        stdout=subprocess.PIPE, stderr=log, text=True)
    line = process.stdout.readline()
    if "consumer" not in line:
        process.kill()
        raise RuntimeError(f"stream worker did not start: {line.strip() or 'exited with ' + str(process.wait())}")
    _forward(line, process.stdout, log)
    return process


def start_api(redis_url, extra_args=(), log=None):
    """Starts app.py and returns (process, base URL) once it is listening."""
    process = subprocess.Popen(
        [sys.executable, "-u", os.path.join(HERE, "app.py"), "--redis-url", redis_url, *extra_args],
        stdout=subprocess.PIPE, stderr=log, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"API did not start: {line.strip() or 'exited with ' + str(process.wait())}")
    _forward(line, process.stdout, log)
    return process, match.group(1)


def _forward(first_line, stream, log):
    """Copies a child's stdout (from the line already read) to `log` (our
    stdout by default) in the background, so the child never blocks on a
    full pipe."""
    out = log or sys.stdout

    def copy():
        try:
            out.write(first_line)
            for line in stream:
                out.write(line)
                out.flush()
        except ValueError:  # `log` was closed after the child stopped
            pass

    threading.Thread(target=copy, daemon=True).start()


def stop(processes):
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Other options go to app.py.")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://localhost:6379"))
    parser.add_argument("--port", default="8000")
    parser.add_argument("--db", default=os.path.join(HERE, "demo.db"))
    parser.add_argument("--channel", default="invalidate:item")
    parser.add_argument("--stream", default="invalidate:item:log")
    args, api_args = parser.parse_known_args()

    db.init(args.db)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the children too
    processes = []
    try:
        processes.append(start_worker(args.redis_url, args.channel))
        processes.append(start_stream_worker(args.redis_url, args.stream))
        api, url = start_api(args.redis_url, ["--port", args.port, "--db", args.db, "--channel", args.channel,
                                              "--stream", args.stream, *api_args])
        processes.append(api)
        print(f"""
Ready. Try:
  curl -s {url}/item/42                                  # miss, then hit
  curl -s -X PUT {url}/item/42 -d '{{"price_cents": 999}}'   # update + UNLINK
  curl -s -X PUT '{url}/item/42?invalidate=event' -d '{{"name": "new"}}'
  curl -s -X PUT '{url}/item/42?invalidate=stream' -d '{{"name": "newer"}}'
  curl -s {url}/stats
Ctrl-C stops the API and the workers.
""", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("a process exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
