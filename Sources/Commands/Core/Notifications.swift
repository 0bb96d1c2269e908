import RESP
import Storage
import Synchronization

/// Keyspace notification classes, with Redis's bit values and flag letters
/// (`notify-keyspace-events`).
public struct NotifyClass: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let keyspace = NotifyClass(rawValue: 1 << 0)   // K
    public static let keyevent = NotifyClass(rawValue: 1 << 1)   // E
    public static let generic = NotifyClass(rawValue: 1 << 2)    // g
    public static let string = NotifyClass(rawValue: 1 << 3)     // $
    public static let list = NotifyClass(rawValue: 1 << 4)       // l
    public static let set = NotifyClass(rawValue: 1 << 5)        // s
    public static let hash = NotifyClass(rawValue: 1 << 6)       // h
    public static let zset = NotifyClass(rawValue: 1 << 7)       // z
    public static let expired = NotifyClass(rawValue: 1 << 8)    // x
    public static let evicted = NotifyClass(rawValue: 1 << 9)    // e
    public static let stream = NotifyClass(rawValue: 1 << 10)    // t
    public static let keyMiss = NotifyClass(rawValue: 1 << 11)   // m
    public static let module = NotifyClass(rawValue: 1 << 13)    // d
    public static let newKey = NotifyClass(rawValue: 1 << 14)    // n
    /// `A`: every class but key-miss and new-key.
    public static let all: NotifyClass = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]
}

/// Receives keyspace events when notifications are enabled (installed by the
/// pub/sub layer). `key` is only valid during the call.
public typealias KeyspaceEventSink = (_ kind: NotifyClass, _ event: String, _ key: UnsafeRawBufferPointer, _ db: Int) -> Void

extension ServerContext {
    /// Fires a keyspace event if its class is enabled.
    @inlinable
    public func keyspaceEvent(_ kind: NotifyClass, _ event: String, _ key: UnsafeRawBufferPointer, db: Int) {
        let mask = notifyMask.load(ordering: .relaxed)
        if mask & kind.rawValue == 0 { return }
        eventSink?(kind, event, key, db)
    }
}

extension Client {
    @inlinable
    public func keyspaceEvent(_ kind: NotifyClass, _ event: String, _ key: UnsafeRawBufferPointer) {
        server.keyspaceEvent(kind, event, key, db: db)
    }

    /// Counts a change to the data set (INFO rdb_changes_since_last_save).
    @inlinable public func dirty(_ n: Int = 1) { loop.dirty.add(n) }
}
