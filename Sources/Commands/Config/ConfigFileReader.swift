#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads redis-server's startup configuration: the config file, standard
/// input, and the `--name value` command-line options, in that order, as one
/// text whose lines are applied top to bottom.
///
/// Redis builds that text literally — the options become extra lines after a
/// newline — and its error messages count lines in it, so this reader does
/// the same to report the same line numbers. It also keeps Redis's include
/// semantics (an included file is processed as a text of its own, relative
/// paths resolve against the working directory, `*?[` patterns are globbed
/// and may match nothing) including one quirk: after an `include`, `save`
/// lines in the including file replace the list instead of adding to it.
struct ConfigFileReader {
    /// Directive values being loaded, indexed like `ConfigDirective.all`.
    var values: [String]
    var renamedCommands: [(from: String, to: String)] = []
    var userDirectives: [[String]] = []
    var modulesToLoad: [String] = []
    var moduleConfigs: [String: String] = [:]

    private let readFile: (String) throws -> String
    /// Validates `rename-command` sources; nil accepts any name.
    private let commandExists: ((String) -> Bool)?
    private var renamedAway: Set<String> = []
    private var renamedTo: Set<String> = []
    /// Redis's `save` bookkeeping: the first `save` line of a load replaces
    /// the defaults, later ones append — but only while a file is being read.
    private var readingConfigFile = false
    private var saveLoaded = false
    private var includeDepth = 0

    /// Redis has no limit and crashes on an include loop; stop well before.
    static let maximumIncludeDepth = 64

    init(values: [String], readFile: @escaping (String) throws -> String, commandExists: ((String) -> Bool)?) {
        self.values = values
        self.readFile = readFile
        self.commandExists = commandExists
    }

    // MARK: Command line

    /// What redis-server makes of its arguments (after the program name).
    struct CommandLine {
        /// The first argument, when it does not start with '-'.
        var configFile: String?
        /// "-" as the first or last argument: read directives from stdin.
        var readsStandardInput = false
        /// The options as config lines: "--port 7000 --save 60 1" becomes
        /// `port "7000"` and `save "60" "1"` on separate lines. Values are
        /// quoted so they survive re-splitting unchanged.
        var options = ""
    }

    /// Converts arguments the way redis-server 7.0 does: a word starting with
    /// "--" names a directive unless the previous name is still waiting for
    /// its first value (so `--requirepass --secret` works); other words are
    /// values of the latest directive; `--save` with no value means `save ""`;
    /// "--port 7000" as one word is taken as-is.
    static func parseCommandLine(_ arguments: [String]) -> CommandLine {
        var result = CommandLine()
        var j = 0
        if let first = arguments.first, !first.hasPrefix("-") {
            result.configFile = first
            j = 1
        }
        var lastNameHasValue = true
        while j < arguments.count {
            let argument = arguments[j]
            let isLast = j == arguments.count - 1
            let nextIsName = !isLast && arguments[j + 1].hasPrefix("--")
            if argument == "-" && (j == 0 || isLast) {
                result.readsStandardInput = true
            } else if lastNameHasValue && argument.hasPrefix("--") {
                if !result.options.isEmpty { result.options += "\n" }
                result.options += String(argument.dropFirst(2)) + " "
                if ConfigArgumentSplitter.splitStrings(argument)?.count == 1 {
                    lastNameHasValue = false
                    if ConfigText.asciiCaseInsensitiveEquals(argument, "--save") && (isLast || nextIsName) {
                        result.options += "\"\""
                        lastNameHasValue = true
                    } else if ConfigText.asciiCaseInsensitiveEquals(argument, "--sentinel") && nextIsName {
                        lastNameHasValue = true
                    }
                } else {
                    lastNameHasValue = true
                }
            } else {
                result.options += ConfigArgumentSplitter.quote(argument) + " "
                lastNameHasValue = true
            }
            j += 1
        }
        return result
    }

    // MARK: Loading

