import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Swiftlet
import Commands
import Storage
import TestSupport
import Dispatch
import Networking

/// Scripting beyond Conformance/cases/scripting.case: what needs several
/// connections at once. A script that never ends must leave the server
/// able to answer (BUSY once past busy-reply-threshold) and to take
/// SCRIPT KILL, as Redis does; scripts are atomic against commands from
/// every event loop.
final class ScriptingTests: XCTestCase {
    /// A script that never ends by itself.
    static let runaway = ["EVAL", "local i = 0 while true do i = i + 1 end", "0"]

    /// Swiftlet's event-loop backends on this machine.
    static var backends: [IOBackend] { IOBackend.ringIsAvailable ? [.epoll, .ioUring] : [.epoll] }

    /// Runs `exchange` against Redis, then Swiftlet, both started with
    /// busy-reply-threshold 100 ms and `arguments` (Swiftlet on `backend`),
    /// and expects the same transcript from both. Returns Swiftlet's.
    @discardableResult
    func sameTranscript(_ arguments: [String] = [], backend: IOBackend = .fromEnvironment,
                        started: (SwiftletServer) -> Void = { _ in },
                        _ exchange: (_ label: String, _ port: Int) throws -> [String]) throws -> [String] {
        let pair = try DifferentialPair.start(["--busy-reply-threshold", "100"] + arguments, backend: backend)
        defer { pair.stop() }
        started(pair.swiftlet)
        let transcripts = try pair.servers.map { try exchange($0.label, $0.port) }
        XCTAssertEqual(transcripts[0], transcripts[1], "\(arguments) on \(backend)")
        return transcripts[1]
    }

