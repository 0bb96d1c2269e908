import RESP
import Storage

/// What moving one element between lists found.
enum ListMoveResult { case moved, sourceMissing, sourceWrongType, destinationWrongType }

extension Client {
    /// Pops from one end of `source` and pushes onto one end of
    /// `destination` (the same key rotates it), replying with the element.
    /// Errors are left to the caller to reply.
    ///
    /// Nothing is allocated: the two keys go straight into the loop's key
    /// group, and the element, which must outlive its removal from the
    /// source, is copied to the stack (an Array for each was a fifth of
    /// LMOVE's instructions).
    func moveListElement(_ source: UnsafeRawBufferPointer, _ destination: UnsafeRawBufferPointer,
                         fromFront: Bool, toFront: Bool) -> ListMoveResult {
        withKeyGroup(count: 2, fill: { keys in keys[0] = source; keys[1] = destination }) { keys -> ListMoveResult in
            var src = keys.key(0)
            guard let sourceSlot = src.slot else { return .sourceMissing }
            if src.table.pointee.entry(at: sourceSlot).type != .list { return .sourceWrongType }
            var dst = keys.key(1)
            if let d = dst.slot, dst.table.pointee.entry(at: d).type != .list { return .destinationWrongType }
            let limits = server.config.listLimits
            let popped = ListView(table: src.table, slot: sourceSlot)
            let stored = popped.element(at: fromFront ? 0 : -1)!
            withUnsafeTemporaryAllocation(byteCount: max(stored.count, 1), alignment: 1) { scratch in
                scratch.copyMemory(from: stored)
                let element = UnsafeRawBufferPointer(rebasing: scratch[0..<stored.count])
                popped.remove(1, fromFront: fromFront)
                if dst.slot == nil {
                    dst.slot = dst.table.pointee.insert(ListView.newEntry(key: destination, lru: lruClock), hash: dst.hash)
                    dst.keyCreated()
                }
                ListView(table: dst.table, slot: dst.slot!).push(element, atFront: toFront, limits: limits)
                // Redis's order: the push is signalled and notified before the reply.
                keyModified(dst)
                keyspaceEvent(.list, toFront ? "lpush" : "rpush", destination)
                signalKeyReady(destination)
                reply.bulk(element)
            }
            keyspaceEvent(.list, fromFront ? "lpop" : "rpop", source)
            if let s = src.slot, ListView(table: src.table, slot: s).count == 0 {
                src.delete()
                keyspaceEvent(.generic, "del", source)
            }
            keyModified(src)
            dirty()
            return .moved
        }
    }

    /// Replies with the error of a failed move (nothing for a missing source).
    func replyMoveFailure(_ result: ListMoveResult) {
        if result == .sourceWrongType || result == .destinationWrongType { fail(Errors.wrongType) }
    }
}

/// `LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>`, `RPOPLPUSH source destination`
///
/// Moves one element and replies with it; null when the source is missing.
enum ListMoveCommand {
    static let lmove = CommandSpec(
        "lmove", arity: 5, flags: [.write, .denyoom], acl: ["@write", "@list", "@slow"], keys: (1, 2, 1),
        group: "list", since: "6.2.0", summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
        arguments: [ArgumentSpec("source", .key, keySpecIndex: 0), ArgumentSpec("destination", .key, keySpecIndex: 1),
                    sideArgument("wherefrom"), sideArgument("whereto")],
        handler: { c, args in
            guard let from = c.listSide(args[3]), let to = c.listSide(args[4]) else { return }
            run(c, args, fromFront: from, toFront: to)
        })

    static let rpoplpush = CommandSpec(
        "rpoplpush", arity: 3, flags: [.write, .denyoom], acl: ["@write", "@list", "@slow"], keys: (1, 2, 1),
        group: "list", since: "1.2.0", summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
        arguments: [ArgumentSpec("source", .key, keySpecIndex: 0), ArgumentSpec("destination", .key, keySpecIndex: 1)],
        handler: { c, args in run(c, args, fromFront: false, toFront: true) })

    static func sideArgument(_ name: String) -> ArgumentSpec {
        ArgumentSpec(name, .oneof, children: [ArgumentSpec("left", .pureToken, token: "LEFT"), ArgumentSpec("right", .pureToken, token: "RIGHT")])
    }

    static func run(_ c: Client, _ args: Arguments, fromFront: Bool, toFront: Bool) {
        let result = c.moveListElement(args[1], args[2], fromFront: fromFront, toFront: toFront)
        if result == .sourceMissing { c.reply.null() } else { c.replyMoveFailure(result) }
    }
}
