import Commands
import RESP
import Swiftlet

/// The bodies of Swiftlet's fuzz targets. Each takes arbitrary bytes and
/// traps (`precondition`) when an invariant breaks; libFuzzer drives them
/// from `Tests/Fuzz` (`.ci/fuzz`), and `FuzzRegressionTests` replays the
/// saved inputs in `Tests/Fuzz/regressions` on every `swift test`.
public enum FuzzHarness {
    // MARK: RESP parser

    /// Parses the input as a stream of requests twice: all at once, and fed
    /// in chunks of 1–16 bytes (the chunk size comes from the first byte)
    /// the way a socket may deliver it. Both must yield exactly the same
    /// requests, skips and first error, and every argument must lie inside
    /// the bytes it was parsed from.
    public static func parser(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        let chunk = Int(first % 16) + 1
        let stream = Array(data.dropFirst())
        let whole = parseStream(stream, chunk: stream.count + 1)
        let pieces = parseStream(stream, chunk: chunk)
        precondition(whole == pieces, "parse results depend on how the bytes arrive")
    }

    enum Event: Equatable {
        case request([[UInt8]])
        case skip(Int)
        case error(String)
    }

    /// Feeds `stream` to a parser `chunk` bytes at a time, as a connection would.
    static func parseStream(_ stream: [UInt8], chunk: Int) -> [Event] {
        var parser = RequestParser()
        parser.limits.maxBulkLength = 1 << 20
        defer { parser.deallocate() }
        var events: [Event] = []
        var start = 0          // first unparsed byte
        var available = 0      // bytes delivered so far
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, stream.count), alignment: 16)
        defer { buffer.deallocate() }
        stream.withUnsafeBytes { if !$0.isEmpty { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        while available < stream.count || start < available {
            let delivered = min(stream.count, available + chunk)
            let progressed = delivered > available
            available = delivered
            var madeProgress = false
            parsing: while start < available {
                let result = parser.parse(buffer + start, available: available - start)
                switch result {
                case .request(let length):
                    precondition(length > 0 && length <= available - start, "request length outside the input")
                    let args = parser.arguments(in: buffer + start)
                    var copied: [[UInt8]] = []
                    for i in 0..<args.count { copied.append(Array(args[i])) }
                    events.append(.request(copied))
                    start += length
                    madeProgress = true
                case .skip(let length):
                    precondition(length > 0 && length <= available - start, "skip length outside the input")
                    events.append(.skip(length))
                    start += length
                    madeProgress = true
                case .incomplete:
                    break parsing
                case .error(let e):
                    events.append(.error(e.message))
                    return events
                }
            }
            if !progressed && !madeProgress { break }
        }
        return events
    }

    // MARK: commands

    /// A server used by `commands`, created once per process.
    nonisolated(unsafe) static var server: SwiftletServer? = nil
    /// Inputs run since the keyspace was last flushed.
    nonisolated(unsafe) static var runsSinceFlush = 0

    /// Runs the input as one command (arguments separated by 0x00 bytes,
    /// at most 24) on an in-process server, in RESP2 or RESP3 (low bit of
    /// the first byte), and checks that the reply is exactly one well-formed
    /// RESP frame (one per channel for the SUBSCRIBE family). Commands that
    /// stop the process or change its configuration are left out.
    public static func commands(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        let s = server ?? {
            // Values up to 16 MB (SETRANGE/APPEND can otherwise build 512 MB
            // ones), and a flush every 256 inputs: memory stays bounded and
            // the fuzzer stays fast, while every code path stays reachable.
            let configuration = Configuration()
            _ = configuration.set([("proto-max-bulk-len", "16mb")])
            let created = SwiftletServer(configuration: configuration)
            // The corpus has endless scripts (the busy-script cases), and so
            // may generated inputs: each ends after 200 ms, as if killed.
            created.context.scripts.scriptTimeLimitMs = 200
            server = created
            return created
        }()
        runsSinceFlush += 1
        if runsSinceFlush == 256 {
            runsSinceFlush = 0
            _ = s.call([Array("FLUSHALL".utf8)], db: 0, protocolVersion: 2)
        }
        var args: [[UInt8]] = [[]]
        for b in data.dropFirst() {
            if b == 0 { if args.count == 24 { break }; args.append([]) } else { args[args.count - 1].append(b) }
        }
        let name = String(decoding: args[0], as: UTF8.self).lowercased()
        if ["shutdown", "debug", "client", "config", "save", "bgsave", "monitor", "sync", "psync"].contains(name) { return }
        let reply = s.call(args, db: Int(first >> 1) % 16, protocolVersion: first & 1 == 0 ? 2 : 3)
        // One frame per command, except (UN)SUBSCRIBE and friends: one per channel.
        var offset = 0, frames = 0
        while offset < reply.count {
            precondition(RESPFrame.skip(reply, &offset), "malformed reply: \(String(decoding: reply.prefix(200), as: UTF8.self))")
            frames += 1
        }
        precondition(frames == 1 || (frames > 1 && name.hasSuffix("subscribe")),
                     "\(frames) reply frames to \(name): \(String(decoding: reply.prefix(200), as: UTF8.self))")
    }
}

/// A strict RESP2/RESP3 frame checker.
enum RESPFrame {
    /// Advances `i` past one frame; false if the bytes are not one.
    static func skip(_ b: [UInt8], _ i: inout Int) -> Bool {
        guard i < b.count else { return false }
        let marker = b[i]
        i += 1
        guard let line = readLine(b, &i) else { return false }
        switch marker {
        case 0x2B, 0x2D, 0x28, 0x2C:  // + - ( ,
            return true
        case 0x3A:  // :
            return Int(String(decoding: line, as: UTF8.self)) != nil
        case 0x5F:  // _
            return line.isEmpty
        case 0x23:  // #
            return line == [0x74] || line == [0x66]
        case 0x24, 0x3D, 0x21:  // $ = !
            guard let n = Int(String(decoding: line, as: UTF8.self)) else { return false }
            if n == -1 && marker == 0x24 { return true }
            guard n >= 0, i + n + 2 <= b.count, b[i + n] == 0x0D, b[i + n + 1] == 0x0A else { return false }
            i += n + 2
            return true
        case 0x2A, 0x7E, 0x3E, 0x25, 0x7C:  // * ~ > % |
            guard let n = Int(String(decoding: line, as: UTF8.self)) else { return false }
            if n == -1 && marker == 0x2A { return true }
            guard n >= 0 else { return false }
            let items = (marker == 0x25 || marker == 0x7C) ? 2 * n : n
            for _ in 0..<items where !skip(b, &i) { return false }
            return marker == 0x7C ? skip(b, &i) : true
        default:
            return false
        }
    }

    static func readLine(_ b: [UInt8], _ i: inout Int) -> [UInt8]? {
        var j = i
        while j + 1 < b.count {
            if b[j] == 0x0D && b[j + 1] == 0x0A {
                let line = Array(b[i..<j])
                i = j + 2
                return line
            }
            j += 1
        }
        return nil
    }
}
