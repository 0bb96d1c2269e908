#!/bin/bash
# Instructions per request, and what allocation and exclusivity checks cost
# in them, for many commands, under callgrind: repeatable where timings on
# this machine are not. One server under valgrind; each command runs 2000
# times (redis-benchmark -c 1 -P 1, so every request is its own loop turn)
# between a zero and a dump of the counters.
#
#   Benchmarks/tools/callgrind_sweep.sh                 # the built-in list
#   Benchmarks/tools/callgrind_sweep.sh "ZADD bigz 1 m" "GET k:1"
#
# Columns: instructions per request; instructions per request spent inside
# swift_allocObject, malloc and swift_beginAccess (each call costs about
# 60-100, so a figure in the hundreds means a few calls per request).
# Needs valgrind and redis-benchmark; uses .build/release/swiftlet-server.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/.build/release/swiftlet-server}
PORT=${PORT:-7475}
OUT=${OUT:-$(mktemp -d)/sweep}
REQUESTS=2000
# CLIENTS > 1 lets several requests share a loop turn, as under real load.
CLIENTS=${CLIENTS:-1}
set -f  # arguments like XADD's "*" are not file patterns

if [ $# -gt 0 ]; then
    COMMANDS=("$@")
else
    COMMANDS=(
        "GET k:__rand_int__" "SET k:__rand_int__ abcdefghij" "EXPIRE k:__rand_int__ 100" "TTL k:__rand_int__"
        "SETEX k:__rand_int__ 100 abcdefghij" "SET lock:__rand_int__ 1 NX EX 5" "INCR n:__rand_int__"
        "INCRBYFLOAT f:__rand_int__ 1.5" "MGET k:1 k:2 k:3 k:4" "DEL x:__rand_int__" "APPEND a:__rand_int__ xy"
        "HGET h:__rand_int__ f2" "HGETALL h:__rand_int__" "HINCRBY h:__rand_int__ n 1"
        "ZSCORE z:__rand_int__ b" "ZRANGE z:__rand_int__ 0 -1 WITHSCORES" "ZADD bigz __rand_int__ m:__rand_int__"
        "ZRANGEBYSCORE bigz __rand_int__ +inf LIMIT 0 10" "ZRANK bigz m:__rand_int__"
        "SISMEMBER s:__rand_int__ b" "SMEMBERS s:__rand_int__" "LRANGE l:__rand_int__ 0 -1" "LPOS l:__rand_int__ c"
        "XADD st * f v" "PUBLISH ch hello" "SCAN 0 COUNT 10" "PING"
    )
fi

# Valgrind 3.19 gives up on the DWARF 5 line tables of the C files; a copy
# without debug sections keeps the symbols callgrind needs.
strip --strip-debug -o "$OUT.bin" "$BIN"
# Under valgrind the server must not re-exec itself for the huge-page heap.
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 valgrind --tool=callgrind --callgrind-out-file="$OUT" \
    "$OUT.bin" --port "$PORT" --save "" > "$OUT.log" 2>&1 &
VALGRIND=$!
for _ in $(seq 100); do redis-cli -p "$PORT" ping > /dev/null 2>&1 && break; sleep 0.2; done
BENCH=(redis-benchmark -p "$PORT" -r 1000 -q)
for prefill in "SET k:__rand_int__ abcdefghij" "HSET h:__rand_int__ f1 v1 f2 v2 f3 v3" "ZADD z:__rand_int__ 1 a 2 b 3 c" \
               "SADD s:__rand_int__ a b c" "RPUSH l:__rand_int__ a b c d" "ZADD bigz __rand_int__ m:__rand_int__"; do
    # shellcheck disable=SC2086  # the command is split into its arguments on purpose
    timeout 300 "${BENCH[@]}" -n 5000 -c 1 -P 16 $prefill > /dev/null 2>&1
done
for i in "${!COMMANDS[@]}"; do
    callgrind_control -z "$VALGRIND" > /dev/null
    # shellcheck disable=SC2086
    timeout 300 "${BENCH[@]}" -n "$REQUESTS" -c "$CLIENTS" -P 1 ${COMMANDS[$i]} > /dev/null 2>&1
    callgrind_control -d "command$i" "$VALGRIND" > /dev/null
done
kill "$VALGRIND"; wait "$VALGRIND" 2> /dev/null
set +f  # the dump files are found by pattern

inclusive() { callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" 2> /dev/null; }
printf "%-50s %8s %8s %8s %8s\n" "command" "Ir/req" "alloc" "malloc" "access"
for i in "${!COMMANDS[@]}"; do
    f=$(grep -l "dump command$i\$" "$OUT".* 2> /dev/null | head -1)
    listing=$(inclusive "$f")
    total=$(echo "$listing" | grep "PROGRAM TOTALS" | awk '{print $1}' | tr -d ,)
    cost() { echo "$listing" | grep -E "$1" | head -1 | awk '{print $1}' | tr -d ,; }
    alloc=$(cost ' \?\?\?:swift_allocObject ')
    malloc=$(cost 'malloc.c:malloc ')
    access=$(cost 'swift_beginAccess')
    printf "%-50s %8d %8d %8d %8d\n" "${COMMANDS[$i]:0:50}" $((${total:-0} / REQUESTS)) $((${alloc:-0} / REQUESTS)) \
        $((${malloc:-0} / REQUESTS)) $((${access:-0} / REQUESTS))
done
