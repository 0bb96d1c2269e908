/// Turns the arguments given for a directive into its canonical value — the
/// exact string CONFIG GET will print — or the error Redis would report.
///
/// Values are stored canonically (memory sizes in bytes, enums in their
/// table spelling, keyspace-event flags in Redis's fixed order) because that
/// is what clients read back, and it makes "did this change?" a string
/// comparison.

/// A rejected value. `message` is Redis's wording, without any prefix: the
/// caller wraps it for CONFIG SET or the FATAL config-file report.
struct ConfigValueError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Where a value came from. A few directives behave differently when set at
/// run time (CONFIG SET) than when read at startup.
enum ConfigSetOrigin {
    case configFile
    case configSet
}

struct ConfigParseContext {
    let origin: ConfigSetOrigin
    /// Only for `save` from a config file: true once an earlier `save` line
    /// in this load replaced the defaults, so this line appends.
    var appendSave: Bool = false
    /// Reads another directive's current value by canonical name (the
    /// process-title template is validated against the current settings).
    let valueOf: (String) -> String
}

enum ConfigValueParser {
    /// Parses `arguments` (one for single-value directives, any number for
    /// multi-argument ones) against `directive`, given its `current` value.
    static func parse(_ arguments: [String], for directive: ConfigDirective, current: String,
                      context: ConfigParseContext) throws -> String {
        switch directive.kind {
        case .bool:
            return try parseBool(arguments[0])
        case .number(let rule):
            return try parseNumber(arguments[0], rule: rule, origin: context.origin)
        case .enumeration(let names):
            return try parseEnumeration(arguments[0], names: names)
        case .flagSet(let names):
            return try parseFlagSet(arguments, names: names)
        case .string(let rule):
            var text = arguments[0]
            if case .binary = rule {} else if let nul = text.firstIndex(of: "\0") { text = String(text[..<nul]) }
            try validateString(text, rule: rule, context: context)
            return text
        case .save:
            return try ConfigSpecialValues.parseSave(arguments, current: current, append: context.appendSave)
        case .clientOutputBufferLimit:
            return try ConfigSpecialValues.parseClientOutputBufferLimit(arguments, current: current)
        case .notifyKeyspaceEvents:
            return try ConfigSpecialValues.parseNotifyKeyspaceEvents(arguments[0])
        case .oomScoreAdjValues:
            return try ConfigSpecialValues.parseOOMScoreAdjValues(arguments)
        case .bind:
            return try ConfigSpecialValues.parseBind(arguments)
        case .replicaof:
            return try ConfigSpecialValues.parseReplicaof(arguments)
        case .percentiles:
            return try ConfigSpecialValues.parsePercentiles(arguments)
        case .directory:
            return try ConfigSpecialValues.changeDirectory(arguments[0])
        }
    }

    static func parseBool(_ text: String) throws -> String {
        if ConfigText.asciiCaseInsensitiveEquals(text, "yes") { return "yes" }
        if ConfigText.asciiCaseInsensitiveEquals(text, "no") { return "no" }
        throw ConfigValueError("argument must be 'yes' or 'no'")
    }

    static func parseEnumeration(_ text: String, names: [String]) throws -> String {
        if let match = names.first(where: { ConfigText.asciiCaseInsensitiveEquals($0, text) }) { return match }
        throw enumerationError(names)
    }

    /// Redis lists every allowed value, in table order.
    static func enumerationError(_ names: [String]) -> ConfigValueError {
        ConfigValueError("argument(s) must be one of the following: " + names.joined(separator: ", "))
    }

    /// A combination of flags; the first name means "no flags". Printed in
    /// table order, so "now nosave" reads back as "nosave now".
    static func parseFlagSet(_ arguments: [String], names: [String]) throws -> String {
        if arguments.isEmpty { throw enumerationError(names) }
        var bits = 0
        for argument in arguments {
            guard let position = names.firstIndex(where: { ConfigText.asciiCaseInsensitiveEquals($0, argument) }) else {
                throw enumerationError(names)
            }
            if position > 0 { bits |= 1 << (position - 1) }
        }
        // The only flag directives are shutdown-on-sigint/sigterm, whose
        // "save" and "nosave" contradict each other.
        if let save = names.firstIndex(of: "save"), let nosave = names.firstIndex(of: "nosave"),
           bits & (1 << (save - 1)) != 0, bits & (1 << (nosave - 1)) != 0 {
            throw ConfigValueError("shutdown options SAVE and NOSAVE can't be used simultaneously")
        }
        if bits == 0 { return names[0] }
        return names.indices.dropFirst().filter { bits & (1 << ($0 - 1)) != 0 }.map { names[$0] }.joined(separator: " ")
    }

