import Dispatch
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Commands

/// The configuration subsystem against data recorded from a real
/// redis-server 7.0.15 (`redis-server --version`: v=7.0.15 malloc=jemalloc).
///
/// How the data below was recorded (by a throw-away script, run once):
/// - Defaults: `redis-server --port 7801` with no config file, then
///   `redis-cli -p 7801 config get '*' | paste - - | sort`, and the hidden
///   knobs one by one by exact name; "port" written back as 6379.
/// - `startupErrors`: each case's files written to an empty directory and
///   `redis-server <arguments>` run there (stdin fed when "-" is given);
///   the recorded text is its complete stderr, or for problems Redis logs
///   instead, the text after "# " on its last log line ("<dir>" stands for
///   the directory).
/// - `loads`: the same, with `--port 17821` inserted after the config file so
///   the server comes up, then `CONFIG GET <name>` for each listed name.
/// - `commands`: one fresh server, the commands sent in order, replies kept.
/// Beyond these, the whole implementation was compared with redis-server on
/// ~6,300 generated cases (every directive × ~40 values via CONFIG SET and
/// the command line, quoting, includes, stdin, argv conversion); the only
/// differences were server-side effects (binding, TLS, jemalloc, fd limits).
final class ConfigurationTests: XCTestCase {
    enum Reply {
        case ok
        case error(String)
        case pairs([(String, String)])
    }

    /// Commands that exist for `rename-command` validation in these tests.
    static let knownCommands: Set<String> = ["get", "set", "del", "config", "ping", "keys", "flushall"]

    var workingDirectory: String { ConfigSpecialValues.currentDirectory() }

    /// Loads from in-memory files (paths relative to the working directory).
    func load(_ arguments: [String], files: [String: String] = [:], stdin: String? = nil) throws -> Configuration {
        let config = Configuration()
        config.setCommandValidator { ConfigurationTests.knownCommands.contains($0) }
        let prefix = workingDirectory + "/"
        try config.load(arguments: arguments, readFile: { path in
            let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
            guard let text = files[relative] else { throw ConfigFileReadError(code: ENOENT) }
            return text
        }, standardInput: { stdin ?? "" })
        return config
    }

