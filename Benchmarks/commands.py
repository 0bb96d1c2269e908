#!/usr/bin/env python3
"""Many commands beyond the core GET/SET set: redis-server vs swiftlet-server,
same machine, same run, server CPU per request as the figure to compare.

    python3 Benchmarks/commands.py                 # every command, repeat 1
    python3 Benchmarks/commands.py --repeat 3      # medians of 3 interleaved runs
    python3 Benchmarks/commands.py ZADD_big HGET   # some of them
    python3 Benchmarks/commands.py --pipeline 1 EVAL_INCR

Each command runs on a fresh server prefilled with strings, small hashes,
sorted sets, sets and lists over a 100k-key space and one big sorted set
(redis-benchmark, 50 clients, pipeline 16, 300k requests). This is a sweep
for finding commands that are slower than Redis's, not a goal: the report
(`report.py`) holds the goals. Writes Benchmarks/results/commands.md.
"""
import argparse, os, socket, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Server, add_pair_arguments, publish_results, redis_benchmark, resp, round_order, server_pair  # noqa: E402

KEYSPACE = 100_000
PREFILL = [
    ["SET", "k:__rand_int__", "abcdefghij"],
    ["HSET", "h:__rand_int__", "f1", "v1", "f2", "v2", "f3", "v3"],
    ["ZADD", "z:__rand_int__", "1", "a", "2", "b", "3", "c"],
    ["SADD", "s:__rand_int__", "a", "b", "c"],
    ["RPUSH", "l:__rand_int__", "a", "b", "c", "d"],
    ["ZADD", "bigz", "__rand_int__", "m:__rand_int__"],
    ["RPUSH", "bigl", "__rand_int__"],
    ["XADD", "stream", "*", "field", "__rand_int__"],
]
COMMANDS = {
    "EXPIRE": ["EXPIRE", "k:__rand_int__", "100"],
    "TTL": ["TTL", "k:__rand_int__"],
    "EXISTS": ["EXISTS", "k:__rand_int__"],
    "SETEX": ["SETEX", "k:__rand_int__", "100", "abcdefghij"],
    "GETEX": ["GETEX", "k:__rand_int__", "EX", "100"],
    "DEL": ["DEL", "k:__rand_int__"],
    "APPEND": ["APPEND", "a:__rand_int__", "xy"],
    "STRLEN": ["STRLEN", "k:__rand_int__"],
    "GETRANGE": ["GETRANGE", "k:__rand_int__", "2", "5"],
    "INCRBYFLOAT": ["INCRBYFLOAT", "f:__rand_int__", "1.5"],
    "TYPE": ["TYPE", "k:__rand_int__"],
    "SET_NX_EX": ["SET", "lock:__rand_int__", "1", "NX", "EX", "5"],
    "HGET": ["HGET", "h:__rand_int__", "f2"],
    "HGETALL": ["HGETALL", "h:__rand_int__"],
    "HINCRBY": ["HINCRBY", "h:__rand_int__", "n", "1"],
    "HMGET": ["HMGET", "h:__rand_int__", "f1", "f3"],
    "HDEL": ["HDEL", "h:__rand_int__", "f1"],
    "ZSCORE": ["ZSCORE", "z:__rand_int__", "b"],
    "ZINCRBY": ["ZINCRBY", "z:__rand_int__", "1", "b"],
    "ZRANGE": ["ZRANGE", "z:__rand_int__", "0", "-1", "WITHSCORES"],
    "ZCARD": ["ZCARD", "z:__rand_int__"],
    "ZADD_big": ["ZADD", "bigz", "__rand_int__", "m:__rand_int__"],
    "ZRANGEBYSCORE_big": ["ZRANGEBYSCORE", "bigz", "__rand_int__", "+inf", "LIMIT", "0", "10"],
    "ZRANK_big": ["ZRANK", "bigz", "m:__rand_int__"],
    "ZREM_big": ["ZREM", "bigz", "m:__rand_int__"],
    "SISMEMBER": ["SISMEMBER", "s:__rand_int__", "b"],
    "SMEMBERS": ["SMEMBERS", "s:__rand_int__"],
    "SREM": ["SREM", "s:__rand_int__", "a"],
    "LINDEX": ["LINDEX", "l:__rand_int__", "2"],
    "LRANGE": ["LRANGE", "l:__rand_int__", "0", "-1"],
    "LLEN": ["LLEN", "l:__rand_int__"],
    "XADD": ["XADD", "stream", "*", "field", "__rand_int__"],
    "PUBLISH": ["PUBLISH", "ch", "hello"],
    "PING": ["PING"],
    "ECHO": ["ECHO", "hello"],
    # Second batch (2026-12-06): every other family's everyday commands.
    # Destructive ones (GETDEL, SPOP, ZPOPMIN, RPOP) empty their keys
    # part-way, so they measure a mix of hits and misses, the same on both.
    "GETSET": ["GETSET", "k:__rand_int__", "abcdefghij"],
    "GETDEL": ["GETDEL", "k:__rand_int__"],
    "SETRANGE": ["SETRANGE", "k:__rand_int__", "2", "xy"],
    "SETNX": ["SETNX", "k:__rand_int__", "abcdefghij"],
    "PSETEX": ["PSETEX", "k:__rand_int__", "100000", "abcdefghij"],
    "INCRBY": ["INCRBY", "n:__rand_int__", "5"],
    "DECR": ["DECR", "n:__rand_int__"],
    "PEXPIRE": ["PEXPIRE", "k:__rand_int__", "100000"],
    "PERSIST": ["PERSIST", "k:__rand_int__"],
    "PTTL": ["PTTL", "k:__rand_int__"],
    "EXPIRETIME": ["EXPIRETIME", "k:__rand_int__"],
    "TOUCH": ["TOUCH", "k:__rand_int__"],
    "UNLINK": ["UNLINK", "k:__rand_int__"],
    "EXISTS_3": ["EXISTS", "k:__rand_int__", "k:__rand_int__", "k:__rand_int__"],
    "COPY": ["COPY", "k:__rand_int__", "c:__rand_int__", "REPLACE"],
    "OBJECT_ENCODING": ["OBJECT", "ENCODING", "k:__rand_int__"],
    "DBSIZE": ["DBSIZE"],
    "RANDOMKEY": ["RANDOMKEY"],
    "HSETNX": ["HSETNX", "h:__rand_int__", "f1", "x"],
    "HSET_new": ["HSET", "h:__rand_int__", "f4", "v4"],
    "HINCRBYFLOAT": ["HINCRBYFLOAT", "h:__rand_int__", "x", "1.5"],
    "HEXISTS": ["HEXISTS", "h:__rand_int__", "f1"],
    "HLEN": ["HLEN", "h:__rand_int__"],
    "HKEYS": ["HKEYS", "h:__rand_int__"],
    "HVALS": ["HVALS", "h:__rand_int__"],
    "HSTRLEN": ["HSTRLEN", "h:__rand_int__", "f2"],
    "HRANDFIELD": ["HRANDFIELD", "h:__rand_int__"],
    "HRANDFIELD_2": ["HRANDFIELD", "h:__rand_int__", "2", "WITHVALUES"],
    "LPUSH": ["LPUSH", "l:__rand_int__", "x"],
    "RPOP": ["RPOP", "l:__rand_int__"],
    "LSET": ["LSET", "bigl", "1", "x"],
    "LINSERT": ["LINSERT", "l:__rand_int__", "BEFORE", "c", "x"],
    "LREM": ["LREM", "l:__rand_int__", "1", "x"],
    "LTRIM": ["LTRIM", "l:__rand_int__", "0", "99"],
    "LMOVE": ["LMOVE", "bigl", "bigl", "LEFT", "RIGHT"],
    "RPOPLPUSH": ["RPOPLPUSH", "bigl", "bigl"],
    "BLMOVE": ["BLMOVE", "bigl", "bigl", "LEFT", "RIGHT", "1"],
    # bigl holds 200k elements: the 13.5% of l: keys the prefill never
    # reached fall through to it instead of blocking.
    "BLPOP": ["BLPOP", "l:__rand_int__", "bigl", "1"],
    "SADD_new": ["SADD", "s:__rand_int__", "d"],
    "SCARD": ["SCARD", "s:__rand_int__"],
    "SMISMEMBER": ["SMISMEMBER", "s:__rand_int__", "a", "d"],
    "SRANDMEMBER": ["SRANDMEMBER", "s:__rand_int__"],
    "SRANDMEMBER_2": ["SRANDMEMBER", "s:__rand_int__", "2"],
    "SPOP": ["SPOP", "s:__rand_int__"],
    "SUNION": ["SUNION", "s:__rand_int__", "s:__rand_int__"],
    "SINTER": ["SINTER", "s:__rand_int__", "s:__rand_int__"],
    "SDIFF": ["SDIFF", "s:__rand_int__", "s:__rand_int__"],
    "SUNIONSTORE": ["SUNIONSTORE", "d:__rand_int__", "s:__rand_int__", "s:__rand_int__"],
    "SINTERCARD": ["SINTERCARD", "2", "s:__rand_int__", "s:__rand_int__"],
    "SMOVE": ["SMOVE", "s:__rand_int__", "s:__rand_int__", "a"],
    "ZCOUNT": ["ZCOUNT", "z:__rand_int__", "1", "2"],
    "ZLEXCOUNT": ["ZLEXCOUNT", "z:__rand_int__", "[a", "[b"],
    "ZREVRANGE": ["ZREVRANGE", "z:__rand_int__", "0", "-1"],
    "ZRANGEBYLEX": ["ZRANGEBYLEX", "z:__rand_int__", "-", "+"],
    "ZMSCORE": ["ZMSCORE", "z:__rand_int__", "a", "c"],
    "ZRANDMEMBER": ["ZRANDMEMBER", "z:__rand_int__"],
    "ZPOPMIN": ["ZPOPMIN", "z:__rand_int__"],
    "ZUNIONSTORE": ["ZUNIONSTORE", "d:__rand_int__", "2", "z:__rand_int__", "z:__rand_int__"],
    "ZINTERSTORE": ["ZINTERSTORE", "d:__rand_int__", "2", "z:__rand_int__", "z:__rand_int__"],
    "ZUNION": ["ZUNION", "2", "z:__rand_int__", "z:__rand_int__", "WITHSCORES"],
    "ZRANGESTORE": ["ZRANGESTORE", "d:__rand_int__", "z:__rand_int__", "0", "-1"],
    "ZREVRANK_big": ["ZREVRANK", "bigz", "m:__rand_int__"],
    "ZRANGE_big_index": ["ZRANGE", "bigz", "1000", "1010"],
    "XLEN": ["XLEN", "stream"],
    "XRANGE": ["XRANGE", "stream", "-", "+", "COUNT", "10"],
    "XREVRANGE": ["XREVRANGE", "stream", "+", "-", "COUNT", "10"],
    "XREAD": ["XREAD", "COUNT", "10", "STREAMS", "stream", "0-0"],
    "TIME": ["TIME"],
    # PUBLISH while one idle client holds 1000 pattern subscriptions that
    # never match (see SETUP): every publish still tests every pattern.
    "EVAL_INCR": ["EVAL", "return redis.call('INCR', KEYS[1])", "1", "c:__rand_int__"],
    "EVAL_GET": ["EVAL", "return redis.call('GET', KEYS[1])", "1", "k:__rand_int__"],
    "EVAL_unlock": ["EVAL", "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
                    "1", "k:__rand_int__", "abcdefghij"],
    "PUBLISH_1000_patterns": ["PUBLISH", "ch:__rand_int__", "hello"],
    # The same work as EVAL_INCR and EVAL_unlock, as functions (see SETUP).
    "FCALL_INCR": ["FCALL", "bench_incr", "1", "c:__rand_int__"],
    "FCALL_unlock": ["FCALL", "bench_unlock", "1", "k:__rand_int__", "abcdefghij"],
}

