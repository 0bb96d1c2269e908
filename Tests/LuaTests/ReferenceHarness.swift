import Foundation
import Lua

/// Runs Lua source through the reference interpreter (`lua5.1`, reading
/// the chunk from stdin, so its chunk name is `=stdin`) and through ours,
/// in the same shape: standard output, then the uncaught error's first
/// line as `lua5.1` prints it (`lua5.1: stdin:3: message`).
enum ReferenceHarness {
    static let referencePath = "/usr/bin/lua5.1"

    static var referenceAvailable: Bool { FileManager.default.isExecutableFile(atPath: referencePath) }

    /// Output of lua5.1 for `source`.
    static func runReference(_ source: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: referencePath)
        process.arguments = ["-"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let writer = input.fileHandleForWriting
        writer.write(Data(source))
        try writer.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var errorText = Array(err)
        // lua.c names itself by argv[0]; ours is reported as "lua5.1".
        let longName = Array((referencePath + ": ").utf8)
        if errorText.starts(with: longName) { errorText = Array("lua5.1: ".utf8) + errorText.dropFirst(longName.count) }
        return combine(out: Array(out), err: errorText)
    }

    static func combine(out: [UInt8], err: [UInt8]) -> String {
        var text = String(decoding: out, as: UTF8.self)
        let firstErrorLine = err.split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false).first.map(Array.init) ?? []
        if !firstErrorLine.isEmpty {
            text += "<error> " + String(decoding: firstErrorLine, as: UTF8.self) + "\n"
        }
        return normalize(text)
    }

    /// Object addresses differ between processes: replace them.
    static func normalize(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "0x") {
            result += rest[..<range.lowerBound]
            var end = range.upperBound
            while end < rest.endIndex, rest[end].isHexDigit { end = rest.index(after: end) }
            // Only pointers (long runs) are rewritten; "0x10" in data stays.
            if rest.distance(from: range.upperBound, to: end) >= 8 { result += "ADDR" } else { result += rest[range.lowerBound..<end] }
            rest = rest[end...]
        }
        return result + rest
    }

    /// Runs `body` on a thread with a 256 MiB stack: debug builds use about
    /// 7 KiB of native stack per Lua call level, and the corpus recurses
    /// 3000 levels deep, as a release build can on an 8 MiB stack.
    static func onLargeStack<T>(_ body: @escaping () -> T) -> T {
        var result: T? = nil
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result = body()
            done.signal()
        }
        thread.stackSize = 256 << 20
        thread.start()
        done.wait()
        return result!
    }

    /// Output of our interpreter for `source`, shaped like `runReference`.
    static func runOurs(_ source: [UInt8]) -> String {
        onLargeStack { runOursHere(source) }
    }

    static func runOursHere(_ source: [UInt8], configure: (LuaState) -> Void = { _ in }) -> String {
        let state = LuaState()
        state.chunkNameLimit = 80  // as Debian builds lua5.1
        var out: [UInt8] = []
        state.printSink = { out.append(contentsOf: $0) }
        configure(state)
        var err: [UInt8] = []
        do {
            let function = try state.load(source, chunkName: Array("=stdin".utf8))
            _ = try state.call(.function(function))
        } catch let error as LuaSyntaxError {
            err = Array("lua5.1: \(error.message)".utf8)
        } catch let error as LuaError {
            switch error.value {
            case .string(let s): err = Array("lua5.1: ".utf8) + s.bytes
            case .number: err = Array("lua5.1: \(error.description)".utf8)
            default: err = Array("lua5.1: (error object is not a string)".utf8)
            }
        } catch {
            err = Array("lua5.1: host error \(error)".utf8)
        }
        return combine(out: out, err: err)
    }

    /// The snippets of a corpus file: chunks separated by `--## name` lines.
    static func snippets(in file: URL) throws -> [(name: String, source: String)] {
        let text = try String(contentsOf: file, encoding: .isoLatin1)
        var result: [(String, String)] = []
        var name = file.lastPathComponent
        var lines: [Substring] = []
        func flush() {
            let body = lines.joined(separator: "\n")
            if !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { result.append((name, body + "\n")) }
            lines = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("--## ") {
                flush()
                name = file.lastPathComponent + ": " + line.dropFirst(5)
            } else {
                lines.append(line)
            }
        }
        flush()
        return result
    }

    static var corpusDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus")
    }
}
