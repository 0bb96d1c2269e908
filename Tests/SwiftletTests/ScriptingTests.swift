import XCTest
import Swiftlet
import Commands
import TestSupport
import Dispatch
import Networking

/// Scripting beyond Conformance/cases/scripting.case: what needs several
/// connections at once. A script that never ends must leave the server
/// able to answer (BUSY once past busy-reply-threshold) and to take
/// SCRIPT KILL, as Redis does; scripts are atomic against commands from
/// every event loop.
final class ScriptingTests: XCTestCase {
    /// The same exchange on Redis and on Swiftlet (one event loop, Redis's
    /// default, where the script must not occupy the loop the other client
    /// is served by): a runaway script, BUSY, SCRIPT KILL, the killed
    /// script's error, and the server back to normal.
    func testRunawayScriptGetsBusyAndScriptKillLikeRedis() throws {
        let pair = try DifferentialPair.start(["--busy-reply-threshold", "100"])
        defer { pair.stop() }
        var transcripts: [[String]] = []
        for (_, port) in pair.servers {
            let runner = try TestConnection(port: port), other = try TestConnection(port: port)
            var lines: [String] = []
            try runner.send(command: ["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
            usleep(400_000)
            lines.append(RESPValue.escape(try other.call("GET", "x").serialized))
            lines.append(RESPValue.escape(try other.call("SCRIPT", "KILL").serialized))
            lines.append(RESPValue.escape(try runner.readFrameBytes(timeoutMs: 5000)))
            lines.append(RESPValue.escape(try other.call("PING").serialized))
            lines.append(RESPValue.escape(try runner.call("SCRIPT", "KILL").serialized))
            transcripts.append(lines)
        }
        XCTAssertEqual(transcripts[0], transcripts[1])
        XCTAssertTrue(transcripts[1][0].contains("-BUSY"), "the other client got \(transcripts[1][0])")
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
        var backends: [IOBackend] = [.epoll]
        if IOBackend.ringIsAvailable { backends.append(.ioUring) }
        for backend in backends {
            let pair = try DifferentialPair.start(["--busy-reply-threshold", "100"], backend: backend)
            defer { pair.stop() }
            var transcripts: [[String]] = []
            for (_, port) in pair.servers {
                let runner = try TestConnection(port: port), other = try TestConnection(port: port)
                let leaver = try TestConnection(port: port), execer = try TestConnection(port: port)
                var lines: [String] = []
                func record(_ c: TestConnection, _ args: String...) throws {
                    lines.append(args.joined(separator: " ") + " -> " + RESPValue.escape(try c.call(args).serialized))
                }
                try runner.send(command: ["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
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
                try vanishing.send(command: ["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
                usleep(300_000)
                vanishing.close()
                usleep(50_000)
                try record(other, "PING")
                try record(other, "SCRIPT", "KILL")
                // (Redis may still answer BUSY right after SCRIPT KILL: it
                // goes on serving events for a few rounds before the kill.)
                usleep(200_000)
                try record(other, "PING")
                transcripts.append(lines)
            }
            XCTAssertEqual(transcripts[0], transcripts[1], "backend \(backend)")
            XCTAssertTrue(transcripts[1][0].contains("-BUSY"), "the newcomer got \(transcripts[1][0])")
        }
    }

    /// A runaway script queued in MULTI runs when EXEC does, and is as
    /// killable as an EVAL: other clients (on the script's loop and on
    /// another) get BUSY, SCRIPT KILL ends it, and the transaction goes on
    /// with the killed script's error in its place. Same transcript as
    /// Redis's, with one loop on each backend and with two loops.
    func testRunawayScriptInsideExecIsKillableLikeRedis() throws {
        var setups: [([String], IOBackend)] = [([], .epoll)]
        if IOBackend.ringIsAvailable { setups.append(([], .ioUring)) }
        setups.append((["--io-threads", "2"], .fromEnvironment))
        for (arguments, backend) in setups {
            let pair = try DifferentialPair.start(["--busy-reply-threshold", "100"] + arguments, backend: backend)
            defer { pair.stop() }
            var transcripts: [[String]] = []
            for (_, port) in pair.servers {
                // With two loops, connections alternate between them.
                let runner = try TestConnection(port: port), first = try TestConnection(port: port)
                let second = try TestConnection(port: port)
                var lines: [String] = []
                func record(_ c: TestConnection, _ args: String...) throws {
                    lines.append(args.joined(separator: " ") + " -> " + RESPValue.escape(try c.call(args).serialized))
                }
                try record(runner, "MULTI")
                try record(runner, "SET", "k", "1")
                try record(runner, "EVAL", "local i = 0 while true do i = i + 1 end", "0")
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
                transcripts.append(lines)
            }
            XCTAssertEqual(transcripts[0], transcripts[1], "\(arguments) \(backend)")
            XCTAssertTrue(transcripts[1][4].contains("-BUSY"), "the first client got \(transcripts[1][4])")
        }
    }

    /// SHUTDOWN NOSAVE ends a runaway script with the server: as in Redis,
    /// the script's client and the one that asked see their connections
    /// close, with no reply.
    func testShutdownNosaveEndsARunawayScript() throws {
        let pair = try DifferentialPair.start(["--busy-reply-threshold", "100"])
        defer { pair.stop() }
        var transcripts: [[String]] = []
        for (_, port) in pair.servers {
            let runner = try TestConnection(port: port), other = try TestConnection(port: port)
            try runner.send(command: ["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
            usleep(300_000)
            try other.send(command: ["SHUTDOWN", "NOSAVE"])
            transcripts.append([
                "other closed: \(try other.waitForClose(timeoutMs: 5000)) \(RESPValue.escape(try other.drain(timeoutMs: 10)))",
                "runner closed: \(try runner.waitForClose(timeoutMs: 5000)) \(RESPValue.escape(try runner.drain(timeoutMs: 10)))",
            ])
        }
        XCTAssertEqual(transcripts[0], transcripts[1])
        XCTAssertEqual(transcripts[1], ["other closed: true \"\"", "runner closed: true \"\""])
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
