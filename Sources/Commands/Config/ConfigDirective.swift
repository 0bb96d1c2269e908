/// The shape of one Redis configuration directive: its name, aliases, what
/// values it accepts and how CONFIG SET may touch it.
///
/// The table itself lives in `ConfigDirectiveTable.swift`; parsing lives in
/// `ConfigValueParser.swift` and `ConfigSpecialValues.swift`. Keeping the
/// description separate from the behaviour lets the table read like the
/// reference it was recorded from.

/// How CONFIG SET and CONFIG GET treat a directive.
struct ConfigFlags: OptionSet, Sendable {
    let rawValue: UInt8

    /// Only settable from the config file or command line; CONFIG SET answers
    /// "can't set immutable config".
    static let immutable = ConfigFlags(rawValue: 1 << 0)
    /// CONFIG SET is refused unless `enable-protected-configs` allows it
    /// ("can't set protected config"): these can make the server write files
    /// in arbitrary places.
    static let protected = ConfigFlags(rawValue: 1 << 1)
    /// The value is a secret (passwords, the replication user); callers must
    /// redact it from SLOWLOG, MONITOR and logs.
    static let sensitive = ConfigFlags(rawValue: 1 << 2)
    /// Test-only knobs: CONFIG GET reports them only when asked by exact name,
    /// never through a glob pattern.
    static let hidden = ConfigFlags(rawValue: 1 << 3)
}

/// How a numeric directive is written and bounded. Values are kept as the
/// 64-bit pattern Redis stores, so the quirks of its C types (unsigned
/// wrap-around, percentages stored as negative numbers) come out the same.
struct NumericRule: Sendable {
    enum Syntax: Sendable {
        /// Strict decimal: optional '-', no '+', no spaces, no leading zeros.
        case integer
        /// Digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
        case memory
        /// A memory value, or `N%` (stored as -N) for limits relative to maxmemory.
        case memoryOrPercent
        /// Octal, as for file permissions (strtoll base 8: spaces and a sign allowed).
        case octal
    }

    let syntax: Syntax
    let lower: Int64
    let upper: UInt64
    /// The Redis field is an unsigned C type: bounds are compared, and the
    /// value printed, as unsigned. Only observable for `maxmemory` and
    /// `cluster-link-sendbuf-limit`, which accept up to 2^64-1.
    let isUnsigned: Bool
    /// Out-of-range values that pass the bounds check are pulled into this
    /// range afterwards (`hz`: accepted 0...INT_MAX, used as 1...500).
    var clamp: ClosedRange<Int64>? = nil
    /// CONFIG SET (not the config file) raises smaller values to this, the
    /// way resizing the replication backlog does in Redis.
    var configSetMinimum: Int64? = nil

    static func integer(_ lower: Int64, _ upper: Int64, clampedTo clamp: ClosedRange<Int64>? = nil) -> NumericRule {
        NumericRule(syntax: .integer, lower: lower, upper: UInt64(upper), isUnsigned: false, clamp: clamp)
    }

    static func memory(_ lower: Int64, _ upper: Int64, configSetMinimum: Int64? = nil) -> NumericRule {
        NumericRule(syntax: .memory, lower: lower, upper: UInt64(upper), isUnsigned: false, configSetMinimum: configSetMinimum)
    }

    /// A full-range unsigned 64-bit memory value (`maxmemory`).
    static let unsignedMemory = NumericRule(syntax: .memory, lower: 0, upper: .max, isUnsigned: true)

    static func memoryOrPercent(maxPercent: Int64) -> NumericRule {
        NumericRule(syntax: .memoryOrPercent, lower: -maxPercent, upper: UInt64(Int64.max), isUnsigned: false)
    }

    static func octal(_ lower: Int64, _ upper: Int64) -> NumericRule {
        NumericRule(syntax: .octal, lower: lower, upper: UInt64(upper), isUnsigned: true)
    }
}

/// Extra validation for free-form string directives.
enum StringRule: Sendable {
    /// Any text up to the first NUL byte (Redis keeps these as C strings).
    case any
    /// Any bytes at all: passwords, which Redis keeps binary-safe.
    case binary
    /// A bare file name (no '/' or '\'); `label` names the directive in the error.
    case fileName(label: String, allowEmpty: Bool)
    /// A bare, non-empty directory name (`appenddirname`).
    case directoryName(label: String)
    /// Letters, digits, '-' and '.' only (`cluster-announce-hostname`).
    case hostname
    /// A process-title template whose `{variables}` must all be known.
    case procTitleTemplate
}

