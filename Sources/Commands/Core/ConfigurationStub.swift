// TEMPORARY: replaced by the real Configuration (Sources/Commands/Config) — delete on integration.
import Synchronization
public struct ConfigFileError: Error { public let message: String; public init(message: String) { self.message = message } }
public final class Configuration: @unchecked Sendable {
    private let lock = Mutex<[String: String]>([:])
    public init() {}
    public func load(arguments: [String], readFile: (String) throws -> String, standardInput: () -> String) throws {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") && i + 1 < arguments.count { let k = String(a.dropFirst(2)); let v = arguments[i + 1]; lock.withLock { $0[k] = v }; i += 2 } else { i += 1 }
        }
    }
    public func get(patterns: [String]) -> [(name: String, value: String)] { [] }
    public func set(_ pairs: [(String, String)]) -> String? { for (k, v) in pairs { lock.withLock { $0[k] = v } }; return nil }
    public func string(_ name: String) -> String? { lock.withLock { $0[name] } }
    public func onChange(_ name: String, _ callback: @escaping @Sendable (String) -> Void) {}
    private func int(_ n: String, _ d: Int) -> Int { string(n).flatMap { Int($0) } ?? d }
    public var port: Int { int("port", 6379) }
    public var bind: [String] { ["127.0.0.1"] }
    public var databases: Int { int("databases", 16) }
    public var hz: Int { int("hz", 10) }
    public var ioThreads: Int { int("io-threads", 1) }
    public var maxmemory: Int { int("maxmemory", 0) }
    public var maxmemoryPolicy: String { string("maxmemory-policy") ?? "noeviction" }
    public var maxmemorySamples: Int { 5 }
    public var protoMaxBulkLen: Int { 512 * 1024 * 1024 }
    public var clientQueryBufferLimit: Int { 1 << 30 }
    public var maxclients: Int { 10000 }
    public var timeout: Int { 0 }
    public var tcpKeepalive: Int { 300 }
    public var tcpBacklog: Int { 511 }
    public var requirepass: String? { string("requirepass") }
    public var protectedMode: Bool { true }
    public var loglevel: String { "notice" }
    public var logfile: String { "" }
    public var activeExpireEffort: Int { 1 }
    public var lfuLogFactor: Int { 10 }
    public var lfuDecayTime: Int { 1 }
    public var notifyKeyspaceEvents: String { "" }
    public var lazyfreeLazyUserDel: Bool { false }
    public var lazyfreeLazyUserFlush: Bool { false }
    public var lazyfreeLazyExpire: Bool { false }
    public var lazyfreeLazyEviction: Bool { false }
    public var slowlogLogSlowerThan: Int { 10000 }
    public var slowlogMaxLen: Int { 128 }
    public var latencyMonitorThreshold: Int { 0 }
    public var renamedCommands: [(from: String, to: String)] { [] }
    public var configFilePath: String? { nil }
}
