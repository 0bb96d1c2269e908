import TestSupport
import RESP

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
        /// `[delay MS]`: wait before the line runs (blocking-command cases).
        var delayMs = 0
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
                    case "delay": step.delayMs = Int(modifier[1])!
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

    /// redis-cli style tokenizing (Redis's `sdssplitargs` rules: blanks
    /// separate, "double quotes" with escapes, 'single quotes' literal),
    /// done by the server's own splitter so the rules live in one place.
    static func tokenize(_ text: String) throws -> [[UInt8]] {
        guard let words = RequestParser.splitArguments(Array(text.utf8)) else {
            throw Malformed(description: "unbalanced quotes in \(text)")
        }
        return words
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
