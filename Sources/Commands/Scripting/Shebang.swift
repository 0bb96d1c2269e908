/// A script's first line when it starts with `#!`: `#!lua` and any number
/// of `flags=a,b` words, split like redis-cli arguments. Redis's errors:
/// a shebang without a newline, an unknown engine, option or flag.
enum Shebang {
    struct Parsed {
        var flags: ScriptFlags
        /// Where the shebang line ends (its newline).
        var lineEnd: Int
    }

    enum Result { case success(Parsed), failure(String) }

    static func parse(_ body: [UInt8]) -> Result {
        guard let newline = body.firstIndex(of: 10) else { return .failure("ERR Invalid script shebang") }
        guard let words = split(Array(body[..<newline])) else { return .failure("ERR Invalid engine in script shebang") }
        guard let engine = words.first, engine == Array("#!lua".utf8) else {
            return .failure("ERR Unexpected engine in script shebang: \(String(decoding: words.first ?? [], as: UTF8.self))")
        }
        var flags = ScriptFlags()
        flags.declared = true
        for word in words.dropFirst() {
            let prefix = Array("flags=".utf8)
            guard word.starts(with: prefix) else {
                return .failure("ERR Unknown lua shebang option: \(String(decoding: word, as: UTF8.self))")
            }
            let list = word.dropFirst(prefix.count)
            if list.isEmpty { continue }
            for flag in list.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                let name = String(decoding: flag, as: UTF8.self)
                if !flags.insert(name) { return .failure("ERR Unexpected flag in script shebang: \(name)") }
            }
        }
        return .success(Parsed(flags: flags, lineEnd: newline))
    }

    /// Words separated by spaces, tabs or CR; double quotes (with escapes)
    /// and single quotes group, as redis-cli splits; nil when unbalanced.
    static func split(_ line: [UInt8]) -> [[UInt8]]? {
        var words: [[UInt8]] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 || b == 10 || b == 11 || b == 12 }
        while true {
            while i < line.count && isSpace(line[i]) { i += 1 }
            if i >= line.count { return words }
            var word: [UInt8] = []
            var inDouble = false, inSingle = false
            while true {
                if inDouble {
                    guard i < line.count else { return nil }
                    if line[i] == 92 && i + 1 < line.count {  // backslash
                        i += 1
                        switch line[i] {
                        case UInt8(ascii: "n"): word.append(10)
                        case UInt8(ascii: "r"): word.append(13)
                        case UInt8(ascii: "t"): word.append(9)
                        default: word.append(line[i])
                        }
                    } else if line[i] == 34 {
                        // A closing quote must be followed by a space or the end.
                        if i + 1 < line.count && !isSpace(line[i + 1]) { return nil }
                        inDouble = false
                        i += 1
                        break
                    } else {
                        word.append(line[i])
                    }
                } else if inSingle {
                    guard i < line.count else { return nil }
                    if line[i] == 39 {
                        if i + 1 < line.count && !isSpace(line[i + 1]) { return nil }
                        inSingle = false
                        i += 1
                        break
                    }
                    word.append(line[i])
                } else {
                    if i >= line.count || isSpace(line[i]) { break }
                    if line[i] == 34 { inDouble = true } else if line[i] == 39 { inSingle = true } else { word.append(line[i]) }
                }
                i += 1
            }
            words.append(word)
        }
    }
}

extension ScriptFlags {
    /// The flag names of shebangs and `redis.register_function`, in the
    /// order FUNCTION LIST shows them.
    static let names = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]

    /// Sets the flag `name`; false when there is no such flag.
    mutating func insert(_ name: String) -> Bool {
        switch name {
        case "no-writes": noWrites = true
        case "allow-oom": allowOOM = true
        case "allow-stale": allowStale = true
        case "no-cluster": noCluster = true
        case "allow-cross-slot-keys": allowCrossSlot = true
        default: return false
        }
        return true
    }

    /// The names of the flags set, in `names`' order.
    var setNames: [String] {
        zip(Self.names, [noWrites, allowOOM, allowStale, noCluster, allowCrossSlot]).filter { $0.1 }.map { $0.0 }
    }
}