BENCH_LIBRARY = (b"#!lua name=bench\n"
                 b"redis.register_function('bench_incr', function(keys) return redis.call('INCR', keys[1]) end)\n"
                 b"redis.register_function('bench_unlock', function(keys, args) "
                 b"if redis.call('GET', keys[1]) == args[1] then return redis.call('DEL', keys[1]) else return 0 end end)")

# Commands that need a live connection set up first (subscriptions cannot be
# prefilled): what the table says about it, and a function of the server
# returning the socket to hold open.
SETUP = {
    "PUBLISH_1000_patterns": ("1000 patterns subscribed",
                              lambda server: subscribed(server, b"PSUBSCRIBE", [b"news.*.p%d" % i for i in range(1000)])),
    "FCALL_INCR": ("library loaded", lambda server: loaded(server, BENCH_LIBRARY)),
    "FCALL_unlock": ("library loaded", lambda server: loaded(server, BENCH_LIBRARY)),
}


def loaded(server, code):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(resp(b"FUNCTION", b"LOAD", code))
    reply = s.recv(1 << 16)
    if not reply.startswith(b"$"):
        raise RuntimeError(f"FUNCTION LOAD failed: {reply!r}")
    return s


def subscribed(server, command, names):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(resp(command, *names))
    # One confirmation per name; wait for all of them.
    data = b""
    while data.count(b"\r\n:") < len(names):
        data += s.recv(1 << 20)
    return s


