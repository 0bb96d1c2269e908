import XCTest
import Swiftlet
import Commands
import TestSupport
import Foundation

/// MONITOR against real Redis: the same session on both servers, the
/// monitor's stream compared line by line once the timestamp and the
/// client's address (which differ by nature) are masked.
final class MonitorTests: XCTestCase {
    /// What a monitor sees of another client's session, and what a monitor
    /// may do itself.
    func testMonitorStreamMatchesRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        let session: [[String]] = [
            ["SET", "k", "v\n\u{1}\"\\ é\t\r"], ["GET", "k"], ["AUTH", "secret"], ["AUTH", "user", "secret"],
            ["HELLO", "2", "AUTH", "default", "x"], ["CONFIG", "GET", "databases"], ["CLIENT", "SETNAME", "n1"],
            ["CLIENT", "LIST"], ["SELECT", "3"], ["PING"], ["NOSUCH", "x"], ["GET"],
            ["MULTI"], ["INCR", "x"], ["GET", "x"], ["EXEC"], ["MULTI"], ["MONITOR"], ["EXEC"],
            ["SELECT", "0"], ["BLPOP", "l", "0.01"], ["PFADD", "h", "a"],
            // Redacted as Redis's parsers reach the credentials: not after a
            // bad version, a refused name or too many arguments.
            ["AUTH", "a", "b", "c"], ["HELLO", "4", "AUTH", "u", "pw"], ["HELLO", "2", "SETNAME", "a b", "AUTH", "default", "pw"],
            ["HELLO", "2", "SETNAME", "auth", "AUTH", "default", "secret"], ["ECHO", "end of session"],
        ]
        let ownCommands: [[String]] = [["GET", "k"], ["PING"], ["SET", "a", "b"], ["PUBLISH", "ch", "x"], ["DBSIZE"],
                                       ["MONITOR"], ["ECHO", "own"]]
        var transcripts: [[String]] = []
        for (label, port) in pair.servers {
            let monitor = try TestConnection(port: port)
            let client = try TestConnection(port: port)
            defer { monitor.close(); client.close() }
            XCTAssertEqual(try monitor.call("MONITOR"), .simple("OK"), label)
            var transcript: [String] = []
            for command in session {
                let reply = try client.call(command)
                // HELLO's map and CLIENT LIST carry connection ids and sizes that differ by nature.
                transcript.append(["HELLO", "CLIENT"].contains(command[0]) ? "reply to \(command[0])" : "reply " + describe(reply))
            }
            try lines(from: monitor, until: "end of session", into: &transcript)
            // The monitor's own commands: refused when they touch keys; a
            // second MONITOR answers nothing (the ECHO's reply comes next).
            for command in ownCommands { try monitor.send(command: command) }
            try lines(from: monitor, until: "own", into: &transcript)
            XCTAssertEqual(try monitor.call("RESET"), .simple("RESET"), label)
            _ = try client.call("PING")
            XCTAssertEqual(try monitor.drainFrames(timeoutMs: 200), [], "\(label): a reset monitor still receives")
            transcripts.append(transcript)
        }
        XCTAssertEqual(transcripts[1], transcripts[0])
        XCTAssertGreaterThan(transcripts[0].filter { $0.hasPrefix("line") }.count, 15)
    }

    /// `timeout` closes neither an idle monitor nor a blocked client, and
    /// CLIENT PAUSE does not hold a monitor's commands: the same checks
    /// pass against Redis.
    func testMonitorsAreNeitherTimedOutNorPaused() throws {
        let pair = try DifferentialPair.start(["--timeout", "1"])
        defer { pair.stop() }
        for (label, port) in pair.servers {
            let monitor = try TestConnection(port: port)
            let blocked = try TestConnection(port: port)
            let idle = try TestConnection(port: port)
            defer { monitor.close(); blocked.close(); idle.close() }
            XCTAssertEqual(try monitor.call("MONITOR"), .simple("OK"), label)
            try blocked.send(command: ["BLPOP", "nolist", "0"])
            _ = try idle.call("PING")
            usleep(3_200_000)  // the timeout (1 s) and two cron passes
            XCTAssertTrue(try idle.waitForClose(timeoutMs: 2000), "\(label): the idle client was not closed")
            _ = try monitor.drainFrames(timeoutMs: 100)  // the BLPOP and PING lines
            XCTAssertEqual(try monitor.call("PING"), .simple("PONG"), label)
            let control = try TestConnection(port: port)
            defer { control.close() }
            XCTAssertEqual(try control.call("RPUSH", "nolist", "x"), .integer(1), label)
            XCTAssertEqual(try blocked.readFrame(), .array([.bulk(Array("nolist".utf8)), .bulk(Array("x".utf8))]), label)
            // Served, it counts as active again: not closed at the next cron pass.
            usleep(300_000)
            XCTAssertFalse(try blocked.waitForClose(timeoutMs: 200), "\(label): closed as soon as it was served")
            XCTAssertEqual(try control.call("CLIENT", "PAUSE", "1500", "ALL"), .simple("OK"), label)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try monitor.drainFrames(timeoutMs: 50)
            XCTAssertEqual(try monitor.call("PING"), .simple("PONG"), label)
            XCTAssertLessThan(DispatchTime.now().uptimeNanoseconds - start, 1_000_000_000, "\(label): the monitor was paused")
            XCTAssertEqual(try control.call("CLIENT", "UNPAUSE"), .simple("OK"), label)
        }
    }

    /// Every loop's commands reach a monitor on any loop.
    func testMonitorSeesCommandsFromEveryLoop() throws {
        let server = SwiftletServer(configuration: Configuration())
        try server.configuration.load(arguments: ["--io-threads", "2"], readFile: Configuration.readFileFromDisk,
                                      standardInput: Configuration.readStandardInput)
        try server.start(port: 0, bind: ["127.0.0.1"])
        defer { server.stop() }
        let monitor = try TestConnection(port: server.port)
        XCTAssertEqual(try monitor.call("MONITOR"), .simple("OK"))
        let clients = try (0..<8).map { _ in try TestConnection(port: server.port) }
        for (i, c) in clients.enumerated() { XCTAssertEqual(try c.call("SET", "key\(i)", "v"), .simple("OK")) }
        var seen: [String] = []
        while seen.count < clients.count {
            guard case .simple(let line) = try monitor.readFrame(timeoutMs: 5000) else { XCTFail("not a status line"); return }
            seen.append(String(line.split(separator: "]").last!.dropFirst()))
        }
        XCTAssertEqual(seen, (0..<8).map { "\"SET\" \"key\($0)\" \"v\"" })
    }

    /// Reads the monitor's frames up to the line that shows `ECHO <marker>`,
    /// appending each, timestamp and address masked.
    func lines(from monitor: TestConnection, until marker: String, into transcript: inout [String]) throws {
        while true {
            let frame = try monitor.readFrame(timeoutMs: 5000)
            guard case .simple(let text) = frame, text.first?.isNumber == true else {
                transcript.append("reply " + describe(frame))
                continue
            }
            let masked = text.replacingOccurrences(of: #"^\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]"#, with: "TIME [$1 ADDR]",
                                                   options: .regularExpression)
            XCTAssertNotEqual(masked, text, "unexpected monitor line \(text)")
            transcript.append("line " + masked)
            if text.hasSuffix("\"ECHO\" \"\(marker)\"") { return }
        }
    }

    func describe(_ value: RESPValue) -> String {
        switch value {
        case .error(let e):
            // The id in HELLO's map differs; errors and simple replies are compared whole.
            return "error " + e
        case .simple(let s): return "simple " + s
        case .integer(let i): return "integer \(i)"
        case .bulk(let b): return b.map { "bulk \($0.count)" } ?? "nil"
        // HELLO's map carries the connection id: compared by size only.
        case .array(let a): return a.map { "array [" + $0.map(describe).joined(separator: ", ") + "]" } ?? "nil array"
        case .map(let m): return "map \(m.count)"
        default: return "other"
        }
    }
}
