import RESP

/// One key specification of a command, as Redis 7 describes where a
/// command's keys are (COMMAND INFO's `key_specs`): where the search
/// begins, how the keys are found from there, and how the command uses
/// them. Recorded from Redis per command in `CommandReferenceMetadata`.
public struct KeySpec: Sendable {
    public enum BeginSearch: Sendable {
        /// The first key is argument `index`.
        case index(Int)
        /// The first key follows `keyword`, searched from argument
        /// `startFrom` (from the end when negative).
        case keyword(String, startFrom: Int)
        case unknown
    }

    public enum FindKeys: Sendable {
        /// Keys from the start to `lastKey` (relative; negative counts
        /// from the end), every `step`-th; with `limit` > 1 and lastKey
        /// -1, the first 1/limit of what remains (XREAD's STREAMS k1 k2 id1 id2).
        case range(lastKey: Int, step: Int, limit: Int)
        /// Argument `index` (relative) holds the number of keys, which
        /// start `firstKey` arguments after the start.
        case keynum(index: Int, firstKey: Int, step: Int)
        case unknown
    }

    public let flags: [String]
    public let begin: BeginSearch
    public let find: FindKeys
    public let notes: String?

    public init(_ flags: [String], _ begin: BeginSearch, _ find: FindKeys, notes: String? = nil) {
        self.flags = flags; self.begin = begin; self.find = find; self.notes = notes
    }

    public var isNotKey: Bool { flags.contains("not_key") }
    var isIncomplete: Bool { flags.contains("incomplete") }

    /// The positions of this spec's keys in `args` (argument 0 is the
    /// command name); empty when a keyword is absent; nil when the
    /// arguments contradict the spec (a bad key count, keys past the end),
    /// as Redis's `getKeysUsingKeySpecs` decides.
    func positions(in args: Arguments) -> [Int]? {
        let argc = args.count
        func arg(_ i: Int) -> UnsafeRawBufferPointer { args[i] }
        var first = 0
        switch begin {
        case .index(let i): first = i
        case .keyword(let word, let startFrom):
            // Redis's walk: forwards up to (not including) the last
            // argument, or backwards down to (not including) argument 1.
            let start = startFrom > 0 ? startFrom : argc + startFrom
            let end = startFrom > 0 ? argc - 1 : 1
            var i = start
            while i != end && i >= 1 && i < argc {
                if arg(i).lowercasedString == word.lowercased() { first = i + 1; break }
                i += start <= end ? 1 : -1
            }
            if first == 0 { return [] }
        case .unknown: return nil
        }
        var last: Int, step: Int
        switch find {
        case .range(let lastKey, let s, let limit):
            step = s
            if lastKey >= 0 { last = first + lastKey }
            else if limit == 0 { last = argc + lastKey }
            else { last = first + ((argc - first) / limit + lastKey) }
        case .keynum(let index, let firstKey, let s):
            step = s
            guard first + index < argc, let n = Decimal.parse(arg(first + index)), n >= 0 else { return nil }
            first += firstKey
            last = first + n - 1
        case .unknown: return nil
        }
        if last >= argc || last < first || first >= argc { return nil }
        return Array(stride(from: first, through: last, by: max(step, 1)))
    }
}

extension CommandSpec {
    /// Redis's `movablekeys`: the legacy (first, last, step) triple cannot
    /// name every key (a keyword or key-count spec, a gap between ranges, a
    /// step, an incomplete spec).
    public var hasMovableKeys: Bool {
        if keySpecs.count == 1, case .index = keySpecs[0].begin, case .range = keySpecs[0].find {
            return keySpecs[0].isIncomplete
        }
        var previousLast = 0
        for spec in keySpecs {
            guard case .index(let position) = spec.begin, case .range(let lastKey, let step, _) = spec.find else { return true }
            if step != 1 || (previousLast != 0 && previousLast != position - 1) || spec.isIncomplete { return true }
            // A range to the end (negative lastKey) leaves no room for another.
            previousLast = max(previousLast, lastKey >= 0 ? position + lastKey : Int(UInt32.max))
        }
        return false
    }
}