def main():
    ap = argparse.ArgumentParser()
    add_pair_arguments(ap, repeat=1)
    ap.add_argument("--pipeline", type=int, default=16, help="requests per batch (default 16)")
    ap.add_argument("names", nargs="*", help="commands to run (default: all): " + " ".join(COMMANDS))
    args = ap.parse_args()
    unknown = [n for n in args.names if n not in COMMANDS]
    if unknown:
        ap.error(f"unknown command name(s): {' '.join(unknown)}")
    args.names = args.names or list(COMMANDS)
    binaries = server_pair(args)
    samples = {}
    for rep in range(args.repeat):
        for name in args.names:
            # Interleaved, and the order swapped every round.
            for b, argv in round_order(binaries, rep):
                s = Server(b, argv)
                try:
                    for command in PREFILL:
                        redis_benchmark(s, None, 200_000, 16, 0, keyspace=KEYSPACE, command=command)
                    held = SETUP[name][1](s) if name in SETUP else None
                    r = redis_benchmark(s, None, 300_000, args.pipeline, 0, keyspace=KEYSPACE, command=COMMANDS[name])
                    if held:
                        held.close()
                finally:
                    s.stop()
                samples.setdefault((name, b), []).append(r)
                print(f"  [{rep + 1}/{args.repeat}] {name} {b}: {r['cpu_us']:.3f} us/req", file=sys.stderr)
    lines = [f"Command sweep {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, redis-benchmark -c 50 -P {args.pipeline} "
             f"-n 300000 -r {KEYSPACE}, medians of {args.repeat} runs, fresh prefilled servers\n",
             "| command | redis CPU us/req | swiftlet CPU us/req | CPU swiftlet/redis | req/s swiftlet/redis |",
             "|---|---:|---:|---:|---:|"]
    for name in args.names:
        cpu = {b: statistics.median(x["cpu_us"] for x in samples[(name, b)]) for b, _ in binaries}
        rps = {b: statistics.median(x["rps"] for x in samples[(name, b)]) for b, _ in binaries}
        label = " ".join(COMMANDS[name]) + (f" ({SETUP[name][0]})" if name in SETUP else "")
        lines.append(f"| {label} | {cpu['redis']:.3f} | {cpu['swiftlet']:.3f} | "
                     f"{cpu['swiftlet'] / cpu['redis']:.2f} | {rps['swiftlet'] / rps['redis']:.2f} |")
    text = "\n".join(lines) + "\n"
    publish_results("commands.md", text)


if __name__ == "__main__":
    main()
