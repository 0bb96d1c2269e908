#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directives with their own syntax: each function takes the arguments as
/// split by the config reader (or CONFIG SET's single-space split) and
/// returns the canonical CONFIG GET text, or Redis's error for them.
enum ConfigSpecialValues {
    // MARK: save

    /// `save <seconds> <changes> ...`. A single empty argument clears the
    /// list. Numbers are read with strtoll (so "01" is fine); seconds must be
    /// at least 1 and changes at least 0. Changes are kept as a C int, so
    /// huge values wrap exactly as they do in Redis.
    ///
    /// `append` is the config-file behaviour: the first `save` line replaces
    /// the defaults, later ones add to the list.
    static func parseSave(_ arguments: [String], current: String, append: Bool) throws -> String {
        var arguments = arguments
        var clearFirst = false
        if arguments.count == 1 && arguments[0].isEmpty {
            arguments = []
            clearFirst = true
        }
        if arguments.count % 2 != 0 { throw ConfigValueError("Invalid save parameters") }
        var pairs: [String] = []
        var i = 0
        while i < arguments.count {
            let seconds = ConfigNumbers.cStrtoll(arguments[i]), changes = ConfigNumbers.cStrtoll(arguments[i + 1])
            if !seconds.complete || !changes.complete || seconds.value < 1 || changes.value < 0 {
                throw ConfigValueError("Invalid save parameters")
            }
            pairs.append("\(seconds.value) \(Int32(truncatingIfNeeded: changes.value))")
            i += 2
        }
        let kept = (append && !clearFirst && !current.isEmpty) ? [current] : []
        return (kept + pairs).joined(separator: " ")
    }

    // MARK: client-output-buffer-limit

    /// The three limit classes, in the order CONFIG GET prints them.
    private static let bufferClasses = ["normal", "slave", "pubsub"]

    /// `<class> <hard> <soft> <soft-seconds>` groups. Only the named classes
    /// change, and nothing changes unless every group is valid. Sizes use the
    /// memory syntax; seconds use strtoll truncated to a C int.
    static func parseClientOutputBufferLimit(_ arguments: [String], current: String) throws -> String {
        if arguments.count % 4 != 0 {
            throw ConfigValueError("Wrong number of arguments in buffer limit configuration.")
        }
        // Current value: "normal h s t slave h s t pubsub h s t".
        let words = current.split(separator: " ").map(String.init)
        var limits: [[String]] = (0..<3).map { Array(words[($0 * 4 + 1)..<($0 * 4 + 4)]) }
        var i = 0
        while i < arguments.count {
            let name = ConfigText.asciiLowercased(arguments[i])
            let slot: Int
            switch name {
            case "normal": slot = 0
            case "slave", "replica": slot = 1
            case "pubsub": slot = 2
            default:  // includes "master", which has no output buffer limit
                throw ConfigValueError("Invalid client class specified in buffer limit configuration.")
            }
            let seconds = ConfigNumbers.cStrtoll(arguments[i + 3])
            let secondsAsInt = Int32(truncatingIfNeeded: seconds.value)
            guard let hard = ConfigNumbers.memory(arguments[i + 1]), let soft = ConfigNumbers.memory(arguments[i + 2]),
                  seconds.complete, secondsAsInt >= 0 else {
                throw ConfigValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            }
            limits[slot] = [String(hard), String(soft), String(secondsAsInt)]
            i += 4
        }
        return (0..<3).map { ([bufferClasses[$0]] + limits[$0]).joined(separator: " ") }.joined(separator: " ")
    }

    // MARK: notify-keyspace-events

    static func parseNotifyKeyspaceEvents(_ text: String) throws -> String {
        guard let mask = KeyspaceEventClasses.mask(text) else {
            throw ConfigValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
        }
        return KeyspaceEventClasses.storedClasses(mask)
    }

    // MARK: oom-score-adj-values

    /// Three strtoll numbers in -2000...2000 (for master, replica, and
    /// background child). Redis only warns when they are not increasing.
    static func parseOOMScoreAdjValues(_ arguments: [String]) throws -> String {
        if arguments.count != 3 { throw ConfigValueError("wrong number of arguments") }
        var values: [Int64] = []
        for argument in arguments {
            let parsed = ConfigNumbers.cStrtoll(argument)
            if !parsed.complete || parsed.value < -2000 || parsed.value > 2000 {
                throw ConfigValueError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
            }
            values.append(parsed.value)
        }
        return values.map(String.init).joined(separator: " ")
    }

    // MARK: bind

    /// Up to 16 addresses; a single empty argument means "none". Whether they
    /// can actually be bound is for the listener to decide (see
    /// `Configuration.onApply`).
    static func parseBind(_ arguments: [String]) throws -> String {
        if arguments.count > 16 { throw ConfigValueError("Too many bind addresses specified.") }
        if arguments.count == 1 && arguments[0].isEmpty { return "" }
        return arguments.joined(separator: " ")
    }

    // MARK: replicaof

    /// `<host> <port>` or `no one` (any case). The port is read with strtol.
    static func parseReplicaof(_ arguments: [String]) throws -> String {
        if arguments.count != 2 { throw ConfigValueError("wrong number of arguments") }
        if ConfigText.asciiCaseInsensitiveEquals(arguments[0], "no") && ConfigText.asciiCaseInsensitiveEquals(arguments[1], "one") {
            return ""
        }
        let port = ConfigNumbers.cStrtoll(arguments[1])
        if !port.complete || port.value < 0 || port.value > 65535 {
            throw ConfigValueError("Invalid master port")
        }
        return "\(arguments[0]) \(port.value)"
    }

    // MARK: latency-tracking-info-percentiles

