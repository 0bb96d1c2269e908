import XCTest
@testable import RESP
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The RESP request parser, seen from the wire. TCP delivers a byte
/// stream: a request may arrive in any number of reads, and one read may
/// hold many requests. Clients rely on both (pipelining; big values), and
/// a parser that keeps state between reads breaks at exactly the boundary
/// nobody thought of, hence "split at every byte".
///
/// Expected replies always come from a real Redis 7.0 given the same bytes.
final class ProtocolTests: XCTestCase {

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func multibulk(_ arguments: [[UInt8]]) -> [UInt8] { TestConnection.encode(arguments) }

    /// Frames rendered for failure messages.
    static func render(_ frames: [[UInt8]]) -> String { frames.map(RESPValue.escape).joined(separator: " ") }

    /// Appended after each request under test: its echo marks the end of
    /// that request's replies, however many there were.
    static let sentinelText = "--end-of-request--"
    static let sentinel = multibulk([bytes("ECHO"), bytes(sentinelText)])
    static let sentinelReply = RESPValue.bulk(bytes(sentinelText)).serialized

    static func framesUntilSentinel(_ connection: TestConnection) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while true {
            let frame = try connection.readFrameBytes(timeoutMs: 5000)
            if frame == sentinelReply { return frames }
            frames.append(frame)
            if frames.count > 100 { throw TestConnection.Failure(description: "no sentinel after \(render(frames))") }
        }
    }

    /// Sends `request` in the given pieces, then the sentinel, and returns
    /// the replies to the request. The short pause between pieces lets the
    /// server read each piece on its own instead of the kernel coalescing
    /// them; it makes the split effective, nothing is asserted about time.
    static func replies(to pieces: [ArraySlice<UInt8>], on connection: TestConnection, pauseMicroseconds: UInt32 = 300) throws -> [[UInt8]] {
        for (index, piece) in pieces.enumerated() {
            if index == pieces.count - 1 {
                try connection.send(Array(piece) + sentinel)
            } else {
                try connection.send(Array(piece))
                if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
            }
        }
        return try framesUntilSentinel(connection)
    }

    // MARK: pipelining

    /// 10,000 mixed commands in one send: every reply must come back, in
    /// order, byte-identical to Redis's. The reply stream spans many reads
    /// and writes on both sides.
    func testPipelineOf10000CommandsInOneWrite() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var request: [UInt8] = []
        for i in 0..<10_000 {
            let command: [String]
            switch i % 5 {
            case 0: command = ["SET", "p:\(i)", "\(i)"]
            case 1: command = ["GET", "p:\(i - 1)"]
            case 2: command = ["INCR", "pipeline-counter"]
            case 3: command = ["ECHO", "reply \(i)"]
            default: command = ["APPEND", "pipeline-log", "\(i),"]
            }
            request += ProtocolTests.multibulk(command.map(ProtocolTests.bytes))
        }
        var streams: [[[UInt8]]] = []
        for port in [pair.redis.port, pair.swiftlet.port] {
            let connection = try TestConnection(port: port)
            try connection.send(request)
            streams.append(try (0..<10_000).map { _ in try connection.readFrameBytes(timeoutMs: 10_000) })
            XCTAssertEqual(try connection.drain(timeoutMs: 50), [], "bytes beyond 10,000 replies (port \(port))")
        }
        if let first = zip(streams[0], streams[1]).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            XCTFail("reply \(first.offset) differs: redis \(RESPValue.escape(first.element.0)), swiftlet \(RESPValue.escape(first.element.1))")
        }
    }

    // MARK: split requests

    /// Requests whose replies do not change when repeated, so one request
    /// can be sent many times (once per split point) on one connection.
    static let splitRequests: [(name: String, bytes: [UInt8])] = {
        let b = ProtocolTests.bytes
        let mb = ProtocolTests.multibulk
        return [
            ("PING", mb([b("PING")])),
            ("ECHO with an empty argument", mb([b("ECHO"), []])),
            ("ECHO of binary with CRLF, NUL and RESP markers", mb([b("ECHO"), [0, 13, 10, 0xff, 0x24, 0x2a, 13, 10, 0, 1, 0x2d, 0x3a]])),
            ("SET of a binary value, then GET", mb([b("SET"), b("bin"), [13, 10, 0, 13, 10]]) + mb([b("GET"), b("bin")])),
            ("MSET with an empty value, then MGET", mb([b("MSET"), b("a"), [], b("b"), [0xff, 0xfe, 0xfd]]) + mb([b("MGET"), b("a"), b("b"), b("missing")])),
            ("empty and null multibulks, then a lowercase command", b("*0\r\n*-1\r\n") + mb([b("ping")])),
            ("multibulk with 20 arguments", mb([b("MGET")] + (0..<19).map { b("key\($0)") })),
            ("1000-byte argument", mb([b("ECHO"), (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + 13) }])),
            ("inline PING", b("PING\r\n")),
            ("inline with double quotes", b("ECHO \"hello world\"\r\n")),
            ("inline with single quotes, an escaped quote, LF only", b("ECHO 'it\\'s'\n")),
            ("inline with escapes", b("ECHO \"\\x41\\x4a\\n\\t\\\"q\\\"\\\\\"\r\n")),
            ("inline with extra blanks, two commands", b("   SET   \"a b\"   'c d'  \r\nGET \"a b\"\r\n")),
            ("blank inline lines, then an empty quoted argument", b("\r\n\n \r\nECHO \"\"\r\n")),
            ("inline then multibulk", b("ECHO inline\r\n") + mb([b("ECHO"), b("bulk")])),
        ]
    }()

    /// Every request is first sent whole to Redis (the expected replies) and
    /// to Swiftlet, then to Swiftlet in two writes split after every byte.
    func testRequestsSplitAtEveryByteBoundaryAnswerAsWhole() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        let redis = try TestConnection(port: pair.redis.port)
        var swiftlet = try TestConnection(port: pair.swiftlet.port)
        for (name, request) in ProtocolTests.splitRequests {
            let expected = try ProtocolTests.replies(to: [request[...]], on: redis)
            XCTAssertFalse(expected.isEmpty, "\(name): Redis sent no reply")
            var failures = 0
            // nil: sent whole; k: split after byte k.
            let splits: [Int?] = [nil] + (1..<request.count).map { $0 }
            for k in splits {
                let pieces = k.map { [request[..<$0], request[$0...]] } ?? [request[...]]
                let what = k.map { "\(name) split after byte \($0)" } ?? "\(name) sent whole"
                do {
                    let got = try ProtocolTests.replies(to: pieces, on: swiftlet)
                    if got == expected { continue }
                    XCTFail("\(what): got \(ProtocolTests.render(got)), Redis sent \(ProtocolTests.render(expected))")
                } catch {
                    // The connection's state is unknown now: continue on a fresh one.
                    XCTFail("\(what): \(error)")
                    swiftlet = try TestConnection(port: pair.swiftlet.port)
                }
                failures += 1
                if failures == 3 { break }
            }
        }
    }

    /// The extreme split: one byte per write, for the requests with the
    /// most parser state (binary bulks, several arguments, quoting).
    func testRequestsSentOneByteAtATime() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        let redis = try TestConnection(port: pair.redis.port)
        let swiftlet = try TestConnection(port: pair.swiftlet.port)
        let chosen = ["ECHO of binary with CRLF, NUL and RESP markers", "MSET with an empty value, then MGET",
                      "empty and null multibulks, then a lowercase command", "inline with escapes",
                      "inline with extra blanks, two commands", "inline then multibulk"]
        XCTAssertEqual(ProtocolTests.splitRequests.filter { chosen.contains($0.name) }.count, chosen.count, "a chosen request is missing")
        for (name, request) in ProtocolTests.splitRequests where chosen.contains(name) {
            let expected = try ProtocolTests.replies(to: [request[...]], on: redis)
            let pieces = request.indices.map { request[$0...$0] }
            let got = try ProtocolTests.replies(to: pieces, on: swiftlet, pauseMicroseconds: 100)
            XCTAssertEqual(ProtocolTests.render(got), ProtocolTests.render(expected), "\(name) sent one byte at a time")
        }
    }

    /// A 33,000-byte value (just above Redis's 32 KB "big argument" threshold,
    /// where it switches to reading the payload in place) split after every
    /// byte. No pause here: the pieces are large enough that the server
    /// sees them in varying read sizes anyway, and 33,000 pauses would be slow.
    func testLargeArgumentSplitAtEveryByteBoundary() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        let value = (0..<33_000).map { UInt8(truncatingIfNeeded: ($0 * 31) ^ ($0 >> 7)) }
        let request = ProtocolTests.multibulk([ProtocolTests.bytes("SET"), ProtocolTests.bytes("big"), value])
        let redis = try TestConnection(port: pair.redis.port)
        var swiftlet = try TestConnection(port: pair.swiftlet.port)
        let expected = try ProtocolTests.replies(to: [request[...]], on: redis)
        var failures = 0
        for k in 1..<request.count {
            do {
                let got = try ProtocolTests.replies(to: [request[..<k], request[k...]], on: swiftlet, pauseMicroseconds: 0)
                if got == expected { continue }
                XCTFail("split after byte \(k): got \(ProtocolTests.render(got)), Redis sent \(ProtocolTests.render(expected))")
            } catch {
                XCTFail("split after byte \(k): \(error)")
                swiftlet = try TestConnection(port: pair.swiftlet.port)
            }
            failures += 1
            if failures == 3 { break }
        }
        let check = [["STRLEN", "big"], ["GET", "big"]]
        let stored = try DifferentialPair.pipeline(check, port: pair.swiftlet.port)
        let reference = try DifferentialPair.pipeline(check, port: pair.redis.port)
        XCTAssertTrue(stored == reference, "the value stored by the last split SET: STRLEN \(RESPValue.escape(stored[0])) "
                      + "vs \(RESPValue.escape(reference[0])), GET reply of \(stored[1].count) vs \(reference[1].count) bytes")
    }

    // MARK: large values

    /// 5 MB of pseudo-random bytes: SET then GET must return them unchanged
    /// (the request and the reply each span hundreds of socket reads).
    func testFiveMegabyteValueRoundTrip() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var value = [UInt8](repeating: 0, count: 5 * 1024 * 1024)
        var x: UInt32 = 2_463_534_242
        for i in value.indices {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5
            value[i] = UInt8(truncatingIfNeeded: x)
        }
        let setRequest = ProtocolTests.multibulk([ProtocolTests.bytes("SET"), ProtocolTests.bytes("five"), value])
        let probes: [[String]] = [["STRLEN", "five"], ["GETRANGE", "five", "1048576", "1048600"], ["GETRANGE", "five", "-16", "-1"]]
        var results: [[[UInt8]]] = []
        for port in [pair.redis.port, pair.swiftlet.port] {
            let connection = try TestConnection(port: port)
            try connection.send(setRequest)
            let setReply = try connection.readFrameBytes(timeoutMs: 20_000)
            try connection.send(command: ["GET", "five"])
            let getReply = try connection.readFrame(timeoutMs: 20_000)
            XCTAssertTrue(getReply == .bulk(value), "GET returned a different value (port \(port), \(getReply.serialized.count) bytes)")
            results.append([setReply] + (try DifferentialPair.pipeline(probes, port: port)))
        }
        XCTAssertEqual(results[1].map(RESPValue.escape), results[0].map(RESPValue.escape), "SET reply and probes of the 5 MB value")
    }

    // MARK: protocol errors

    /// Malformed input Redis rejects. Each must produce Redis's exact error
    /// bytes and the same connection outcome (Redis closes after a protocol
    /// error; for an incomplete header it just waits for more).
    static let malformedRequests: [(name: String, bytes: [UInt8])] = {
        let b = ProtocolTests.bytes
        return [
            ("non-numeric multibulk length", b("*abc\r\n")),
            ("negative bulk length", b("*1\r\n$-5\r\n")),
            ("bulk length above proto-max-bulk-len", b("*1\r\n$99999999999\r\n")),
            ("multibulk length above INT_MAX", b("*3000000000\r\n")),
            ("unbalanced double quote", b("SET k \"abc\r\n")),
            ("unbalanced single quote", b("SET k 'abc\r\n")),
            ("closing quote followed by a non-blank", b("ECHO \"a\"b\r\n")),
            ("70000-byte inline line without newline", [UInt8](repeating: 0x61, count: 70_000)),
            ("70000-digit multibulk count", b("*") + [UInt8](repeating: 0x31, count: 70_000)),
            ("70000-digit bulk count", b("*1\r\n$") + [UInt8](repeating: 0x31, count: 70_000)),
            ("non-'$' bulk header without CR (incomplete)", b("*1\r\nx")),
            ("non-'$' bulk header", b("*1\r\nx\r\n")),
            ("bad second bulk header", b("*2\r\n$4\r\nECHO\r\n$x\r\n")),
            // Headers the parser's plain-digits fast path must leave to the general one.
            ("leading zero in a multibulk count", b("*02\r\n$4\r\nECHO\r\n$1\r\na\r\n")),
            ("leading zero in a bulk length", b("*2\r\n$4\r\nECHO\r\n$01\r\na\r\n")),
            ("plus sign in a bulk length", b("*2\r\n$4\r\nECHO\r\n$+1\r\na\r\n")),
            ("space after a bulk length", b("*2\r\n$4\r\nECHO\r\n$1 \r\na\r\n")),
            ("empty bulk length", b("*2\r\n$4\r\nECHO\r\n$\r\na\r\n")),
            ("ten-digit bulk length", b("*2\r\n$4\r\nECHO\r\n$1000000000\r\na\r\n")),
            ("empty argument then a pipelined command", b("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n")),
            ("valid command, protocol error, then a command that must not run", b("PING\r\n*abc\r\nSET must-not-exist 1\r\n")),
            // Redis finds line ends with strchr, which stops at a NUL: such a
            // line never ends, and later requests on the connection wait.
            ("NUL inside an inline line", b("PING a\u{0}b\r\nPING\r\n")),
            ("NUL inside a multibulk count", b("*1\u{0}\r\n$4\r\nPING\r\n")),
            ("NUL inside a bulk header", b("*1\r\n$4\u{0}\r\nPING\r\nPING\r\n")),
            ("NUL before a bad bulk marker", b("*1\r\nx\u{0}\r\nPING\r\n")),
            ("NUL-poisoned inline line past 64 KB", b("GET \u{0}") + [UInt8](repeating: 0x61, count: 70_000) + b("\r\n")),
        ]
    }()

    /// What a client observes after sending `bytes` on a fresh connection:
    /// everything received until the server closes or goes quiet, and
    /// whether it closed.
    static func outcome(of bytes: [UInt8], port: Int) throws -> (reply: [UInt8], closed: Bool) {
        let connection = try TestConnection(port: port)
        // The server may close before it has read everything; a failed
        // write is then expected and the reply is what matters.
        try? connection.send(bytes)
        let reply = try connection.drain(timeoutMs: 300)
        return (reply, connection.closedByPeer)
    }

    func testProtocolErrorsMatchRedisAndSpareOtherClients() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        // A bystander client with data, connected throughout: a protocol
        // error must cost only the offending connection.
        let canaryKeys = (0..<1000).map { ["SET", "canary:\($0)", "value-\($0)"] }
        try pair.setUpBoth(canaryKeys)
        let canary = try TestConnection(port: pair.swiftlet.port)
        let pong = try TestConnection(port: pair.redis.port).call("PING")
        XCTAssertEqual(try canary.call("PING"), pong)

        for (name, bytes) in ProtocolTests.malformedRequests {
            let expected = try ProtocolTests.outcome(of: bytes, port: pair.redis.port)
            let got = try ProtocolTests.outcome(of: bytes, port: pair.swiftlet.port)
            XCTAssertEqual(RESPValue.escape(got.reply), RESPValue.escape(expected.reply), "\(name): reply bytes")
            XCTAssertEqual(got.closed, expected.closed, "\(name): connection closed (Redis: \(expected.closed))")
            XCTAssertEqual(try canary.call("DBSIZE"), try TestConnection(port: pair.redis.port).call("DBSIZE"), "after \(name): canary DBSIZE")
        }

        let probe = [["DBSIZE"], ["EXISTS", "must-not-exist"], ["MGET"] + (0..<1000).map { "canary:\($0)" }]
        XCTAssertEqual(try DifferentialPair.pipeline(probe, port: pair.swiftlet.port).map(RESPValue.escape),
                       try DifferentialPair.pipeline(probe, port: pair.redis.port).map(RESPValue.escape), "keyspace after the protocol errors")
        try canary.send(command: ["MGET"] + (0..<1000).map { "canary:\($0)" })
        XCTAssertEqual(try canary.readFrameBytes(), try DifferentialPair.pipeline([probe[2]], port: pair.redis.port)[0],
                       "the canary connection still reads its keys")
        XCTAssertEqual(try TestConnection(port: pair.swiftlet.port).call("PING"), pong, "new connections are still served")
    }

    // MARK: RequestParser, without a network

    /// Unit level: the parser is handed the first k bytes of a request, then
    /// all of them, for every k, as the connection does when a request
    /// arrives in two reads. It must ask for more until the request is
    /// complete, then yield exactly the arguments that were encoded.
    func testRequestParserAssemblesMultibulkSplitAtEveryByte() {
        let b = ProtocolTests.bytes
        let requests: [[[UInt8]]] = [
            [b("SET"), b("key"), b("value")],
            [b("ECHO"), []],
            [b("ECHO"), [13, 10, 0, 0xff, 0x24, 0x2a, 13, 10]],
            [b("MSET")] + (0..<40).map { b("k\($0)") },  // more arguments than the parser's initial capacity
            // Above the 64 KB inline limit; the payload is length-delimited, so CRs inside must not matter.
            [b("SET"), b("big"), (0..<70_000).map { $0 % 100 == 0 ? 13 : UInt8(truncatingIfNeeded: $0) }],
        ]
        for arguments in requests {
            let request = TestConnection.encode(arguments)
            let label = "\(arguments.count)-argument request of \(request.count) bytes"
            request.withUnsafeBytes { raw in
                let base = raw.baseAddress!
                var failures = 0
                for k in 0..<request.count where failures < 3 {
                    var parser = RequestParser()
                    defer { parser.deallocate() }
                    let partial = parser.parse(base, available: k)
                    guard case .incomplete(let expected) = partial else {
                        XCTFail("\(label): first \(k) bytes gave \(partial)"); failures += 1; continue
                    }
                    // The size hint may only name bytes this request really has.
                    XCTAssertLessThanOrEqual(expected, request.count, "\(label): size hint after \(k) bytes")
                    let complete = parser.parse(base, available: request.count)
                    if complete != .request(length: request.count) || !ProtocolTests.same(parser.arguments(in: base), arguments) {
                        XCTFail("\(label): after \(k) bytes then all, got \(complete) with \(parser.arguments(in: base).count) arguments")
                        failures += 1
                    }
                }
                // One parser fed a growing prefix, one byte more each time.
                var parser = RequestParser()
                defer { parser.deallocate() }
                for k in 1..<request.count {
                    guard case .incomplete = parser.parse(base, available: k) else {
                        return XCTFail("\(label): byte-by-byte parse finished early at \(k)")
                    }
                }
                XCTAssertEqual(parser.parse(base, available: request.count), .request(length: request.count), label)
                XCTAssertTrue(ProtocolTests.same(parser.arguments(in: base), arguments), "\(label): byte-by-byte arguments")
            }
        }
    }

    /// The same for inline commands, whose tokenizing (quotes, escapes,
    /// blanks) must equal Redis's: each line is `ECHO <token>`, so Redis's
    /// ECHO reply is the token as Redis split and unescaped it.
    func testRequestParserSplitsInlineLinesLikeRedis() throws {
        guard let redisServer = ReferenceRedis.start() else { throw XCTSkip("redis-server is not installed") }
        defer { redisServer.stop() }
        let redis = try TestConnection(port: redisServer.port)
        let lines = [
            "ECHO \"hello world\"\r\n",
            "ECHO 'it\\'s'\n",
            "ECHO \"\\x41\\x4a\\n\\t\\r\\b\\a\\\"q\\\"\\\\\"\r\n",
            "  ECHO    spaced   \r\n",
            "ECHO \"\"\r\n",
            "ECHO ''\r\n",
            "ECHO 'single \"double\" inside'\r\n",
            "ECHO \"\\z unknown escape, \\xZZ bad hex\"\r\n",
            "ECHO \"caf\u{e9} \\x00 nul\"\r\n",
            "ECHO\tTAB\r\n",
        ]
        for line in lines {
            let request = ProtocolTests.bytes(line)
            try redis.send(request)
            let reply = try redis.readFrame()
            guard case .bulk(let token?) = reply else { XCTFail("Redis answered \(reply) to \(line)"); continue }
            let expected = [ProtocolTests.bytes("ECHO"), token]
            request.withUnsafeBytes { raw in
                let base = raw.baseAddress!
                for k in 0..<request.count {
                    var parser = RequestParser()
                    defer { parser.deallocate() }
                    guard case .incomplete = parser.parse(base, available: k) else {
                        return XCTFail("\(RESPValue.escape(request)): complete after only \(k) bytes")
                    }
                    let complete = parser.parse(base, available: request.count)
                    guard complete == .request(length: request.count), ProtocolTests.same(parser.arguments(in: base), expected) else {
                        return XCTFail("\(RESPValue.escape(request)) split after \(k): \(complete), arguments "
                                       + "\(parser.arguments(in: base).copyAll().map(RESPValue.escape)), Redis: \(expected.map(RESPValue.escape))")
                    }
                }
            }
        }
    }

    /// Compares without copying (the 70 KB request is checked 70,000 times).
    static func same(_ arguments: Arguments, _ expected: [[UInt8]]) -> Bool {
        guard arguments.count == expected.count else { return false }
        for i in 0..<expected.count {
            let ok = expected[i].withUnsafeBytes { arguments[i].equals($0) }
            if !ok { return false }
        }
        return true
    }
}