    func loadError(_ arguments: [String], files: [String: String] = [:], stdin: String? = nil,
                   file: StaticString = #filePath, line: UInt = #line) -> ConfigFileError? {
        do {
            _ = try load(arguments, files: files, stdin: stdin)
            XCTFail("loading \(arguments) should have failed", file: file, line: line)
        } catch let error as ConfigFileError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: Defaults

    func testDefaultsMatchRedis() {
        let config = Configuration()
        for (name, value) in Self.visibleDefaults + Self.hiddenDefaults {
            XCTAssertEqual(config.string(name), value, name)
        }
        XCTAssertEqual(config.string("dir"), workingDirectory)
        XCTAssertEqual(config.string("no-such-directive"), nil)
        // CONFIG GET * lists exactly Redis's visible entries (aliases included).
        let all = config.get(patterns: ["*"])
        XCTAssertEqual(all.count, 192)
        XCTAssertEqual(Set(all.map(\.name)), Set(Self.visibleDefaults.map(\.0) + ["dir"]))
        XCTAssertEqual(ConfigDirective.all.count + ConfigDirective.all.reduce(0) { $0 + $1.aliases.count }, 197)
    }

    func testTypedAccessorsFollowValues() throws {
        let config = Configuration()
        XCTAssertEqual(config.port, 6379)
        XCTAssertEqual(config.bind, ["*", "-::*"])
        XCTAssertEqual(config.databases, 16)
        XCTAssertEqual(config.hz, 10)
        XCTAssertEqual(config.maxmemoryPolicy, .noeviction)
        XCTAssertEqual(config.protoMaxBulkLen, 536_870_912)
        XCTAssertEqual(config.clientQueryBufferLimit, 1_073_741_824)
        XCTAssertNil(config.requirepass)
        XCTAssertTrue(config.protectedMode)
        XCTAssertEqual(config.loglevel, "notice")
        XCTAssertNil(config.configFilePath)
        XCTAssertFalse(config.lazyfreeLazyUserFlush)
        XCTAssertNil(config.set([("maxmemory", "100mb"), ("maxmemory-policy", "allkeys-lfu"), ("requirepass", "s3cret"),
                                 ("notify-keyspace-events", "Ex"), ("hz", "1000"), ("slowlog-log-slower-than", "-1"),
                                 ("lazyfree-lazy-expire", "yes"), ("loglevel", "warning"), ("timeout", "30"),
                                 ("lazyfree-lazy-user-flush", "yes")]))
        XCTAssertEqual(config.maxmemory, 104_857_600)
        XCTAssertEqual(config.maxmemoryPolicy, .allkeysLFU)
        XCTAssertTrue(config.maxmemoryPolicy.usesLFU)
        XCTAssertEqual("\(config.maxmemoryPolicy)", "allkeys-lfu")
        XCTAssertTrue(config.lazyfreeLazyUserFlush)
        XCTAssertEqual(config.requirepass, "s3cret")
        XCTAssertEqual(config.notifyKeyspaceEvents, "xE")
        XCTAssertEqual(config.notifyKeyspaceEventMask, 1 << 8 | 1 << 1)  // x, E as Redis's bits
        XCTAssertNil(config.set([("notify-keyspace-events", "A")]))
        XCTAssertEqual(config.notifyKeyspaceEventMask, 0b10_0111_1111_1100)  // g$lshzxetd: no m (1<<11), no n (1<<14)
        XCTAssertEqual(config.hz, 500)
        XCTAssertEqual(config.slowlogLogSlowerThan, -1)
        XCTAssertTrue(config.lazyfreeLazyExpire)
        XCTAssertEqual(config.loglevel, "warning")
        XCTAssertEqual(config.timeout, 30)
        XCTAssertNil(config.set([("maxmemory", "18446744073709551615")]))
        XCTAssertEqual(config.maxmemory, Int.max)

        let loaded = try load(["t.conf", "--port", "7000"], files: ["t.conf": "bind 127.0.0.1 ::1\nio-threads 4\nrename-command flushall \"\"\n"])
        XCTAssertEqual(loaded.port, 7000)
        XCTAssertEqual(loaded.bind, ["127.0.0.1", "::1"])
        XCTAssertEqual(loaded.ioThreads, 4)
        XCTAssertEqual(loaded.configFilePath, workingDirectory + "/t.conf")
        XCTAssertEqual(loaded.renamedCommands.map { "\($0.from)>\($0.to)" }, ["flushall>"])
        XCTAssertTrue(Configuration.isSensitive("requirepass"))
        XCTAssertTrue(Configuration.isSensitive("MASTERAUTH"))
        XCTAssertFalse(Configuration.isSensitive("maxmemory"))
    }

    // MARK: Loading

    func testStartupErrorsMatchRedis() {
        for (what, arguments, files, stdin, isLog, expected) in Self.startupErrors {
            guard let error = loadError(arguments, files: files, stdin: stdin) else { continue }
            XCTAssertEqual(error.message, expected.replacingOccurrences(of: "<dir>", with: workingDirectory), what)
            XCTAssertEqual(error.isLogMessage, isLog, what)
        }
    }

    func testLoadsMatchRedis() throws {
        for (what, arguments, files, stdin, expected) in Self.loads {
            let config = try load(arguments, files: files, stdin: stdin)
            for (name, value) in expected {
                XCTAssertEqual(config.string(name), value, "\(what): \(name)")
            }
        }
        let renamed = try load(["t.conf"], files: ["t.conf": "rename-command get foo\nrename-command foo bar\nrename-command FLUSHALL \"\"\n"])
        XCTAssertEqual(renamed.renamedCommands.map { "\($0.from)>\($0.to)" }, ["get>foo", "foo>bar", "flushall>"])
    }

    func testNoArgumentsReadsNothing() throws {
        let config = try load([])
        XCTAssertEqual(config.string("save"), "3600 1 300 100 60 10000")
        XCTAssertNil(config.configFilePath)
    }

    func testWildcardIncludeReadsMatchingFilesInOrder() throws {
        var template = Array("/tmp/swiftlet-config-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { return XCTFail("mkdtemp") }
        let directory = String(cString: made)
        defer {
            for name in ["a.conf", "b.conf", "main.conf"] { unlink(directory + "/" + name) }
            rmdir(directory)
        }
        func write(_ name: String, _ text: String) {
            let file = fopen(directory + "/" + name, "w")
            fputs(text, file)
            fclose(file)
        }
        write("a.conf", "maxmemory 1mb\nhz 11\n")
        write("b.conf", "maxmemory 2mb\n")
        write("main.conf", "include \(directory)/?.conf\ninclude \(directory)/*.none\n")
        let config = Configuration()
        try config.load(arguments: [directory + "/main.conf"], readFile: Configuration.readFileFromDisk, standardInput: { "" })
        XCTAssertEqual(config.string("maxmemory"), "2097152")
        XCTAssertEqual(config.string("hz"), "11")
        XCTAssertEqual(config.configFilePath, directory + "/main.conf")
    }

    func testIncludeLoopIsReportedInsteadOfCrashing() {
        // Redis overflows its stack here; Swiftlet stops at a fixed depth.
        let error = loadError(["t.conf"], files: ["t.conf": "include t.conf\n"])
        XCTAssertEqual(error?.message.contains("Too many nested include directives"), true)
    }

    func testOnChangeRunsAfterLoad() throws {
        let config = Configuration()
        let seen = Mutex<[String]>([])
        config.onChange("maxmemory") { value in seen.withLock { $0.append(value) } }
        try config.load(arguments: ["--maxmemory", "1kb"], readFile: { _ in "" }, standardInput: { "" })
        XCTAssertEqual(seen.withLock { $0 }, ["1024"])
    }

    // MARK: Syntax

    func testMemoryUnits() {
        let cases: [(String, UInt64?)] = [
            ("0", 0), ("1", 1), ("1b", 1), ("1B", 1), ("1k", 1000), ("1K", 1000), ("1kb", 1024), ("1KB", 1024), ("1kB", 1024),
            ("1m", 1_000_000), ("1mb", 1_048_576), ("1g", 1_000_000_000), ("1gb", 1_073_741_824), ("1GB", 1_073_741_824),
            ("05", 5), ("", 0), ("k", 0), ("18446744073709551615", .max), ("99999999999999999999", .max),
            ("17179869184gb", 0),  // wraps around like Redis's unsigned multiply
            ("1t", nil), ("1.5k", nil), ("-1", nil), ("+1", nil), (" 1", nil), ("1 ", nil), ("0x10", nil), ("1 kb", nil),
            (String(repeating: "1", count: 128), nil),
        ]
        for (text, expected) in cases { XCTAssertEqual(ConfigNumbers.memory(text), expected, text) }
    }

    func testIntegerSyntaxIsStrict() {
        let cases: [(String, Int64?)] = [
            ("0", 0), ("7", 7), ("-7", -7), ("9223372036854775807", .max), ("-9223372036854775808", .min),
            ("9223372036854775808", nil), ("05", nil), ("-0", nil), ("+5", nil), (" 5", nil), ("5 ", nil), ("", nil), ("-", nil), ("1k", nil),
        ]
        for (text, expected) in cases { XCTAssertEqual(ConfigNumbers.strictInteger(text), expected, text) }
        XCTAssertEqual(ConfigNumbers.trimmedFixed(99.9), "99.9")
        XCTAssertEqual(ConfigNumbers.trimmedFixed(100), "100")
        XCTAssertEqual(ConfigNumbers.trimmedFixed(0.0000001), "0")
    }

    func testQuoting() {
        func split(_ line: String) -> [String]? { ConfigArgumentSplitter.splitStrings(line) }
        XCTAssertEqual(split("  port   6379  "), ["port", "6379"])
        XCTAssertEqual(split("a\tb\rc"), ["a", "b", "c"])
        XCTAssertEqual(split("a\u{0B}b"), ["a\u{0B}b"])  // vertical tab only separates between words
        XCTAssertEqual(split("\"a b\" 'c d'"), ["a b", "c d"])
        XCTAssertEqual(split(#""\n\r\t\b\a\\\"\q\x41\x4a""#), ["\n\r\t\u{08}\u{07}\\\"qAJ"])
        XCTAssertEqual(split(#""\xZZ\x4""#), ["xZZx4"])
        XCTAssertEqual(split(#"'it\'s \n'"#), ["it's \\n"])
        XCTAssertEqual(split(#"ab"c d"e"#), nil)
        XCTAssertEqual(split(#"ab"c d""#), ["abc d"])
        XCTAssertEqual(split(#""" ''"#), ["", ""])
        XCTAssertEqual(split("\"abc"), nil)
        XCTAssertEqual(split("'abc"), nil)
        XCTAssertEqual(split(#""abc"def"#), nil)
        XCTAssertEqual(split(#""abc\"#), nil)
        XCTAssertEqual(split(""), [])
        // quote() is what redis-server does to command-line values.
        for text in ["plain", "a b", "q\"uote", "back\\slash", "nl\n", "\u{01}\u{7F}", "é", ""] {
            XCTAssertEqual(split(ConfigArgumentSplitter.quote(text)), [text], text)
        }
        XCTAssertEqual(ConfigArgumentSplitter.quote("a\"b\\c\n\u{01}é"), #""a\"b\\c\n\x01\xc3\xa9""#)
    }

    func testCommandLineBecomesConfigLines() {
        func options(_ arguments: [String]) -> String { ConfigFileReader.parseCommandLine(arguments).options }
        XCTAssertEqual(options(["--port", "7000", "--save", "900", "1", "300", "10"]), "port \"7000\" \nsave \"900\" \"1\" \"300\" \"10\" ")
        XCTAssertEqual(options(["--save", "--port", "7000"]), "save \"\"\nport \"7000\" ")
        XCTAssertEqual(options(["--port", "7000", "--save"]), "port \"7000\" \nsave \"\"")
        XCTAssertEqual(options(["--requirepass", "--x"]), "requirepass \"--x\" ")
        XCTAssertEqual(options(["--port 7000", "--hz", "5"]), "port 7000 \nhz \"5\" ")
        let withFile = ConfigFileReader.parseCommandLine(["redis.conf", "--port", "7000", "-"])
        XCTAssertEqual(withFile.configFile, "redis.conf")
        XCTAssertTrue(withFile.readsStandardInput)
        XCTAssertFalse(ConfigFileReader.parseCommandLine(["--port", "-", "--hz", "1"]).readsStandardInput)
    }

    // MARK: CONFIG SET / CONFIG GET

    func testConfigCommandsMatchRedis() {
        let config = Configuration()
        for (command, expected) in Self.commands {
            let arguments = Array(command.dropFirst(2))
            switch (command[1], expected) {
            case ("get", .pairs(let pairs)):
                let got = config.get(patterns: arguments)
                XCTAssertEqual(got.map { "\($0.name)=\($0.value)" }.sorted(), pairs.map { "\($0.0)=\($0.1)" }.sorted(), "\(command)")
            case ("set", _):
                let pairs = stride(from: 0, to: arguments.count, by: 2).map { (arguments[$0], arguments[$0 + 1]) }
                let reply = config.set(pairs)
                switch expected {
                case .ok: XCTAssertNil(reply, "\(command)")
                case .error(let message): XCTAssertEqual(reply, message, "\(command)")
                case .pairs: XCTFail("bad test data")
                }
            default:
                XCTFail("bad test data \(command)")
            }
        }
    }

    func testConfigSetIsAllOrNothing() {
        let config = Configuration()
        let changes = Mutex<[String]>([])
        config.onChange("maxmemory") { value in changes.withLock { $0.append("maxmemory=\(value)") } }
        config.onChange("hz") { value in changes.withLock { $0.append("hz=\(value)") } }

        // A bad second value leaves the first unchanged and notifies no one.
        XCTAssertEqual(config.set([("maxmemory", "10mb"), ("hz", "fast")]),
                       "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")
        XCTAssertEqual(config.string("maxmemory"), "0")
        // So does a bad name after good pairs, and a failing buffer-limit group.
        XCTAssertEqual(config.set([("maxmemory", "10mb"), ("nope", "1")]),
                       "ERR Unknown option or number of arguments for CONFIG SET - 'nope'")
        XCTAssertNil(config.set([("client-output-buffer-limit", "normal 1 2 3")]))
        XCTAssertNotNil(config.set([("client-output-buffer-limit", "pubsub 4 5 6 replica 1 2 x")]))
        XCTAssertEqual(config.string("client-output-buffer-limit"), "normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        XCTAssertEqual(changes.withLock { $0 }, [])

        // An apply hook can veto; everything is rolled back.
        let applied = Mutex<[String]>([])
        config.onApply("maxmemory") { value in applied.withLock { $0.append(value) }; return nil }
        config.onApply("port") { value in value == "1" ? "Unable to listen on this port" : nil }
        XCTAssertEqual(config.set([("maxmemory", "10mb"), ("port", "1")]),
                       "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port")
        XCTAssertEqual(config.string("maxmemory"), "0")
        XCTAssertEqual(config.port, 6379)
        XCTAssertEqual(applied.withLock { $0 }, ["10485760", "0"])  // applied, then restored

        XCTAssertNil(config.set([("maxmemory", "10mb"), ("hz", "20")]))
        XCTAssertEqual(config.string("maxmemory"), "10485760")
        XCTAssertEqual(changes.withLock { $0 }, ["maxmemory=10485760", "hz=20"])
        // Setting the current value is not a change.
        XCTAssertNil(config.set([("hz", "20")]))
        XCTAssertEqual(changes.withLock { $0 }.count, 2)
    }

    func testProtectedConfigs() throws {
        let config = try load(["--enable-protected-configs", "local"])
        XCTAssertEqual(config.set([("dbfilename", "x.rdb")]),
                       "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")
        XCTAssertNil(config.set([("dbfilename", "x.rdb")], isLocalClient: true))
        XCTAssertEqual(config.string("dbfilename"), "x.rdb")
        XCTAssertEqual(config.set([("dbfilename", "a/b")], isLocalClient: true),
                       "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename")
    }

    func testGlobGet() {
        let config = Configuration()
        func names(_ patterns: String...) -> [String] { config.get(patterns: patterns).map(\.name) }
        XCTAssertEqual(Set(names("*read-only*")), ["replica-read-only", "slave-read-only"])  // aliases match globs
        XCTAssertEqual(names("slaveof"), ["slaveof"])
        XCTAssertEqual(names("SlaveOf"), ["SlaveOf"])  // exact names are echoed as typed
        XCTAssertEqual(names("maxmemory", "MAXMEMORY"), ["maxmemory"])
        XCTAssertEqual(names("MAXMEMORY", "max*").filter { $0.lowercased() == "maxmemory" }, ["MAXMEMORY"])
        XCTAssertEqual(Set(names("MAX*")), ["maxclients", "maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity",
                                             "maxmemory-policy", "maxmemory-samples"])
        XCTAssertEqual(names("maxmemory-polic?"), ["maxmemory-policy"])
        XCTAssertEqual(names("maxmemory-polic[xy]"), ["maxmemory-policy"])
        XCTAssertEqual(names("key-load*"), [])  // hidden: exact name only
        XCTAssertEqual(names("key-load-delay"), ["key-load-delay"])
        XCTAssertEqual(names("nosuch", ""), [])
        XCTAssertEqual(names("*", "*").count, 192)
        XCTAssertEqual(Set(names("zset-max-*")), ["zset-max-listpack-entries", "zset-max-listpack-value",
                                                   "zset-max-ziplist-entries", "zset-max-ziplist-value"])
    }

    func testConcurrentReadersAndWriters() {
        let config = Configuration()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<200 {
                if worker % 2 == 0 {
                    XCTAssertNil(config.set([("maxmemory", "\(i)mb"), ("hz", "\(1 + i % 100)")]))
                } else {
                    XCTAssertEqual(config.get(patterns: ["maxmemory", "hz"]).count, 2)
                    XCTAssertTrue((1...100).contains(config.hz) || config.hz == 10)
                }
            }
        }
    }

    // MARK: Recorded data

    /// `CONFIG GET *` on redis-server 7.0.15 started with no config file (192 entries,
    /// aliases included), minus "dir", which is the working directory.
    static let visibleDefaults: [(String, String)] = [
        ("acl-pubsub-default", "resetchannels"), ("aclfile", ""), ("acllog-max-len", "128"), ("active-defrag-cycle-max", "25"),
        ("active-defrag-cycle-min", "1"), ("active-defrag-ignore-bytes", "104857600"), ("active-defrag-max-scan-fields", "1000"),
        ("active-defrag-threshold-lower", "10"), ("active-defrag-threshold-upper", "100"), ("active-expire-effort", "1"), ("activedefrag", "no"),
        ("activerehashing", "yes"), ("always-show-logo", "no"), ("aof-disable-auto-gc", "no"), ("aof-load-truncated", "yes"),
        ("aof-rewrite-incremental-fsync", "yes"), ("aof-timestamp-enabled", "no"), ("aof-use-rdb-preamble", "yes"), ("aof_rewrite_cpulist", ""),
        ("appenddirname", "appendonlydir"), ("appendfilename", "appendonly.aof"), ("appendfsync", "everysec"), ("appendonly", "no"),
        ("auto-aof-rewrite-min-size", "67108864"), ("auto-aof-rewrite-percentage", "100"), ("bgsave_cpulist", ""), ("bind", "* -::*"),
        ("bind-source-addr", ""), ("bio_cpulist", ""), ("busy-reply-threshold", "5000"),
        ("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ("client-query-buffer-limit", "1073741824"), ("cluster-allow-pubsubshard-when-down", "yes"), ("cluster-allow-reads-when-down", "no"),
        ("cluster-allow-replica-migration", "yes"), ("cluster-announce-bus-port", "0"), ("cluster-announce-hostname", ""),
        ("cluster-announce-ip", ""), ("cluster-announce-port", "0"), ("cluster-announce-tls-port", "0"), ("cluster-config-file", "nodes.conf"),
        ("cluster-enabled", "no"), ("cluster-link-sendbuf-limit", "0"), ("cluster-migration-barrier", "1"), ("cluster-node-timeout", "15000"),
        ("cluster-port", "0"), ("cluster-preferred-endpoint-type", "ip"), ("cluster-replica-no-failover", "no"),
        ("cluster-replica-validity-factor", "10"), ("cluster-require-full-coverage", "yes"), ("cluster-slave-no-failover", "no"),
        ("cluster-slave-validity-factor", "10"), ("crash-log-enabled", "yes"), ("crash-memcheck-enabled", "yes"), ("daemonize", "no"),
        ("databases", "16"), ("dbfilename", "dump.rdb"), ("disable-thp", "yes"), ("dynamic-hz", "yes"), ("enable-debug-command", "no"),
        ("enable-module-command", "no"), ("enable-protected-configs", "no"), ("hash-max-listpack-entries", "512"), ("hash-max-listpack-value", "64"),
        ("hash-max-ziplist-entries", "512"), ("hash-max-ziplist-value", "64"), ("hll-sparse-max-bytes", "3000"), ("hz", "10"),
        ("ignore-warnings", ""), ("io-threads", "1"), ("io-threads-do-reads", "no"), ("jemalloc-bg-thread", "yes"),
        ("latency-monitor-threshold", "0"), ("latency-tracking", "yes"), ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("lazyfree-lazy-eviction", "no"), ("lazyfree-lazy-expire", "no"), ("lazyfree-lazy-server-del", "no"), ("lazyfree-lazy-user-del", "no"),
        ("lazyfree-lazy-user-flush", "no"), ("lfu-decay-time", "1"), ("lfu-log-factor", "10"), ("list-compress-depth", "0"),
        ("list-max-listpack-size", "-2"), ("list-max-ziplist-size", "-2"), ("logfile", ""), ("loglevel", "notice"), ("lua-time-limit", "5000"),
        ("masterauth", ""), ("masteruser", ""), ("maxclients", "10000"), ("maxmemory", "0"), ("maxmemory-clients", "0"),
        ("maxmemory-eviction-tenacity", "10"), ("maxmemory-policy", "noeviction"), ("maxmemory-samples", "5"), ("min-replicas-max-lag", "10"),
        ("min-replicas-to-write", "0"), ("min-slaves-max-lag", "10"), ("min-slaves-to-write", "0"), ("no-appendfsync-on-rewrite", "no"),
        ("notify-keyspace-events", ""), ("oom-score-adj", "no"), ("oom-score-adj-values", "0 200 800"), ("pidfile", ""), ("port", "6379"),
        ("proc-title-template", "{title} {listen-addr} {server-mode}"), ("propagation-error-behavior", "ignore"), ("protected-mode", "yes"),
        ("proto-max-bulk-len", "536870912"), ("rdb-del-sync-files", "no"), ("rdb-save-incremental-fsync", "yes"), ("rdbchecksum", "yes"),
        ("rdbcompression", "yes"), ("repl-backlog-size", "1048576"), ("repl-backlog-ttl", "3600"), ("repl-disable-tcp-nodelay", "no"),
        ("repl-diskless-load", "disabled"), ("repl-diskless-sync", "yes"), ("repl-diskless-sync-delay", "5"),
        ("repl-diskless-sync-max-replicas", "0"), ("repl-ping-replica-period", "10"), ("repl-ping-slave-period", "10"), ("repl-timeout", "60"),
        ("replica-announce-ip", ""), ("replica-announce-port", "0"), ("replica-announced", "yes"), ("replica-ignore-disk-write-errors", "no"),
        ("replica-ignore-maxmemory", "yes"), ("replica-lazy-flush", "no"), ("replica-priority", "100"), ("replica-read-only", "yes"),
        ("replica-serve-stale-data", "yes"), ("replicaof", ""), ("requirepass", ""), ("sanitize-dump-payload", "no"),
        ("save", "3600 1 300 100 60 10000"), ("server_cpulist", ""), ("set-max-intset-entries", "512"), ("set-proc-title", "yes"),
        ("shutdown-on-sigint", "default"), ("shutdown-on-sigterm", "default"), ("shutdown-timeout", "10"), ("slave-announce-ip", ""),
        ("slave-announce-port", "0"), ("slave-ignore-maxmemory", "yes"), ("slave-lazy-flush", "no"), ("slave-priority", "100"),
        ("slave-read-only", "yes"), ("slave-serve-stale-data", "yes"), ("slaveof", ""), ("slowlog-log-slower-than", "10000"),
        ("slowlog-max-len", "128"), ("socket-mark-id", "0"), ("stop-writes-on-bgsave-error", "yes"), ("stream-node-max-bytes", "4096"),
        ("stream-node-max-entries", "100"), ("supervised", "no"), ("syslog-enabled", "no"), ("syslog-facility", "local0"), ("syslog-ident", "redis"),
        ("tcp-backlog", "511"), ("tcp-keepalive", "300"), ("timeout", "0"), ("tls-auth-clients", "yes"), ("tls-ca-cert-dir", ""),
        ("tls-ca-cert-file", ""), ("tls-cert-file", ""), ("tls-ciphers", ""), ("tls-ciphersuites", ""), ("tls-client-cert-file", ""),
        ("tls-client-key-file", ""), ("tls-client-key-file-pass", ""), ("tls-cluster", "no"), ("tls-dh-params-file", ""), ("tls-key-file", ""),
        ("tls-key-file-pass", ""), ("tls-port", "0"), ("tls-prefer-server-ciphers", "no"), ("tls-protocols", ""), ("tls-replication", "no"),
        ("tls-session-cache-size", "20480"), ("tls-session-cache-timeout", "300"), ("tls-session-caching", "yes"),
        ("tracking-table-max-keys", "1000000"), ("unixsocket", ""), ("unixsocketperm", "0"), ("zset-max-listpack-entries", "128"),
        ("zset-max-listpack-value", "64"), ("zset-max-ziplist-entries", "128"), ("zset-max-ziplist-value", "64"),
    ]
    /// The hidden test knobs, which `CONFIG GET *` omits; asked for by exact name.
    static let hiddenDefaults: [(String, String)] = [
        ("key-load-delay", "0"), ("rdb-key-save-delay", "0"), ("loading-process-events-interval-bytes", "2097152"), ("watchdog-period", "0"), ("use-exit-on-panic", "no"),
    ]

    /// (what, arguments, files, stdin, is a log message, expected message) — recorded by record_tests.py
    static let startupErrors: [(String, [String], [String: String], String?, Bool, String)] = [
        ("unknown directive", ["t.conf"], ["t.conf": "port 6379\nfoo bar\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"),
        ("unknown directive on the command line", ["--port", "6380", "--foo", "bar"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo \"bar\"'\nBad directive or wrong number of arguments\n"),
        ("options after a config file", ["t.conf", "--maxmemory", "lots"], ["t.conf": "port 6379\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'maxmemory \"lots\"'\nargument must be a memory value\n"),
        ("value not an integer", ["--port", "abc"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"),
        ("integer out of range", ["--port", "65536"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"65536\"'\nargument must be between 0 and 65535 inclusive\n"),
        ("plain integers take no units", ["--databases", "1k"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'databases \"1k\"'\nargument couldn't be parsed into an integer\n"),
        ("plain integers are strict", ["--databases", "05"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'databases \"05\"'\nargument couldn't be parsed into an integer\n"),
        ("bad memory value", ["--maxmemory", "1.5gb"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory \"1.5gb\"'\nargument must be a memory value\n"),
        ("memory below minimum", ["--proto-max-bulk-len", "1k"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'proto-max-bulk-len \"1k\"'\nargument must be between 1048576 and 9223372036854775807 inclusive\n"),
        ("memory or percent", ["--maxmemory-clients", "5.5%"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory-clients \"5.5%\"'\nargument must be a memory or percent value\n"),
        ("percent above 100", ["--maxmemory-clients", "101%"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory-clients \"101%\"'\npercentage argument must be less or equal to 100\n"),
        ("bad boolean", ["--appendonly", "true"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'appendonly \"true\"'\nargument must be 'yes' or 'no'\n"),
        ("bad enum", ["--maxmemory-policy", "lru"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory-policy \"lru\"'\nargument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\n"),
        ("bad octal", ["--unixsocketperm", "778"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'unixsocketperm \"778\"'\nargument couldn't be parsed as an octal number\n"),
        ("octal out of range", ["--unixsocketperm", "1000"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'unixsocketperm \"1000\"'\nargument must be between 0 and 777 inclusive\n"),
        ("single-value directive given two values", ["t.conf"], ["t.conf": "maxmemory 1mb 2mb\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxmemory 1mb 2mb'\nwrong number of arguments\n"),
        ("directive without value", ["t.conf"], ["t.conf": "\n\nrequirepass\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'requirepass'\nwrong number of arguments\n"),
        ("unbalanced double quote", ["t.conf"], ["t.conf": "requirepass \"abc\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'requirepass \"abc'\nUnbalanced quotes in configuration line\n"),
        ("text after closing quote", ["t.conf"], ["t.conf": "requirepass 'abc'def\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'requirepass 'abc'def'\nUnbalanced quotes in configuration line\n"),
        ("trailing comment is an argument", ["t.conf"], ["t.conf": "# comment\nport 6379 # the port\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port 6379 # the port'\nwrong number of arguments\n"),
        ("bad save", ["t.conf"], ["t.conf": "save 900\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'save 900'\nInvalid save parameters\n"),
        ("save seconds must be positive", ["--save", "0", "1"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'save \"0\" \"1\"'\nInvalid save parameters\n"),
        ("buffer limit argument count", ["t.conf"], ["t.conf": "client-output-buffer-limit normal 0 0\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'client-output-buffer-limit normal 0 0'\nWrong number of arguments in buffer limit configuration.\n"),
        ("buffer limit class", ["t.conf"], ["t.conf": "client-output-buffer-limit master 0 0 0\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'client-output-buffer-limit master 0 0 0'\nInvalid client class specified in buffer limit configuration.\n"),
        ("buffer limit values", ["t.conf"], ["t.conf": "client-output-buffer-limit pubsub 32mb 8mb -1\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'client-output-buffer-limit pubsub 32mb 8mb -1'\nError in hard, soft or soft_seconds setting in buffer limit configuration.\n"),
        ("keyspace event classes", ["--notify-keyspace-events", "KEAX"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'notify-keyspace-events \"KEAX\"'\nInvalid event class character. Use 'Ag$lshzxeKEtmdn'.\n"),
        ("oom values count", ["--oom-score-adj-values", "0", "200"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'oom-score-adj-values \"0\" \"200\"'\nwrong number of arguments\n"),
        ("oom values range", ["--oom-score-adj-values", "0 200 3000"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'oom-score-adj-values \"0 200 3000\"'\nInvalid oom-score-adj-values, elements must be between -2000 and 2000.\n"),
        ("too many bind addresses", ["--bind", "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.15", "127.0.0.16", "127.0.0.17"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'bind \"127.0.0.1\" \"127.0.0.2\" \"127.0.0.3\" \"127.0.0.4\" \"127.0.0.5\" \"127.0.0.6\" \"127.0.0.7\" \"127.0.0.8\" \"127.0.0.9\" \"127.0.0.10\" \"127.0.0.11\" \"127.0.0.12\" \"127.0.0.13\" \"127.0.0.14\" \"127.0.0.15\" \"127.0.0.16\" \"127.0.0.17\"'\nToo many bind addresses specified.\n"),
        ("replicaof argument count", ["--replicaof", "localhost"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'replicaof \"localhost\"'\nwrong number of arguments\n"),
        ("replicaof port", ["--replicaof", "localhost", "port"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'replicaof \"localhost\" \"port\"'\nInvalid master port\n"),
        ("percentiles syntax", ["--latency-tracking-info-percentiles", "50", "p99"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'latency-tracking-info-percentiles \"50\" \"p99\"'\nInvalid latency-tracking-info-percentiles parameters\n"),
        ("percentiles range", ["--latency-tracking-info-percentiles", "50", "101"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'latency-tracking-info-percentiles \"50\" \"101\"'\nlatency-tracking-info-percentiles parameters should sit between [0.0,100.0]\n"),
        ("proc title template", ["--proc-title-template", "{title} {pid}"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'proc-title-template \"{title} {pid}\"'\ntemplate format is invalid or contains unknown variables\n"),
        ("hostname", ["--cluster-announce-hostname", "my_host"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'cluster-announce-hostname \"my_host\"'\nHostnames may only contain alphanumeric characters, hyphens or dots\n"),
        ("dbfilename path", ["--dbfilename", "data/dump.rdb"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'dbfilename \"data/dump.rdb\"'\ndbfilename can't be a path, just a filename\n"),
        ("appendfilename empty", ["--appendfilename", ""], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'appendfilename \"\"'\nappendfilename can't be empty\n"),
        ("appenddirname path", ["--appenddirname", "a/b"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'appenddirname \"a/b\"'\nappenddirname can't be a path, just a dirname\n"),
        ("shutdown flags", ["--shutdown-on-sigterm", "save", "nosave"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'shutdown-on-sigterm \"save\" \"nosave\"'\nshutdown options SAVE and NOSAVE can't be used simultaneously\n"),
        ("shutdown flags unknown", ["--shutdown-on-sigterm", "later"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'shutdown-on-sigterm \"later\"'\nargument(s) must be one of the following: default, save, nosave, now, force\n"),
        ("dir does not exist", ["--dir", "/nonexistent-swiftlet-dir"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'dir \"/nonexistent-swiftlet-dir\"'\nNo such file or directory\n"),
        ("rename unknown command", ["t.conf"], ["t.conf": "rename-command nosuchcommand foo\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'rename-command nosuchcommand foo'\nNo such command in rename-command\n"),
        ("rename onto existing command", ["t.conf"], ["t.conf": "rename-command get set\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'rename-command get set'\nTarget command name already exists\n"),
        ("rename twice", ["t.conf"], ["t.conf": "rename-command get foo\nrename-command get bar\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'rename-command get bar'\nNo such command in rename-command\n"),
        ("rename-command arity", ["t.conf"], ["t.conf": "rename-command get\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'rename-command get'\nBad directive or wrong number of arguments\n"),
        ("sentinel directive", ["t.conf"], ["t.conf": "sentinel monitor mymaster 127.0.0.1 6379 2\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'sentinel monitor mymaster 127.0.0.1 6379 2'\nsentinel directive while not in sentinel mode\n"),
        ("module config without value", ["t.conf"], ["t.conf": "mymodule.setting\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'mymodule.setting'\nModule config specified without value\n"),
        ("retired directive with wrong arity", ["t.conf"], ["t.conf": "list-max-ziplist-entries 1 2\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'list-max-ziplist-entries 1 2'\nBad directive or wrong number of arguments\n"),
        ("error inside an include", ["t.conf"], ["inc/ok.conf": "maxmemory 5mb\n", "inc/bad.conf": "maxmemory 1mb\nfoo bar\n", "t.conf": "port 6379\ninclude inc/bad.conf\n"], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"),
        ("log file cannot be opened", ["--logfile", "/nonexistent-swiftlet-dir/x.log"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n"),
        ("replicaof in cluster mode", ["--cluster-enabled", "yes", "--replicaof", "127.0.0.1", "6379"], [:], nil, false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode\n"),
        ("missing config file", ["missing.conf"], [:], nil, true, "Fatal error, can't open config file '<dir>/missing.conf': No such file or directory"),
        ("missing include", ["t.conf"], ["t.conf": "include inc/missing.conf\n"], nil, true, "Fatal error, can't open config file 'inc/missing.conf': No such file or directory"),
        ("module", ["t.conf", "--port", "17821"], ["t.conf": "loadmodule /nonexistent/module.so\n"], nil, true, "Can't load module from /nonexistent/module.so: server aborting"),
        ("module config", ["t.conf", "--port", "17821"], ["t.conf": "mymodule.setting 5\n"], nil, true, "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"),
        ("stdin line numbers follow the file", ["t.conf", "-"], ["t.conf": "port 6379\n"], "maxmemory 1mb\nbogus\n", false, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'bogus'\nBad directive or wrong number of arguments\n"),
    ]

    /// (what, arguments, files, stdin, [(name, value after loading)]) — recorded by record_tests.py
    static let loads: [(String, [String], [String: String], String?, [(String, String)])] = [
        ("memory units", ["t.conf"], ["t.conf": "maxmemory 1k\nproto-max-bulk-len 2mb\nclient-query-buffer-limit 1GB\nhash-max-listpack-value 3KB\nzset-max-listpack-value 1b\nstream-node-max-bytes 5m\nactive-defrag-ignore-bytes 1g\nauto-aof-rewrite-min-size 0\n"], nil, [("maxmemory", "1000"), ("proto-max-bulk-len", "2097152"), ("client-query-buffer-limit", "1073741824"), ("hash-max-listpack-value", "3072"), ("zset-max-listpack-value", "1"), ("stream-node-max-bytes", "5000000"), ("active-defrag-ignore-bytes", "1000000000"), ("auto-aof-rewrite-min-size", "0")]),
        ("memory edge cases", ["--maxmemory", "99999999999999999999", "--cluster-link-sendbuf-limit", "kb", "--maxmemory-clients", "18446744073709551615"], [:], nil, [("maxmemory", "18446744073709551615"), ("cluster-link-sendbuf-limit", "0"), ("maxmemory-clients", "1%")]),
        ("percent", ["--maxmemory-clients", "10%"], [:], nil, [("maxmemory-clients", "10%")]),
        ("booleans and enums ignore case", ["--appendonly", "YES", "--maxmemory-policy", "AllKeys-LRU", "--loglevel", "WARNING"], [:], nil, [("appendonly", "yes"), ("maxmemory-policy", "allkeys-lru"), ("loglevel", "warning")]),
        ("names ignore case, later lines win", ["t.conf", "--MaxMemory", "3mb"], ["t.conf": "MAXMEMORY 1mb\nMaxmemory 2mb\nHZ 0\n"], nil, [("maxmemory", "3145728"), ("hz", "1")]),
        ("hz is clamped", ["--hz", "100000"], [:], nil, [("hz", "500")]),
        ("aliases", ["t.conf"], ["t.conf": "slave-read-only no\nhash-max-ziplist-entries 7\nslaveof 127.0.0.1 6399\n"], nil, [("replica-read-only", "no"), ("slave-read-only", "no"), ("hash-max-listpack-entries", "7"), ("replicaof", "127.0.0.1 6399"), ("slaveof", "127.0.0.1 6399")]),
        ("double quotes and escapes", ["t.conf"], ["t.conf": "syslog-ident \"a b\\x41\\x4a\\t\\\"q\\\" \\\\ \\z\"\nmasteruser \"é\"\n"], nil, [("syslog-ident", "a bAJ\t\"q\" \\ z"), ("masteruser", "é")]),
        ("single quotes", ["t.conf"], ["t.conf": "syslog-ident 'it\\'s \"x\" \\n'\n"], nil, [("syslog-ident", "it's \"x\" \\n")]),
        ("quotes inside a word", ["t.conf"], ["t.conf": "syslog-ident ab\"c d\"\n"], nil, [("syslog-ident", "abc d")]),
        ("comments, blank lines, CRLF, tabs", ["t.conf"], ["t.conf": "# comment\r\n\r\n   # indented comment\n\tmaxmemory\t2mb  \r\n\n"], nil, [("maxmemory", "2097152")]),
        ("empty string values", ["t.conf"], ["t.conf": "notify-keyspace-events \"\"\nsyslog-ident ''\n"], nil, [("notify-keyspace-events", ""), ("syslog-ident", "")]),
        ("save lines accumulate", ["t.conf"], ["t.conf": "save 900 1\nsave 300 10\n"], nil, [("save", "900 1 300 10")]),
        ("save \"\" clears", ["t.conf"], ["t.conf": "save 900 1\nsave \"\"\nsave 60 10000\n"], nil, [("save", "60 10000")]),
        ("save as one quoted argument", ["t.conf"], ["t.conf": "save \"900 1 300 10\"\n"], nil, [("save", "900 1 300 10")]),
        ("command-line save adds to file saves", ["t.conf", "--save", "60", "1000"], ["t.conf": "save 900 1\n"], nil, [("save", "900 1 60 1000")]),
        ("--save with no value", ["--save", "--maxmemory", "1mb"], [:], nil, [("save", ""), ("maxmemory", "1048576")]),
        ("after an include save replaces", ["t.conf"], ["t.conf": "save 900 1\ninclude empty.conf\nsave 300 10\nsave 60 100\n", "empty.conf": ""], nil, [("save", "60 100")]),
        ("include, relative to the working directory", ["t.conf"], ["t.conf": "maxmemory 1mb\ninclude inc/ok.conf\nhz 20\n", "inc/ok.conf": "maxmemory 5mb\nhz 15\n"], nil, [("maxmemory", "5242880"), ("hz", "20")]),
        ("include with a pattern that matches nothing", ["t.conf"], ["t.conf": "include inc/*.none\nhz 20\n"], nil, [("hz", "20")]),
        ("buffer limits per class", ["t.conf"], ["t.conf": "client-output-buffer-limit normal 1mb 2mb 3\nclient-output-buffer-limit replica 0 0 0 pubsub 1kb 1k 100\n"], nil, [("client-output-buffer-limit", "normal 1048576 2097152 3 slave 0 0 0 pubsub 1024 1000 100")]),
        ("keyspace events canonical order", ["--notify-keyspace-events", "EKxg$"], [:], nil, [("notify-keyspace-events", "g$xKE")]),
        ("keyspace events A", ["--notify-keyspace-events", "nmEKA"], [:], nil, [("notify-keyspace-events", "AKEm")]),
        ("bind list", ["--bind", "127.0.0.1", "::1"], [:], nil, [("bind", "127.0.0.1 ::1")]),
        ("oom values", ["--oom-score-adj-values", "-100 05 +900"], [:], nil, [("oom-score-adj-values", "-100 5 900")]),
        ("percentiles", ["--latency-tracking-info-percentiles", "99.999 12.50 1e1"], [:], nil, [("latency-tracking-info-percentiles", "99.999 12.5 10")]),
        ("shutdown flags", ["--shutdown-on-sigint", "now", "nosave"], [:], nil, [("shutdown-on-sigint", "nosave now")]),
        ("octal", ["--unixsocketperm", "0755"], [:], nil, [("unixsocketperm", "755")]),
        ("value that starts with --", ["--masterauth", "--secret", "--maxmemory", "1mb"], [:], nil, [("masterauth", "--secret"), ("maxmemory", "1048576")]),
        ("one argument holding name and value", ["--maxmemory 7mb"], [:], nil, [("maxmemory", "7340032")]),
        ("stdin after the file, options last", ["t.conf", "--hz", "30", "-"], ["t.conf": "maxmemory 1mb\nhz 5\n"], "maxmemory 2mb\nhz 6\n", [("maxmemory", "2097152"), ("hz", "30")]),
        ("retired directives are ignored", ["t.conf"], ["t.conf": "list-max-ziplist-entries 512\nlua-replicate-commands yes\nsentinel\n"], nil, [("hz", "10")]),
        ("rename-command", ["t.conf"], ["t.conf": "rename-command get foo\nrename-command foo bar\nrename-command FLUSHALL \"\"\n"], nil, [("hz", "10")]),
    ]

    /// CONFIG SET/GET commands and the replies redis-server gave, in order, on one fresh server — recorded by record_tests.py.
    /// A reply is "OK", "-<error>", or the CONFIG GET pairs.
    static let commands: [([String], Reply)] = [
        (["config", "set", "FOO", "1"], .error("ERR Unknown option or number of arguments for CONFIG SET - 'FOO'")),
        (["config", "set", "maxmemory", "1", "foo", "2"], .error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")),
        (["config", "set", "DAEMONIZE", "no"], .error("ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config")),
        (["config", "set", "dir", "/tmp"], .error("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")),
        (["config", "set", "dbfilename", "x.rdb"], .error("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")),
        (["config", "set", "maxmemory", "1", "MAXMEMORY", "2"], .error("ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter")),
        (["config", "set", "maxmemory", "bad", "daemonize", "no"], .error("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config")),
        (["config", "set", "MAXMEMORY", "zz"], .error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")),
        (["config", "set", "SLAVE-READ-ONLY", "maybe"], .error("ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'")),
        (["config", "set", "maxmemory", "1k", "maxmemory-policy", "bad"], .error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")),
        (["config", "get", "maxmemory", "maxmemory-policy"], .pairs([("maxmemory", "0"), ("maxmemory-policy", "noeviction")])),
        (["config", "set", "maxmemory", "10mb", "hz", "20", "maxmemory-policy", "allkeys-lru"], .ok),
        (["config", "get", "maxmemory", "hz", "maxmemory-policy"], .pairs([("maxmemory", "10485760"), ("maxmemory-policy", "allkeys-lru"), ("hz", "20")])),
        (["config", "set", "slave-read-only", "no", "replica-read-only", "yes"], .ok),
        (["config", "get", "replica-read-only"], .pairs([("replica-read-only", "yes")])),
        (["config", "set", "hz", "0"], .ok),
        (["config", "get", "hz"], .pairs([("hz", "1")])),
        (["config", "set", "hz", "-1"], .error("ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 0 and 2147483647 inclusive")),
        (["config", "set", "hz", "05"], .error("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")),
        (["config", "set", "timeout", "+5"], .error("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer")),
        (["config", "set", "port", "65536"], .error("ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive")),
        (["config", "set", "maxmemory", "1.5gb"], .error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")),
        (["config", "set", "maxmemory", "-1"], .error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")),
        (["config", "set", "maxmemory", "2GB"], .ok),
        (["config", "get", "maxmemory"], .pairs([("maxmemory", "2147483648")])),
        (["config", "set", "maxmemory", "0"], .ok),
        (["config", "set", "proto-max-bulk-len", "1k"], .error("ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive")),
        (["config", "set", "maxmemory-clients", "50%"], .ok),
        (["config", "get", "maxmemory-clients"], .pairs([("maxmemory-clients", "50%")])),
        (["config", "set", "maxmemory-clients", "101%"], .error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100")),
        (["config", "set", "maxmemory-clients", "1.5%"], .error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value")),
        (["config", "set", "repl-backlog-size", "1k"], .ok),
        (["config", "get", "repl-backlog-size"], .pairs([("repl-backlog-size", "16384")])),
        (["config", "set", "save", "900 1 300"], .error("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters")),
        (["config", "set", "save", "900  1"], .error("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters")),
        (["config", "set", "save", "60 1000 30 10000"], .ok),
        (["config", "get", "save"], .pairs([("save", "60 1000 30 10000")])),
        (["config", "set", "save", ""], .ok),
        (["config", "get", "save"], .pairs([("save", "")])),
        (["config", "set", "client-output-buffer-limit", "pubsub 1mb 2mb 3 normal 1 2 x"], .error("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.")),
        (["config", "get", "client-output-buffer-limit"], .pairs([("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")])),
        (["config", "set", "client-output-buffer-limit", "replica 1kb 2k 3"], .ok),
        (["config", "get", "client-output-buffer-limit"], .pairs([("client-output-buffer-limit", "normal 0 0 0 slave 1024 2000 3 pubsub 33554432 8388608 60")])),
        (["config", "set", "client-output-buffer-limit", "master 1 2 3"], .error("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration.")),
        (["config", "set", "client-output-buffer-limit", "normal 1 2"], .error("ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.")),
        (["config", "set", "notify-keyspace-events", "KEA"], .ok),
        (["config", "get", "notify-keyspace-events"], .pairs([("notify-keyspace-events", "AKE")])),
        (["config", "set", "notify-keyspace-events", "Kq"], .error("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")),
        (["config", "set", "oom-score-adj-values", "1 2"], .error("ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments")),
        (["config", "set", "oom-score-adj-values", "1 2 3000"], .error("ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000.")),
        (["config", "set", "latency-tracking-info-percentiles", "50 x"], .error("ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters")),
        (["config", "set", "latency-tracking-info-percentiles", "200"], .error("ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")),
        (["config", "set", "shutdown-on-sigint", "save nosave"], .error("ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously")),
        (["config", "set", "shutdown-on-sigint", "now save"], .ok),
        (["config", "get", "shutdown-on-sigint"], .pairs([("shutdown-on-sigint", "save now")])),
        (["config", "set", "proc-title-template", "{nope}"], .error("ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables")),
        (["config", "set", "cluster-announce-hostname", "a b"], .error("ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots")),
        (["config", "set", "appendfsync", "sometimes"], .error("ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no")),
        (["config", "set", "bind", "127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9 127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.15 127.0.0.16 127.0.0.17"], .error("ERR CONFIG SET failed (possibly related to argument 'bind') - Too many bind addresses specified.")),
        (["config", "get", "*max*entries*"], .pairs([("set-max-intset-entries", "512"), ("zset-max-ziplist-entries", "128"), ("stream-node-max-entries", "100"), ("hash-max-listpack-entries", "512"), ("zset-max-listpack-entries", "128"), ("hash-max-ziplist-entries", "512")])),
        (["config", "get", "slaveof"], .pairs([("slaveof", "")])),
        (["config", "get", "SlaveOf", "replicaof"], .pairs([("replicaof", ""), ("SlaveOf", "")])),
        (["config", "get", "MAXMEMORY", "max*"], .pairs([("maxmemory-clients", "50%"), ("maxmemory-samples", "5"), ("MAXMEMORY", "0"), ("maxmemory-eviction-tenacity", "10"), ("maxclients", "10000"), ("maxmemory-policy", "allkeys-lru")])),
        (["config", "get", "key-load-*"], .pairs([])),
        (["config", "get", "key-load-delay"], .pairs([("key-load-delay", "0")])),
        (["config", "get", "nosuch"], .pairs([])),
    ]
}