/// What values a directive accepts. The special cases each have their own
/// syntax and canonical form; see `ConfigSpecialValues.swift`.
enum ConfigValueKind: Sendable {
    case bool
    case number(NumericRule)
    /// Exactly one of the names, matched case-insensitively.
    case enumeration([String])
    /// Any combination of the names after the first, which stands for "none"
    /// (`shutdown-on-sigint`): a multi-argument directive.
    case flagSet([String])
    case string(StringRule)
    case save
    case clientOutputBufferLimit
    case notifyKeyspaceEvents
    case oomScoreAdjValues
    case bind
    case replicaof
    case percentiles
    /// `dir`: setting it changes the process's working directory.
    case directory

    /// Multi-argument directives take every word after the name in a config
    /// file, and CONFIG SET splits their value on single spaces.
    var takesMultipleArguments: Bool {
        switch self {
        case .flagSet, .save, .clientOutputBufferLimit, .oomScoreAdjValues, .bind, .replicaof, .percentiles:
            return true
        case .bool, .number, .enumeration, .string, .notifyKeyspaceEvents, .directory:
            return false
        }
    }
}

/// One row of the directive table.
struct ConfigDirective: Sendable {
    /// The canonical (lower-case) name.
    let name: String
    /// Older names accepted everywhere the canonical one is; CONFIG GET lists
    /// them as separate entries, exactly like Redis 7.0.
    let aliases: [String]
    let kind: ConfigValueKind
    /// The value as CONFIG GET prints it on a server started without a
    /// config file (`dir`'s is the working directory, computed at run time).
    let defaultValue: String
    let flags: ConfigFlags

    init(_ name: String, aliases: [String] = [], _ kind: ConfigValueKind, _ defaultValue: String, _ flags: ConfigFlags = []) {
        self.name = name
        self.aliases = aliases
        self.kind = kind
        self.defaultValue = defaultValue
        self.flags = flags
    }
}

/// Name lookup over the table. Redis keeps aliases as their own dictionary
/// entries, so a "key" here is either a canonical name or an alias, and it
/// is what CONFIG GET reports and what CONFIG SET errors quote.
struct ConfigDirectoryKey: Sendable {
    let name: String
    let index: Int
}

enum ConfigDirectory {
    /// Every key in table order, each canonical name followed by its aliases.
    static let keys: [ConfigDirectoryKey] = {
        var keys: [ConfigDirectoryKey] = []
        for (index, directive) in ConfigDirective.all.enumerated() {
            keys.append(ConfigDirectoryKey(name: directive.name, index: index))
            for alias in directive.aliases { keys.append(ConfigDirectoryKey(name: alias, index: index)) }
        }
        return keys
    }()

    private static let byName: [String: Int] = {
        var map: [String: Int] = [:]
        for key in keys { map[key.name] = key.index }
        return map
    }()

    /// Case-insensitive (ASCII, like strcasecmp) lookup of a name or alias.
    static func index(of name: String) -> Int? {
        byName[ConfigText.asciiLowercased(name)]
    }

    static func index(ofCanonical name: String) -> Int {
        guard let index = byName[name] else { fatalError("no config directive named \(name)") }
        return index
    }
}

/// Name comparisons the way Redis makes them: strcasecmp in the C locale,
/// so only ASCII letters fold ("MAXMEMORY" is "maxmemory", "É" is not "é").
enum ConfigText {
    /// Lower-cases ASCII letters only. Redis compares names with strcasecmp in
    /// the C locale, so non-ASCII letters must not be folded.
    static func asciiLowercased(_ string: String) -> String {
        var bytes = Array(string.utf8)
        var changed = false
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A {
            bytes[i] |= 0x20
            changed = true
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : string
    }

    /// strcasecmp-style equality (ASCII case folding only).
    static func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) {
            let lp = p >= 0x41 && p <= 0x5A ? p | 0x20 : p
            let lq = q >= 0x41 && q <= 0x5A ? q | 0x20 : q
            if lp != lq { return false }
        }
        return true
    }
}