    /// Loads everything named by `arguments`. With no arguments at all Redis
    /// reads nothing (not even the empty option text), and neither does this.
    mutating func load(arguments: [String], configFilePath: String?, standardInput: () -> String) throws {
        guard !arguments.isEmpty else { return }
        let commandLine = ConfigFileReader.parseCommandLine(arguments)
        var text = ""
        if let path = configFilePath { text += try readSource(path) }
        if commandLine.readsStandardInput { text += ConfigFileReader.asReadByLines(standardInput()) }
        text += "\n" + commandLine.options
        try process(text)
        // Redis loads modules and their settings after the configuration;
        // Swiftlet has no module support, so either is fatal there.
        if let module = modulesToLoad.first {
            throw ConfigFileError.log("Can't load module from \(module): server aborting")
        }
        if !moduleConfigs.isEmpty {
            throw ConfigFileError.log("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting")
        }
    }

    /// The file's text, or every match's text concatenated for a pattern.
    private func readSource(_ path: String) throws -> String {
        if path.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
            var text = ""
            for match in ConfigFileReader.glob(path) { text += try readOne(match) }
            return text
        }
        return try readOne(path)
    }

    private func readOne(_ path: String) throws -> String {
        do {
            return ConfigFileReader.asReadByLines(try readFile(path))
        } catch let error as ConfigFileError {
            // The reader already said it all (e.g. its own "can't open" text).
            throw ConfigFileError.log(error.message)
        } catch {
            throw ConfigFileError.log("Fatal error, can't open config file '\(path)': \(error)")
        }
    }

    /// Redis reads files with fgets into C strings, so a NUL byte silently
    /// drops the rest of its 1024-byte line chunk (newline included).
    static func asReadByLines(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(0) else { return text }
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && end - start < 1024 {
                end += 1
                if bytes[end - 1] == 0x0A { break }
            }
            let chunk = bytes[start..<end]
            out += chunk.firstIndex(of: 0).map { chunk[chunk.startIndex..<$0] } ?? chunk
            start = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Applies one text (a whole file with its options, or an included file).
    private mutating func process(_ text: String) throws {
        readingConfigFile = true
        let lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let line = ConfigArgumentSplitter.trim(rawLine)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let shown = String(decoding: line, as: UTF8.self)
            func failure(_ reason: String) -> ConfigFileError {
                .fatal(reason, lineNumber: offset + 1, line: shown)
            }
            guard let words = ConfigArgumentSplitter.split(Array(line)) else {
                throw failure("Unbalanced quotes in configuration line")
            }
            if words.isEmpty { continue }
            var arguments = words.map { String(decoding: $0, as: UTF8.self) }
            arguments[0] = ConfigText.asciiLowercased(arguments[0])
            do {
                try apply(arguments)
            } catch let error as ConfigValueError {
                throw failure(error.message)
            }
        }
        try checkAfterReading()
        readingConfigFile = false
    }

    /// One non-empty line. Throws `ConfigValueError` for a bad line and
    /// `ConfigFileError` for failures inside an included file.
    private mutating func apply(_ arguments: [String]) throws {
        let name = arguments[0]
        if let index = ConfigDirectory.index(of: name) {
            try setDirective(index, arguments: Array(arguments.dropFirst()))
            return
        }
        // Directives Redis 7.0 dropped but still tolerates in old files.
        let retired: Set<String> = ["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"]
        if retired.contains(name) && arguments.count == 2 { return }

        switch name {
        case "include" where arguments.count == 2:
            try include(arguments[1])
        case "rename-command" where arguments.count == 3:
            try renameCommand(arguments[1], to: arguments[2])
        case "user" where arguments.count >= 2:
            // Kept verbatim for the ACL layer, which owns their syntax.
            userDirectives.append(Array(arguments.dropFirst()))
        case "loadmodule" where arguments.count >= 2:
            modulesToLoad.append(arguments[1])
        case _ where name.contains("."):
            // "module.setting value": Redis queues these for the module.
            if arguments.count < 2 { throw ConfigValueError("Module config specified without value") }
            moduleConfigs[name] = arguments.dropFirst().joined(separator: " ")
        case "sentinel":
            // A bare "sentinel" selects sentinel mode, decided before loading;
            // anything else belongs to a sentinel's own config.
            if arguments.count != 1 { throw ConfigValueError("sentinel directive while not in sentinel mode") }
        default:
            throw ConfigValueError("Bad directive or wrong number of arguments")
        }
    }

    private mutating func setDirective(_ index: Int, arguments: [String]) throws {
        let directive = ConfigDirective.all[index]
        var arguments = arguments
        if directive.kind.takesMultipleArguments {
            // `save "900 1 300 10"` is split again, so a whole list can be one
            // quoted argument — but `save ""` stays a single empty argument.
            // Unbalanced quotes inside leave no arguments at all, as in Redis.
            if arguments.count == 1 && !arguments[0].isEmpty {
                arguments = ConfigArgumentSplitter.splitStrings(arguments[0]) ?? []
            }
        } else if arguments.count != 1 {
            throw ConfigValueError("wrong number of arguments")
        }
        let snapshot = values
        let context = ConfigParseContext(
            origin: .configFile,
            appendSave: saveLoaded && readingConfigFile,
            valueOf: { snapshot[ConfigDirectory.index(ofCanonical: $0)] })
        values[index] = try ConfigValueParser.parse(arguments, for: directive, current: values[index], context: context)
        if case .save = directive.kind, readingConfigFile { saveLoaded = true }
    }

    private mutating func include(_ path: String) throws {
        if includeDepth >= ConfigFileReader.maximumIncludeDepth {
            throw ConfigValueError("Too many nested include directives (is a file including itself?)")
        }
        includeDepth += 1
        defer { includeDepth -= 1 }
        try process(try readSource(path))
    }

    /// Checks the rename against the command table the server supplied, and
    /// records it for the server to perform.
    private mutating func renameCommand(_ source: String, to target: String) throws {
        let from = ConfigText.asciiLowercased(source), to = ConfigText.asciiLowercased(target)
        if let commandExists {
            func exists(_ name: String) -> Bool {
                renamedTo.contains(name) || (commandExists(name) && !renamedAway.contains(name))
            }
            guard exists(from) else { throw ConfigValueError("No such command in rename-command") }
            if renamedTo.remove(from) == nil { renamedAway.insert(from) }
            if !to.isEmpty {
                if exists(to) { throw ConfigValueError("Target command name already exists") }
                renamedTo.insert(to)
            }
        }
        renamedCommands.append((from: from, to: to))
    }

    /// Redis's sanity checks once a text has been read (they run after each
    /// included file too).
    private func checkAfterReading() throws {
        let logfile = values[ConfigDirectory.index(ofCanonical: "logfile")]
        if !logfile.isEmpty {
            // Fail now rather than lose every log line later.
            guard let file = fopen(logfile, "a") else {
                throw ConfigFileError.fatal("Can't open the log file: " + String(cString: strerror(errno)))
            }
            fclose(file)
        }
        if values[ConfigDirectory.index(ofCanonical: "cluster-enabled")] == "yes"
            && !values[ConfigDirectory.index(ofCanonical: "replicaof")].isEmpty {
            throw ConfigFileError.fatal("replicaof directive not allowed in cluster mode")
        }
    }

    /// glob(3) over the file system; no matches is not an error.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        #if canImport(Glibc)
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        #else
        guard Darwin.glob(pattern, 0, nil, &result) == 0 else { return [] }
        #endif
        return (0..<Int(result.gl_pathc)).compactMap { i in result.gl_pathv[i].map { String(cString: $0) } }
    }

    /// Redis's notion of the config file's absolute path (INFO's
    /// config_file): the working directory joined with the path, with
    /// leading "../" components folded into the directory.
    static func absolutePath(_ path: String) -> String {
        var relative = Array(ConfigArgumentSplitter.trim(Array(path.utf8)[...]))
        if relative.first == UInt8(ascii: "/") { return String(decoding: relative, as: UTF8.self) }
        var base = Array(ConfigSpecialValues.currentDirectory().utf8)
        if base.last != UInt8(ascii: "/") { base.append(UInt8(ascii: "/")) }
        while relative.count >= 3 && relative[0] == UInt8(ascii: ".") && relative[1] == UInt8(ascii: ".")
                && relative[2] == UInt8(ascii: "/") {
            relative.removeFirst(3)
            if base.count > 1 {
                base.removeLast()
                while let last = base.last, last != UInt8(ascii: "/") { base.removeLast() }
            }
        }
        return String(decoding: base + relative, as: UTF8.self)
    }
}
