import RESP
import Storage
import Synchronization

/// A client's open MULTI: the commands queued for EXEC.
public final class Transaction {
    public struct Queued {
        public let spec: CommandSpec
        public var arguments: OwnedArguments
    }
    public internal(set) var commands: [Queued] = []
    /// Union of the queued commands' flags: EXEC is refused under maxmemory
    /// when any of them is `denyoom`.
    public private(set) var flags: CommandFlags = []
    /// A command was rejected while queueing: EXEC must answer EXECABORT.
    public var aborted = false
    /// Bytes held by the queue (`multi-mem=` in CLIENT LIST).
    public private(set) var bytes = 0

    public init() {}

    func append(_ spec: CommandSpec, _ arguments: Arguments) {
        let owned = OwnedArguments(copying: arguments)
        bytes += owned.byteCount
        commands.append(Queued(spec: spec, arguments: owned))
        flags.formUnion(spec.flags)
    }
}

extension CommandSpec {
    /// MULTI, EXEC, DISCARD, WATCH, QUIT and RESET run at once inside a
    /// transaction; every other command is queued.
    var runsInsideTransaction: Bool {
        switch name {
        case "exec", "discard", "multi", "watch", "quit", "reset": return parent == nil
        default: return false
        }
    }

    var isExec: Bool { name == "exec" && parent == nil }
}

extension Client {
    @inlinable public var inTransaction: Bool { transaction != nil }

    /// Queues a command inside MULTI and answers QUEUED. Once the transaction
    /// is doomed (a rejected command, or a WATCHed key changed) nothing more
    /// is stored: EXEC will not run it anyway.
    func queue(_ spec: CommandSpec, _ arguments: Arguments) {
        guard let t = transaction else { return }
        if !t.aborted && !watchFlag.dirty.load(ordering: .relaxed) {
            t.append(spec, arguments)
            multiCount.store(t.commands.count, ordering: .relaxed)
        }
        reply.simple("QUEUED")
    }

    /// Marks the open transaction (if any) so EXEC fails with EXECABORT:
    /// Redis's `flagTransaction`, applied to every rejected command.
    func flagTransaction() {
        transaction?.aborted = true
    }

    /// Leaves MULTI and forgets every WATCHed key and whether one changed
    /// (DISCARD, EXEC, RESET, disconnect).
    public func discardTransaction() {
        transaction = nil
        multiCount.store(-1, ordering: .relaxed)
        unwatchAll()
        watchFlag.dirty.store(false, ordering: .relaxed)
    }
}
