#!/usr/bin/env python3
"""Stress for scripts that run long: many clients keep sending while EVALs
run past busy-reply-threshold, and the server must stay answerable.

    python3 Tests/stress/busy_scripts.py .build/release/swiftlet-server [seconds]

For each backend (io_uring, epoll) and 1 and 2 event loops it starts the
server with busy-reply-threshold 50, runs 12 clients for `seconds` (20 by
default) that send random GET/SET/INCR/PING, MULTI/EXEC/WATCH, SCRIPT KILL,
short EVALs and EVALs of up to 8M loop iterations, in random pieces and with
random pauses, and disconnect at random. Then one client must get +PONG
after a SCRIPT KILL, and SHUTDOWN NOSAVE must end the server. Prints one
line per configuration; exits 1 if any failed (a hang shows as a timeout,
with the server's threads printed by gdb when it is installed).

Not part of the test suite (it takes minutes and its schedule is random);
run it after changing the event loop or the scripting engine. It found a
hang (the pipeline prefetch waiting on a shard held by the script's own
thread) that the suite did not.
"""
import random, socket, subprocess, sys, threading, time

PORT = 7461


def enc(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def client(seed, stop, errors):
    r = random.Random(seed)
    while time.time() < stop:
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
            s.settimeout(5)
            n = r.randint(1, 30)
            batch = b""
            for _ in range(n):
                c = r.random()
                key = "k%d" % r.randint(0, 9)
                if c < 0.05:
                    loops = r.choice([10, 1000, 3_000_000, 8_000_000])
                    batch += enc("EVAL", "local i = 0 while i < %d do i = i + 1 end return i" % loops, 0)
                elif c < 0.10:
                    batch += enc("SCRIPT", "KILL")
                elif c < 0.15:
                    batch += enc("MULTI")
                elif c < 0.20:
                    batch += enc("EXEC")
                elif c < 0.25:
                    batch += enc("EVAL", "return redis.call('INCR', KEYS[1])", 1, key)
                elif c < 0.30:
                    batch += enc("WATCH", key)
                elif c < 0.65:
                    batch += enc(r.choice(["GET", "PING", "INCR"]), key)
                else:
                    batch += enc("SET", key, "v" * r.randint(1, 3000))
            while batch:
                k = r.randint(1, len(batch))
                s.sendall(batch[:k])
                batch = batch[k:]
                if r.random() < 0.3:
                    time.sleep(r.random() * 0.05)
            if r.random() < 0.3:
                s.close()
                continue
            got = b""
            try:
                while got.count(b"\r\n") < n:
                    data = s.recv(65536)
                    if not data:
                        break
                    got += data
            except socket.timeout:
                pass
            s.close()
        except OSError as e:
            errors.append(repr(e))


def run(binary, backend, loops, seconds):
    server = subprocess.Popen(["env", "SWIFTLET_IO_BACKEND=" + backend, binary, "--port", str(PORT),
                               "--busy-reply-threshold", "50", "--io-threads", str(loops)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    stop, errors = time.time() + seconds, []
    threads = [threading.Thread(target=client, args=(i, stop, errors)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict = "ok"
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        s.settimeout(15)
        s.sendall(enc("SCRIPT", "KILL"))
        s.recv(1000)
        time.sleep(0.3)
        s.sendall(enc("PING"))
        reply = s.recv(100)
        if reply != b"+PONG\r\n":
            verdict = "answered %r" % reply
        s.sendall(enc("SHUTDOWN", "NOSAVE"))
        server.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        verdict = "FAILED: %r" % e
        try:
            print(subprocess.run(["gdb", "-p", str(server.pid), "-batch", "-ex", "thread apply all bt 12"],
                                 capture_output=True, text=True, timeout=60).stdout)
        except (OSError, subprocess.TimeoutExpired):
            pass
        server.kill()
    print(f"{backend} io-threads {loops}: {verdict} (client errors: {len(errors)})", flush=True)
    return verdict == "ok"


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/swiftlet-server"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    results = [run(binary, backend, loops, seconds) for backend in ("io_uring", "epoll") for loops in (1, 2)]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
