import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Replays case files against a server on `port` and compares with the
/// replies recorded from Redis 7.0.
struct CaseRunner {
    let port: Int
    /// Case ids (`file:case`) whose difference from Redis is deliberate.
    let knownDifferences: [String: String]

    struct Outcome {
        var passed = 0
        var skipped: [String] = []
        var failures: [String] = []
    }

    func run(_ file: CaseFile) -> Outcome {
        var outcome = Outcome()
        for c in file.cases {
            let id = "\(file.name):\(c.name)"
            if knownDifferences[id] != nil { outcome.skipped.append(id); continue }
            if let failure = run(c) {
                outcome.failures.append("\(id)\n\(failure)")
            } else {
                outcome.passed += 1
            }
        }
        return outcome
    }

    /// nil when the case passes, else a description of the first mismatch.
    func run(_ c: CaseFile.Case) -> String? {
        do {
            let setup = try TestConnection(port: port)
            let reply = try setup.call("FLUSHALL")
            guard reply == .simple("OK") else { return "setup FLUSHALL replied \(reply)" }
            setup.close()
            var connections: [Int: TestConnection] = [:]
            func connection(_ k: Int) throws -> TestConnection {
                if let existing = connections[k], !existing.closedByPeer { return existing }
                let fresh = try TestConnection(port: port)
                connections[k] = fresh
                return fresh
            }
            for step in c.steps {
                if step.delayMs > 0 { usleep(UInt32(step.delayMs) * 1000) }
                let conn = try connection(step.connection)
                var received: [[UInt8]] = []
                switch step.kind {
                case .command(let args):
                    try conn.send(TestConnection.encode(args))
                    for _ in 0..<step.frames { received.append(try conn.readFrameBytes(timeoutMs: 5000)) }
                case .read:
                    for _ in 0..<step.frames { received.append(try conn.readFrameBytes(timeoutMs: 5000)) }
                case .raw(let bytes):
                    try conn.send(bytes)
                    for _ in step.expected {
                        guard let frame = try? conn.readFrameBytes(timeoutMs: 2000) else { break }
                        received.append(frame)
                    }
                    if step.expectClosed {
                        if !(try conn.waitForClose(timeoutMs: 2000)) { return "line \(step.line): expected the server to close the connection" }
                    } else {
                        let extra = try conn.drain(timeoutMs: 40)
                        if !extra.isEmpty { return "line \(step.line): unexpected extra bytes \(RESPValue.escape(extra))" }
                        if conn.closedByPeer { return "line \(step.line): server closed the connection" }
                    }
                }
                if received.count != step.expected.count {
                    return "line \(step.line): expected \(step.expected.count) frames, got \(received.count): \(received.map(RESPValue.escape))"
                }
                for (expected, got) in zip(step.expected, received) where !matches(expected, got, step) {
                    return "line \(step.line):\n  expected \(RESPValue.escape(expected))\n  got      \(RESPValue.escape(got))"
                }
            }
            for (k, conn) in connections where !conn.closedByPeer {
                let extra = try conn.drain(timeoutMs: 1)
                if !extra.isEmpty { return "end of case: unread data on connection \(k): \(RESPValue.escape(extra))" }
            }
            return nil
        } catch {
            return "error: \(error)"
        }
    }

    func matches(_ expected: [UInt8], _ got: [UInt8], _ step: CaseFile.Step) -> Bool {
        if step.typeOnly { return expected.first == got.first }
        if let tolerance = step.approx,
           case .integer(let a)?? = try? RESPValue.parse(expected).map({ $0.0 }),
           case .integer(let b)?? = try? RESPValue.parse(got).map({ $0.0 }) {
            return abs(a - b) <= tolerance
        }
        if step.sorted,
           let e = (try? RESPValue.parse(expected)).flatMap({ $0 }), let g = (try? RESPValue.parse(got)).flatMap({ $0 }) {
            return e.0.canonical == g.0.canonical
        }
        return expected == got
    }
}
