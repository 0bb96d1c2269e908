#!/usr/bin/env bash
# CI entry point for the invalidation demo: makes redis-py available, starts
# a server if needed, runs scenario.py against it and exits with its status.
#
#   SWIFTLET_SERVER=.build/release/swiftlet-server Examples/InvalidationDemo/ci.sh
#   REDIS_PORT=6379 Examples/InvalidationDemo/ci.sh          # a server already running
#   SWIFTLET_SERVER=redis-server Examples/InvalidationDemo/ci.sh   # the reference, same flags
#
# Then redis_py_checks.py runs against the same server. Arguments are passed
# to scenario.py (e.g. --no-l1, --verbose). Exit status: 0 = every path and
# check passed, 2 = no server given, 77 = no Python 3.10+ here.
# PYTHON picks the interpreter (default python3; redis-py 8 needs 3.10+).
# redis-py is installed, if the interpreter lacks it, into .deps/ here
# (pip --target: no system or user site is touched).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"

# Exit status 77 means "cannot run here" (no suitable Python), for callers that skip.
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "$python is missing or older than 3.10 (redis-py 8 needs 3.10+)" >&2
    exit 77
fi

have_redis_py() {
    "$python" -c 'import redis, sys; sys.exit(int(redis.__version__.split(".")[0]) < 8)' 2>/dev/null
}
if ! have_redis_py; then
    export PYTHONPATH="$here/.deps${PYTHONPATH:+:$PYTHONPATH}"
    if ! have_redis_py; then
        echo "installing redis-py into $here/.deps" >&2
        "$python" -m pip install --quiet --disable-pip-version-check --target "$here/.deps" -r "$here/requirements.txt"
    fi
fi

server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

if [ -n "${REDIS_PORT:-}" ]; then
    port="$REDIS_PORT"
elif [ -n "${SWIFTLET_SERVER:-}" ]; then
    port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="$(mktemp)"
    "$SWIFTLET_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$log" 2>&1 &
    server_pid=$!
    if ! "$python" - "$port" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
    then
        echo "$SWIFTLET_SERVER did not answer PING on port $port:" >&2
        cat "$log" >&2
        exit 1
    fi
    rm -f "$log"
else
    echo "set SWIFTLET_SERVER (a server binary to start) or REDIS_PORT (a running server)" >&2
    exit 2
fi

status=0
"$python" "$here/scenario.py" --redis-port "$port" "$@" || status=$?
# redis-py's own MULTI/EXEC, WATCH and client-side cache against the same server.
"$python" "$here/redis_py_checks.py" --port "$port" || status=1
exit "$status"