    /// Doubles in 0...100, printed with `%f` minus trailing zeros. A single
    /// empty argument (or none) means no percentiles.
    static func parsePercentiles(_ arguments: [String]) throws -> String {
        if arguments.count == 1 && arguments[0].isEmpty { return "" }
        var printed: [String] = []
        for argument in arguments {
            guard let value = ConfigNumbers.double(argument) else {
                throw ConfigValueError("Invalid latency-tracking-info-percentiles parameters")
            }
            if value > 100 || value < 0 {
                throw ConfigValueError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
            }
            printed.append(ConfigNumbers.trimmedFixed(value))
        }
        return printed.joined(separator: " ")
    }

    // MARK: dir

    /// Redis applies `dir` immediately with chdir(2) — later `include` lines
    /// resolve against it — and reports the working directory afterwards.
    static func changeDirectory(_ path: String) throws -> String {
        if chdir(path) == -1 { throw ConfigValueError(String(cString: strerror(errno))) }
        return currentDirectory()
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "" }
        return String(cString: buffer)
    }

    // MARK: string validators

    static func validateHostname(_ text: String) throws {
        if text.utf8.count >= 256 { throw ConfigValueError("Hostnames must be less than 256 characters") }
        for c in text.utf8 {
            let ok = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
            if !ok { throw ConfigValueError("Hostnames may only contain alphanumeric characters, hyphens or dots") }
        }
    }

    /// A template is valid when every `{name}` is a known variable ("{{" is a
    /// literal brace) and the expansion is not blank. Redis expands it with an
    /// empty title and the current settings, so "{title}" alone is rejected
    /// and "{unixsocket}" is rejected while no unix socket is configured.
    static func validateProcTitleTemplate(_ template: String, valueOf: (String) -> String) throws {
        let invalid = ConfigValueError("template format is invalid or contains unknown variables")
        let bytes = Array(template.utf8)
        var expanded: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let open = bytes[i...].firstIndex(of: UInt8(ascii: "{")) else {
                expanded += bytes[i...]
                break
            }
            expanded += bytes[i..<open]
            let nameStart = open + 1
            if nameStart == bytes.count { throw invalid }
            if bytes[nameStart] == UInt8(ascii: "{") {
                expanded.append(UInt8(ascii: "{"))
                i = nameStart + 1
                continue
            }
            guard let close = bytes[nameStart...].firstIndex(of: UInt8(ascii: "}")) else { throw invalid }
            let name = String(decoding: bytes[nameStart..<close], as: UTF8.self)
            guard let value = procTitleVariable(name, valueOf: valueOf) else { throw invalid }
            expanded += Array(value.utf8)
            i = close + 1
        }
        // Redis trims spaces (only spaces) from the expansion.
        if expanded.allSatisfy({ $0 == UInt8(ascii: " ") }) { throw invalid }
    }

    private static func procTitleVariable(_ name: String, valueOf: (String) -> String) -> String? {
        switch name {
        case "title": return ""
        case "listen-addr", "config-file", "port", "tls-port": return "x"  // never empty
        case "server-mode": return valueOf("cluster-enabled") == "yes" ? "[cluster]" : ""
        case "unixsocket": return valueOf("unixsocket")
        default: return nil
        }
    }
}

/// The `notify-keyspace-events` class letters and Redis's bit for each
/// (the same bits as the server's `NotifyClass`), so the setting can be
/// handed to the notification code as a mask.
enum KeyspaceEventClasses {
    static let keyspace = 1 << 0   // K
    static let keyevent = 1 << 1   // E
    static let keyMiss = 1 << 11   // m
    /// The per-type classes in the order Redis prints them.
    static let typeLetters: [(letter: Character, bit: Int)] = [
        ("g", 1 << 2), ("$", 1 << 3), ("l", 1 << 4), ("s", 1 << 5), ("h", 1 << 6), ("z", 1 << 7),
        ("x", 1 << 8), ("e", 1 << 9), ("t", 1 << 10), ("d", 1 << 13), ("n", 1 << 14),
    ]
    /// What 'A' selects: every type class except 'n' (new key); 'm' is not a
    /// type class either.
    static let all = typeLetters.filter { $0.letter != "n" }.reduce(0) { $0 | $1.bit }

    /// The mask for a class string such as "KEA"; nil on an unknown letter.
    static func mask(_ classes: String) -> Int? {
        var mask = 0
        for c in classes {
            switch c {
            case "A": mask |= all
            case "K": mask |= keyspace
            case "E": mask |= keyevent
            case "m": mask |= keyMiss
            default:
                guard let entry = typeLetters.first(where: { $0.letter == c }) else { return nil }
                mask |= entry.bit
            }
        }
        return mask
    }

    /// How the value is kept: CONFIG GET's spelling (`classes`), except that
    /// 'n' stays beside "A". Redis keeps the bits, so KEAn still sends `new`
    /// events although CONFIG GET shows "AKE".
    static func storedClasses(_ mask: Int) -> String {
        let new = 1 << 14
        guard mask & all == all && mask & new != 0 else { return classes(mask) }
        return "An" + classes(mask).dropFirst()
    }

    /// The canonical spelling CONFIG GET shows: "A" when every type class is
    /// on (which then hides 'n'), else the type letters; then K, E, m.
    static func classes(_ mask: Int) -> String {
        var text = ""
        if mask & all == all {
            text = "A"
        } else {
            for entry in typeLetters where mask & entry.bit != 0 { text.append(entry.letter) }
        }
        if mask & keyspace != 0 { text += "K" }
        if mask & keyevent != 0 { text += "E" }
        if mask & keyMiss != 0 { text += "m" }
        return text
    }
}