    static func parseNumber(_ text: String, rule: NumericRule, origin: ConfigSetOrigin) throws -> String {
        var value = try numericValue(text, rule: rule)
        try checkBounds(value, rule: rule)
        if let clamp = rule.clamp { value = min(max(value, clamp.lowerBound), clamp.upperBound) }
        if origin == .configSet, let minimum = rule.configSetMinimum, value < minimum { value = minimum }
        return formatNumber(value, rule: rule)
    }

    /// The syntax step: which spellings are numbers at all.
    private static func numericValue(_ text: String, rule: NumericRule) throws -> Int64 {
        switch rule.syntax {
        case .integer:
            if let value = ConfigNumbers.strictInteger(text) { return value }
            throw ConfigValueError("argument couldn't be parsed into an integer")
        case .memory:
            if let value = ConfigNumbers.memory(text) { return Int64(bitPattern: value) }
            throw ConfigValueError("argument must be a memory value")
        case .memoryOrPercent:
            if let value = ConfigNumbers.memory(text) { return Int64(bitPattern: value) }
            if text.utf8.count > 1, text.hasSuffix("%"),
               let percent = ConfigNumbers.strictInteger(String(text.dropLast())), percent >= 0 {
                return -percent  // Redis stores percentages as negative numbers
            }
            throw ConfigValueError("argument must be a memory or percent value")
        case .octal:
            let parsed = ConfigNumbers.cStrtoll(text, base: 8)
            if parsed.complete && !parsed.overflow { return parsed.value }
            throw ConfigValueError("argument couldn't be parsed as an octal number")
        }
    }

    /// The range step, with Redis's wording (octal bounds printed in octal).
    private static func checkBounds(_ value: Int64, rule: NumericRule) throws {
        if rule.isUnsigned {
            let unsignedValue = UInt64(bitPattern: value), lower = UInt64(bitPattern: rule.lower)
            if unsignedValue < lower || unsignedValue > rule.upper {
                let radix = rule.syntax == .octal ? 8 : 10
                throw ConfigValueError("argument must be between \(String(lower, radix: radix)) and \(String(rule.upper, radix: radix)) inclusive")
            }
        } else if rule.syntax == .memoryOrPercent && value < 0 {
            if value < rule.lower {
                throw ConfigValueError("percentage argument must be less or equal to \(-rule.lower)")
            }
        } else if value < rule.lower || value > Int64(rule.upper) {
            throw ConfigValueError("argument must be between \(rule.lower) and \(rule.upper) inclusive")
        }
    }

    static func formatNumber(_ value: Int64, rule: NumericRule) -> String {
        switch rule.syntax {
        case .memoryOrPercent where value < 0:
            return "\(-value)%"
        case .memory, .memoryOrPercent:
            return String(UInt64(bitPattern: value))
        case .octal:
            return String(UInt64(bitPattern: value), radix: 8)
        case .integer:
            return rule.isUnsigned ? String(UInt64(bitPattern: value)) : String(value)
        }
    }

    static func validateString(_ text: String, rule: StringRule, context: ConfigParseContext) throws {
        switch rule {
        case .any, .binary:
            return
        case .fileName(let label, let allowEmpty):
            if !allowEmpty && text.isEmpty { throw ConfigValueError("\(label) can't be empty") }
            if text.contains("/") || text.contains("\\") {
                throw ConfigValueError("\(label) can't be a path, just a filename")
            }
        case .directoryName(let label):
            if text.isEmpty { throw ConfigValueError("\(label) can't be empty") }
            if text.contains("/") || text.contains("\\") {
                throw ConfigValueError("\(label) can't be a path, just a dirname")
            }
        case .hostname:
            try ConfigSpecialValues.validateHostname(text)
        case .procTitleTemplate:
            try ConfigSpecialValues.validateProcTitleTemplate(text, valueOf: context.valueOf)
        }
    }
}