    /// The same exchange on Redis and on Swiftlet (one event loop, Redis's
    /// default, where the script must not occupy the loop the other client
    /// is served by): a runaway script, BUSY, SCRIPT KILL, the killed
    /// script's error, and the server back to normal.
    func testRunawayScriptGetsBusyAndScriptKillLikeRedis() throws {
        let transcript = try sameTranscript { _, port in
            let runner = try TestConnection(port: port), other = try TestConnection(port: port)
            try runner.send(command: Self.runaway)
            usleep(400_000)
            return [
                RESPValue.escape(try other.call("GET", "x").serialized),
                RESPValue.escape(try other.call("SCRIPT", "KILL").serialized),
                RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)),
                RESPValue.escape(try other.call("PING").serialized),
                RESPValue.escape(try runner.call("SCRIPT", "KILL").serialized),
            ]
        }
        XCTAssertTrue(transcript[0].contains("-BUSY"), "the other client got \(transcript[0])")
    }

    /// While a script runs past busy-reply-threshold on the loop that serves
    /// everyone (scripts run on their client's loop), that loop still
    /// serves its other clients: a client connecting meanwhile, the
    /// commands Redis lets through (MULTI, DISCARD, WATCH…) and the BUSY
    /// refusals of the rest, SHUTDOWN without NOSAVE refused, a request
    /// the running client pipelines behind its script (answered after
    /// it), a client leaving meanwhile, and a running client that leaves
    /// before its script is killed. Same transcript as Redis's, on each
    /// of Swiftlet's event-loop backends.
    func testBusyLoopServesItsOtherClientsLikeRedis() throws {
        for backend in Self.backends {
            let transcript = try sameTranscript(backend: backend) { _, port in
                let runner = try TestConnection(port: port), other = try TestConnection(port: port)
                let leaver = try TestConnection(port: port), execer = try TestConnection(port: port)
                var lines: [String] = []
                func record(_ c: TestConnection, _ args: String...) throws {
                    lines.append(args.joined(separator: " ") + " -> " + RESPValue.escape(try c.call(args).serialized))
                }
                try runner.send(command: Self.runaway)
                usleep(300_000)
                try runner.send(command: ["PING", "after"])
                leaver.close()
                let newcomer = try TestConnection(port: port)
                try record(newcomer, "GET", "x")
                try record(newcomer, "PING")
                // Refused inside MULTI: the transaction is doomed; EXEC refused: EXECABORT.
                try record(newcomer, "MULTI")
                try record(newcomer, "SET", "x", "2")
                try record(execer, "MULTI")
                try record(execer, "EXEC")
                try record(other, "MULTI")
                try record(other, "SET", "x", "1")
                try record(other, "DISCARD")
                try record(other, "WATCH", "x")
                try record(other, "UNWATCH")
                try record(other, "CLIENT", "SETNAME", "n")
                try record(other, "SCRIPT", "LOAD", "return 1")
                try record(other, "SHUTDOWN")
                // Pipelined requests (the loop prefetches the next one's key:
                // a prefetch that waited on a shard the script holds hung here).
                try other.send([["GET", "a"], ["GET", "b"], ["GET", "c"]].flatMap { TestConnection.encode($0.map { Array($0.utf8) }) })
                for _ in 0..<3 { lines.append("pipelined: " + RESPValue.escape(try other.readFrameBytes(timeoutMs: 5000))) }
                try record(other, "SCRIPT", "KILL")
                lines.append("runner: " + RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)))
                lines.append("runner: " + RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)))
                try record(newcomer, "EXEC")
                try record(newcomer, "GET", "x")
                // The running client leaves before its script is killed.
                let vanishing = try TestConnection(port: port)
                try vanishing.send(command: Self.runaway)
                usleep(300_000)
                vanishing.close()
                usleep(50_000)
                try record(other, "PING")
                try record(other, "SCRIPT", "KILL")
                // (Redis may still answer BUSY right after SCRIPT KILL: it
                // goes on serving events for a few rounds before the kill.)
                usleep(200_000)
                try record(other, "PING")
                return lines
            }
            XCTAssertTrue(transcript[0].contains("-BUSY"), "the newcomer got \(transcript[0])")
        }
    }

    /// A runaway script queued in MULTI runs when EXEC does, and is as
    /// killable as an EVAL: other clients (on the script's loop and on
    /// another) get BUSY, SCRIPT KILL ends it, and the transaction goes on
    /// with the killed script's error in its place. Same transcript as
    /// Redis's, with one loop on each backend and with two loops.
    func testRunawayScriptInsideExecIsKillableLikeRedis() throws {
        var setups: [([String], IOBackend)] = Self.backends.map { ([], $0) }
        setups.append((["--io-threads", "2"], .fromEnvironment))
        for (arguments, backend) in setups {
            let transcript = try sameTranscript(arguments, backend: backend) { _, port in
                // With two loops, connections alternate between them.
                let runner = try TestConnection(port: port), first = try TestConnection(port: port)
                let second = try TestConnection(port: port)
                var lines: [String] = []
                func record(_ c: TestConnection, _ args: String...) throws {
                    lines.append(args.joined(separator: " ") + " -> " + RESPValue.escape(try c.call(args).serialized))
                }
                try record(runner, "MULTI")
                try record(runner, "SET", "k", "1")
                try record(runner, Self.runaway[0], Self.runaway[1], Self.runaway[2])
                try record(runner, "GET", "k")
                try runner.send(command: ["EXEC"])
                usleep(300_000)
                try record(first, "GET", "k")
                try record(second, "GET", "k")
                try record(second, "SCRIPT", "KILL")
                lines.append("runner: " + RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)))
                usleep(200_000)
                try record(first, "PING")
                try record(second, "INCR", "k")
                try record(runner, "GET", "k")
                return lines
            }
            XCTAssertTrue(transcript[4].contains("-BUSY"), "the first client got \(transcript[4])")
        }
    }

    /// What a client sends behind its own running script waits in the
    /// kernel, as in Redis (which does not read a client whose script
    /// runs): the server takes only a few socket buffers' worth, not the
    /// whole stream. Once the script is killed every request runs.
    func testInputBehindARunningScriptWaitsInTheKernel() throws {
        for backend in Self.backends {
            try sameTranscript(backend: backend) { label, port in
                let runner = try TestConnection(port: port), other = try TestConnection(port: port)
                var lines: [String] = []
                try runner.send(command: Self.runaway)
                usleep(300_000)
                // 64 MB of SETs, sent without waiting for 1.5 s.
                let count = 1024
                let request = TestConnection.encode([Array("SET".utf8), Array("k".utf8), [UInt8](repeating: 120, count: 65536)])
                var pipeline: [UInt8] = []
                pipeline.reserveCapacity(request.count * count)
                for _ in 0..<count { pipeline += request }
                var sent = 0
                let deadline = DispatchTime.now().uptimeNanoseconds + 1_500_000_000
                while sent < pipeline.count && DispatchTime.now().uptimeNanoseconds < deadline {
                    let n = pipeline[sent...].withUnsafeBytes { Glibc.send(runner.fd, $0.baseAddress, min($0.count, 1 << 20), Int32(MSG_DONTWAIT)) }
                    if n > 0 { sent += n } else { usleep(10_000) }
                }
                XCTAssertLessThan(sent, 24 << 20, "\(label) on \(backend) took \(sent) bytes while busy")
                lines.append("SCRIPT KILL -> " + RESPValue.escape(try other.call("SCRIPT", "KILL").serialized))
                lines.append("runner: " + RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)))
                try runner.send(Array(pipeline[sent...]))
                var replies: [String: Int] = [:]
                for _ in 0..<count { replies[RESPValue.escape(try runner.readFrameBytes(timeoutMs: 10_000)), default: 0] += 1 }
                lines.append("replies: \(replies)")
                lines.append("STRLEN k -> " + RESPValue.escape(try runner.call("STRLEN", "k").serialized))
                return lines
            }
        }
    }

    /// With two event loops, a WATCH sent during a busy script from the
    /// loop the script does not run on, and a client that watches keys
    /// leaving there, must not stall that loop: its other clients still
    /// get BUSY and SCRIPT KILL. (WATCH's registration lives in the shards
    /// the script holds, so Swiftlet answers that WATCH when the script
    /// ends; Redis answers at once. The transcript reads it after.)
    func testWatchOnAnotherLoopDuringABusyScriptLeavesThatLoopServing() throws {
        var swiftlet: SwiftletServer?
        try sameTranscript(["--io-threads", "2"], started: { swiftlet = $0 }) { label, port in
            // The kernel spreads connections over the loops: the runner on
            // one, the three others on the other (for Redis, any).
            var byLoop: [Int: [TestConnection]] = [:]
            while (byLoop[0]?.count ?? 0) < 1 || (byLoop[1]?.count ?? 0) < 3 {
                let c = try TestConnection(port: port)
                guard label == "swiftlet", let server = swiftlet else { byLoop[byLoop.count < 1 ? 0 : 1, default: []].append(c); continue }
                guard case .integer(let id) = try c.call("CLIENT", "ID"),
                      let loop = server.context.clients.client(id: id)?.loop.index else { throw TestConnection.Failure(description: "no loop") }
                byLoop[loop, default: []].append(c)
            }
            let runner = byLoop[0]![0], leaver = byLoop[1]![0], watcher = byLoop[1]![1], killer = byLoop[1]![2]
            var lines: [String] = []
            func record(_ c: TestConnection, _ args: String...) throws {
                lines.append(args.joined(separator: " ") + " -> " + RESPValue.escape(try c.call(args).serialized))
            }
            try record(leaver, "WATCH", "a", "b")
            try runner.send(command: Self.runaway)
            usleep(300_000)
            try watcher.send(command: ["WATCH", "w"])
            leaver.close()
            usleep(50_000)
            try record(killer, "PING")
            try record(killer, "SCRIPT", "KILL")
            lines.append("runner: " + RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)))
            lines.append("watcher: " + RESPValue.escape(try watcher.readFrameBytes(timeoutMs: 5000)))
            try record(watcher, "MULTI")
            try record(watcher, "SET", "w", "1")
            try record(watcher, "EXEC")
            try record(killer, "SET", "w", "2")
            try record(watcher, "WATCH", "w")
            try record(killer, "SET", "w", "3")
            try record(watcher, "MULTI")
            try record(watcher, "GET", "w")
            try record(watcher, "EXEC")
            return lines
        }
        // The leaver's registrations, left while the script held their
        // shards, were removed when it ended.
        let keyspace = swiftlet!.context.keyspace
        for key in ["a", "b"] {
            let shard = Array(key.utf8).withUnsafeBytes { keyspace.shard(for: keyspace.hash($0)) }
            XCTAssertNil(shard.withLock { shard.interest.watched[WatchedKey(db: 0, name: Array(key.utf8))] }, key)
        }
    }

    /// INFO memory counts cached scripts, functions and libraries as Redis
    /// does, through SCRIPT FLUSH, FUNCTION DELETE and FUNCTION FLUSH.
    func testInfoCountsScriptsAndFunctionsLikeRedis() throws {
        try sameTranscript { _, port in
            let c = try TestConnection(port: port)
            var lines: [String] = []
            func counts() throws {
                guard case .bulk(let info?) = try c.call("INFO", "memory") else { throw TestConnection.Failure(description: "INFO") }
                lines.append(String(decoding: info, as: UTF8.self).split(separator: "\r\n")
                    .filter { $0.hasPrefix("number_of_") }.joined(separator: " "))
            }
            try counts()
            _ = try c.call("FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)")
            _ = try c.call("FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('g', function() return 3 end)")
            _ = try c.call("EVAL", "return 1", "0")
            _ = try c.call("SCRIPT", "LOAD", "return 2")
            try counts()
            _ = try c.call("SCRIPT", "FLUSH")
            _ = try c.call("FUNCTION", "DELETE", "a")
            try counts()
            _ = try c.call("FUNCTION", "FLUSH")
            try counts()
            return lines
        }
    }

    /// INFO commandstats, errorstats and total_error_replies count script
    /// errors as Redis does: the script's command fails for every error in
    /// its reply; a command's error (or a command refused inside the script)
    /// is counted where it arose and not again when the script passes it
    /// on; errorstats names an error by its first word if it comes within
    /// 31 bytes. Right after CONFIG RESETSTAT (the counters start from
    /// zero at once, on every loop).
    func testScriptErrorsCountInInfoLikeRedis() throws {
        try sameTranscript { _, port in
            let c = try TestConnection(port: port)
            _ = try c.call("SET", "s", "abc")
            _ = try c.call("CONFIG", "RESETSTAT")
            let scripts = [
                "return redis.call('incr', 's')", "return redis.pcall('incr', 's')", "redis.pcall('incr', 's') return 1",
                "return redis.call('nosuch')", "return redis.call('get')", "error('x')", "return {err='MY thing'}",
                "return {1, {err='oops'}, {err='" + String(repeating: "a", count: 40) + " b'}}", "return redis.call()",
                "return (", "return redis.call('subscribe', 'x')", "return redis.pcall('subscribe', 'x')",
                "local e = redis.pcall('incr', 's') return {e, e, {err='X y'}}",
            ]
            var lines = try scripts.map { RESPValue.escape(try c.call("EVAL", $0, "0").serialized) }
            lines.append(RESPValue.escape(try c.call("EVAL_RO", "return redis.call('set', 'a', 'b')", "0").serialized))
            lines.append(RESPValue.escape(try c.call("EVALSHA", String(repeating: "0", count: 40), "0").serialized))
            for section in ["commandstats", "errorstats", "stats"] {
                guard case .bulk(let info?) = try c.call("INFO", section) else { throw TestConnection.Failure(description: "INFO") }
                let wanted = String(decoding: info, as: UTF8.self).split(separator: "\r\n").filter {
                    ($0.hasPrefix("cmdstat_") && !$0.hasPrefix("cmdstat_info") && !$0.hasPrefix("cmdstat_config"))
                        || $0.hasPrefix("errorstat_") || $0.hasPrefix("total_error_replies")
                }
                // Without the timings; by name (Redis lists commands in its table's hash order).
                lines += wanted.map { $0.split(separator: ",").filter { !$0.contains("usec") }.joined(separator: ",") }.sorted()
            }
            return lines
        }
    }

    /// Over maxmemory, EVAL and FCALL of what may write are refused before
    /// they run (INFO commandstats counts them as rejected, not failed, as
    /// Redis does), while what declares no-writes or allow-oom runs, and a
    /// script without a shebang runs and fails at its write.
    func testOutOfMemoryScriptsCountAsRejectedLikeRedis() throws {
        try sameTranscript { _, port in
            let c = try TestConnection(port: port)
            _ = try c.call("FUNCTION", "LOAD", "#!lua name=om\nredis.register_function('rw', function() return redis.call('incr', 'n') end)\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}")
            _ = try c.call("CONFIG", "SET", "maxmemory", "1")
            var lines = try [
                c.call("FCALL", "rw", "0"), c.call("FCALL_RO", "rw", "0"), c.call("FCALL", "ro", "0"),
                c.call("EVAL", "#!lua\nreturn 1", "0"), c.call("EVAL", "#!lua flags=allow-oom\nreturn 1", "0"),
                c.call("EVAL", "return redis.call('incr', 'n')", "0"),
            ].map { RESPValue.escape($0.serialized) }
            _ = try c.call("CONFIG", "SET", "maxmemory", "0")
            guard case .bulk(let info?) = try c.call("INFO", "commandstats") else { throw TestConnection.Failure(description: "INFO") }
            // calls, rejected_calls and failed_calls (not the timings), by
            // name (Redis lists commands in its table's hash order).
            let counts = String(decoding: info, as: UTF8.self).split(separator: "\r\n")
                .filter { $0.hasPrefix("cmdstat_fcall") || $0.hasPrefix("cmdstat_eval") }
                .map { $0.split(separator: ",").filter { !$0.contains("usec") }.joined(separator: ",") }
            return lines + counts.sorted()
        }
    }

    /// SHUTDOWN NOSAVE ends a runaway script with the server: as in Redis,
    /// the script's client and the one that asked see their connections
    /// close, with no reply.
    func testShutdownNosaveEndsARunawayScript() throws {
        let transcript = try sameTranscript { _, port in
            let runner = try TestConnection(port: port), other = try TestConnection(port: port)
            try runner.send(command: Self.runaway)
            usleep(300_000)
            try other.send(command: ["SHUTDOWN", "NOSAVE"])
            return [
                "other closed: \(try other.waitForClose(timeoutMs: 5000)) \(RESPValue.escape(try other.drain(timeoutMs: 10)))",
                "runner closed: \(try runner.waitForClose(timeoutMs: 5000)) \(RESPValue.escape(try runner.drain(timeoutMs: 10)))",
            ]
        }
        XCTAssertEqual(transcript, ["other closed: true \"\"", "runner closed: true \"\""])
    }

    /// Clients on two event loops increment one counter through scripts and
    /// directly, and read-modify-write it in scripts: no update is lost, so
    /// each script ran alone.
    func testScriptsAreAtomicAcrossEventLoops() throws {
        let config = Configuration()
        try config.load(arguments: ["--io-threads", "2"], readFile: Configuration.readFileFromDisk,
                        standardInput: Configuration.readStandardInput)
        let server = SwiftletServer(configuration: config)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let clients = 8, rounds = 150
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: clients) { i in
            do {
                let c = try TestConnection(port: server.port)
                for r in 0..<rounds {
                    switch (i + r) % 3 {
                    case 0: _ = try c.call("INCR", "n")
                    case 1: _ = try c.call("EVAL", "return redis.call('INCR', KEYS[1])", "1", "n")
                    default:
                        // Read, then write one more: wrong if anything ran in between.
                        _ = try c.call("EVAL", "local v = tonumber(redis.call('GET', KEYS[1]) or '0') redis.call('SET', KEYS[1], v + 1) return v", "1", "n")
                    }
                }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
        XCTAssertEqual(try TestConnection(port: server.port).call("GET", "n"), .bulk(Array(String(clients * rounds).utf8)))
    }
}

/// A value behind a lock, for the counters the tests' threads share.
final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
