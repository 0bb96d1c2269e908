import Sync
import Synchronization

/// The `default` user, the only user Swiftlet has: enabled or not, its
/// passwords (kept only as SHA-256 hex digests, in the order added, as
/// Redis does) or `nopass`. It always has every permission (`~* &* +@all`).
///
/// `requirepass` is a front end to it, as in Redis: setting it replaces the
/// passwords with that one; setting it to "" makes the user `nopass`.
public final class AccessControl: @unchecked Sendable {
    public struct DefaultUser: Sendable, Equatable {
        public var enabled = true
        public var nopass = true
        public var passwordHashes: [String] = []
    }

    private let state = Locked(DefaultUser())

    /// One `ACL LOG` entry. Swiftlet's rules never deny a command, so the
    /// only events are failed authentications (reason "auth"), as in Redis.
    public struct LogEntry: Sendable {
        public var count: Int
        public let username: String
        /// The command as the client typed it (`AUTH`, `hello`, …).
        public let object: String
        public var createdMs: Int64
        public var clientInfo: String
    }
    /// Newest first, at most `acllog-max-len` entries.
    private let log = Locked<[LogEntry]>([])
    /// Whether a new connection must authenticate (`!nopass || !enabled`):
    /// read for every command of a client that has not authenticated.
    private let required = Atomic<Bool>(false)

    public init() {}

    public var user: DefaultUser { state.withLock { $0 } }

    /// Redis's `authRequired`: with a password set or the user disabled,
    /// a client that has not authenticated may run only `noAuth` commands.
    @inline(__always) public var authRequired: Bool { required.load(ordering: .relaxed) }

    /// Whether a new connection starts authenticated.
    public var connectsAuthenticated: Bool { !authRequired }

    /// Protected mode refuses non-local peers while the user has no password.
    public var hasNoPassword: Bool { state.withLock { $0.nopass } }

    /// `CONFIG SET requirepass` / the directive: resetpass, then `>password` or `nopass`.
    public func setRequirePass(_ password: String) {
        update { user in
            user.passwordHashes = []
            if password.isEmpty {
                user.nopass = true
            } else {
                user.nopass = false
                user.passwordHashes = [Array(password.utf8).withUnsafeBytes { SHA256.hex($0) }]
            }
        }
    }

    /// Checks `password` for `username` in constant time over the stored
    /// digests; a disabled user never authenticates, a `nopass` one always.
    public func check(username: String, password: UnsafeRawBufferPointer) -> Bool {
        guard username == "default" else { return false }
        let user = self.user
        guard user.enabled else { return false }
        if user.nopass { return true }
        let offered = Array(SHA256.hex(password).utf8)
        var matched = false
        for stored in user.passwordHashes {
            var difference: UInt8 = 0
            for (a, b) in zip(offered, stored.utf8) { difference |= a ^ b }
            matched = matched || difference == 0
        }
        return matched
    }

    /// Applies `ACL SETUSER default` modifiers all together or not at all.
    /// Returns nil, or the error reply (without its leading '-').
    public func apply(_ modifiers: [[UInt8]]) -> String? {
        var user = self.user
        for modifier in modifiers {
            if let reason = Self.apply(modifier, to: &user) {
                return "ERR Error in ACL SETUSER modifier '\(String(decoding: modifier, as: UTF8.self))': \(reason)"
            }
        }
        update { $0 = user }
        return nil
    }

    /// One modifier; nil when it applied, else the reason it did not.
    static func apply(_ modifier: [UInt8], to user: inout DefaultUser) -> String? {
        let text = String(decoding: modifier, as: UTF8.self)
        let lower = text.lowercased()
        switch lower {
        case "on": user.enabled = true; return nil
        case "off": user.enabled = false; return nil
        case "nopass": user.nopass = true; user.passwordHashes = []; return nil
        case "resetpass": user.nopass = false; user.passwordHashes = []; return nil
        // Full access is all the default user can have: granting it again is a no-op.
        case "~*", "allkeys", "&*", "allchannels", "+@all", "allcommands", "%rw~*": return nil
        default: break
        }
        guard let first = modifier.first else { return "Syntax error" }
        let rest = String(decoding: modifier.dropFirst(), as: UTF8.self)
        switch first {
        case UInt8(ascii: ">"):
            addHash(modifier.dropFirst().withUnsafeBytes { SHA256.hex($0) }, to: &user)
            return nil
        case UInt8(ascii: "<"):
            return removeHash(modifier.dropFirst().withUnsafeBytes { SHA256.hex($0) }, from: &user)
        case UInt8(ascii: "#"):
            guard isDigest(rest) else { return badHash }
            addHash(rest, to: &user)
            return nil
        case UInt8(ascii: "!"):
            guard isDigest(rest) else { return badHash }
            return removeHash(rest, from: &user)
        case UInt8(ascii: "~"), UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "%"), UInt8(ascii: "("):
            return restricted
        default:
            if ["reset", "resetkeys", "resetchannels", "nocommands", "clearselectors"].contains(lower) { return restricted }
            return "Syntax error"
        }
    }

    static let badHash = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
    static let missingPassword = "The password you are trying to remove from the user does not exist"
    /// Swiftlet's own text: it has no permission system to restrict.
    static let restricted = "Swiftlet's default user always has access to every key, channel and command"

    static func addHash(_ hash: String, to user: inout DefaultUser) {
        user.nopass = false
        if !user.passwordHashes.contains(hash) { user.passwordHashes.append(hash) }
    }

    static func removeHash(_ hash: String, from user: inout DefaultUser) -> String? {
        guard let index = user.passwordHashes.firstIndex(of: hash) else { return missingPassword }
        user.passwordHashes.remove(at: index)
        return nil
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    private func update(_ body: (inout DefaultUser) -> Void) {
        state.withLock { user in
            body(&user)
            required.store(!user.nopass || !user.enabled, ordering: .relaxed)
        }
    }

    /// Records a failed AUTH/HELLO AUTH. A failure by the same username
    /// with the same command within 60 s of the last one is counted in that
    /// entry (moved to the front), as Redis groups them.
    public func recordFailedAuth(username: String, object: String, clientInfo: String, nowMs: Int64, maxLength: Int) {
        log.withLock { entries in
            if let i = entries.firstIndex(where: { $0.username == username && $0.object == object }),
               nowMs - entries[i].createdMs < 60_000 {
                var entry = entries.remove(at: i)
                entry.count += 1
                entry.createdMs = nowMs
                entry.clientInfo = clientInfo
                entries.insert(entry, at: 0)
            } else {
                entries.insert(LogEntry(count: 1, username: username, object: object, createdMs: nowMs, clientInfo: clientInfo), at: 0)
            }
            if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
        }
    }

    public func logEntries(_ count: Int) -> [LogEntry] { log.withLock { Array($0.prefix(max(0, count))) } }
    public func resetLog() { log.withLock { $0.removeAll() } }

    /// `ACL LIST`'s line for the user (the form `user` directives use).
    public var describe: String {
        let user = self.user
        var text = "user default " + (user.enabled ? "on" : "off")
        if user.nopass { text += " nopass" }
        for hash in user.passwordHashes { text += " #" + hash }
        return text + " ~* &* +@all"
    }
}
