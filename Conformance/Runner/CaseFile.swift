import TestSupport

/// One conformance case file (format: Conformance/README.md).
struct CaseFile {
    struct Step {
        enum Kind { case command([[UInt8]]), raw([UInt8]), read }
        var kind: Kind
        var connection = 1
        var frames = 1
        var sorted = false
        var typeOnly = false
        var approx: Int? = nil
        var expected: [[UInt8]] = []
        var expectClosed = false
        var line: Int
    }
    struct Case {
        var name: String
        var steps: [Step] = []
    }

    let name: String
    var cases: [Case] = []

    struct Malformed: Error, CustomStringConvertible { let description: String }

    init(name: String, text: String) throws {
        self.name = name
        var current: Case? = nil
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("===") {
                if let c = current { cases.append(c) }
                current = Case(name: line.dropFirst(3).trimmingCharacters(in: " \t"))
                continue
            }
            guard current != nil else { throw Malformed(description: "\(name):\(number): line outside a case") }
            if line.hasPrefix("<closed") {
                current!.steps[current!.steps.count - 1].expectClosed = true
            } else if line.hasPrefix("<") {
                let tokens = try CaseFile.tokenize(String(line.dropFirst()))
                guard tokens.count == 1 else { throw Malformed(description: "\(name):\(number): bad reply line") }
                current!.steps[current!.steps.count - 1].expected.append(tokens[0])
            } else if line.hasPrefix(">") {
                var rest = Substring(line.dropFirst())
                var kind: Step.Kind
                if rest.hasPrefix(">") { rest = rest.dropFirst(); kind = .read }
                else if rest.hasPrefix("raw") { rest = rest.dropFirst(3); kind = .raw([]) }
                else { kind = .command([]) }
                var step = Step(kind: kind, line: number)
                while rest.hasPrefix("[") {
                    guard let close = rest.firstIndex(of: "]") else { throw Malformed(description: "\(name):\(number): bad modifier") }
                    let modifier = rest[rest.index(after: rest.startIndex)..<close].split(separator: " ")
                    switch modifier.first {
                    case "conn": step.connection = Int(modifier[1])!
                    case "frames": step.frames = Int(modifier[1])!
                    case "sorted": step.sorted = true
                    case "type": step.typeOnly = true
                    case "approx": step.approx = Int(modifier[1])!
                    default: throw Malformed(description: "\(name):\(number): unknown modifier")
                    }
                    rest = rest[rest.index(after: close)...]
                }
                let tokens = try CaseFile.tokenize(String(rest))
                switch kind {
                case .command: step.kind = .command(tokens)
                case .raw: step.kind = .raw(tokens.first ?? [])
                case .read: break
                }
                current!.steps.append(step)
            } else {
                throw Malformed(description: "\(name):\(number): unrecognised line")
            }
        }
        if let c = current { cases.append(c) }
    }

    /// redis-cli style tokenizing: blanks separate, "double quotes" with
    /// escapes, 'single quotes' literal.
    static func tokenize(_ text: String) throws -> [[UInt8]] {
        let s = Array(text.utf8)
        var out: [[UInt8]] = []
        var i = 0
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        while true {
            while i < s.count && isSpace(s[i]) { i += 1 }
            if i >= s.count { return out }
            var current: [UInt8] = []
            var inDouble = false, inSingle = false, done = false
            while !done {
                if inDouble {
                    guard i < s.count else { throw Malformed(description: "unterminated quotes") }
                    if s[i] == 0x5C && i + 3 < s.count && s[i + 1] == 0x78, let h = hex(s[i + 2]), let l = hex(s[i + 3]) {
                        current.append(h << 4 | l); i += 4
                    } else if s[i] == 0x5C && i + 1 < s.count {
                        let e = s[i + 1]
                        switch e {
                        case 0x6E: current.append(0x0A)
                        case 0x72: current.append(0x0D)
                        case 0x74: current.append(0x09)
                        case 0x62: current.append(0x08)
                        case 0x61: current.append(0x07)
                        default: current.append(e)
                        }
                        i += 2
                    } else if s[i] == 0x22 {
                        if i + 1 < s.count && !isSpace(s[i + 1]) { throw Malformed(description: "closing quote not followed by space") }
                        i += 1; done = true
                    } else { current.append(s[i]); i += 1 }
                } else if inSingle {
                    guard i < s.count else { throw Malformed(description: "unterminated quotes") }
                    if s[i] == 0x5C && i + 1 < s.count && s[i + 1] == 0x27 { current.append(0x27); i += 2 }
                    else if s[i] == 0x27 {
                        if i + 1 < s.count && !isSpace(s[i + 1]) { throw Malformed(description: "closing quote not followed by space") }
                        i += 1; done = true
                    } else { current.append(s[i]); i += 1 }
                } else {
                    if i >= s.count || isSpace(s[i]) { done = true }
                    else if s[i] == 0x22 { inDouble = true; i += 1 }
                    else if s[i] == 0x27 { inSingle = true; i += 1 }
                    else { current.append(s[i]); i += 1 }
                }
            }
            out.append(current)
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String { Substring(self).trimmingCharacters(in: set) }
}
