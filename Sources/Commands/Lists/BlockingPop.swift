import RESP
import Storage

/// `BLPOP key [key ...] timeout`, `BRPOP key [key ...] timeout`,
/// `BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]`,
/// `BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout`,
/// `BRPOPLPUSH source destination timeout`
///
/// Like their non-blocking forms when a list has elements; otherwise the
/// client blocks (see Blocking.swift) until a push serves it, the timeout
/// (seconds, a float; 0: forever) passes with a null array, or CLIENT
/// UNBLOCK. Inside MULTI they time out at once.
enum BlockingPopCommand {
    static let blpop = pop("blpop", atFront: true, summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")
    static let brpop = pop("brpop", atFront: false, summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")

    static let flags: CommandFlags = [.write, .noscript, .blocking]
    static let acl = ["@write", "@list", "@slow", "@blocking"]

    static func pop(_ name: String, atFront: Bool, summary: String) -> CommandSpec {
        CommandSpec(
            name, arity: -3, flags: flags, acl: acl, keys: (1, -2, 1),
            group: "list", since: "2.0.0", summary: summary, complexity: "O(N) where N is the number of provided keys.",
            arguments: [ArgumentSpec("key", .key, multiple: true, keySpecIndex: 0), ArgumentSpec("timeout", .double)],
            handler: { c, args in
                guard let deadline = c.blockingDeadline(args[args.count - 1]) else { return }
                let keys = c.keyArguments(args, from: 1, to: args.count - 1)
                popOrBlock(c, keys, atFront: atFront, count: 1, shape: .keyAndElement, deadline: deadline)
            })
    }

    static let blmpop = CommandSpec(
        "blmpop", arity: -5, flags: [.write, .blocking], acl: acl, keys: (0, 0, 0),
        group: "list", since: "7.0.0", summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        arguments: ListMultiPopCommand.arguments(blocking: true),
        handler: { c, args in
            guard let request = ListMultiPopCommand.parse(c, args, numkeysAt: 2),
                  let deadline = c.blockingDeadline(args[1]) else { return }
            popOrBlock(c, request.keys, atFront: request.atFront, count: request.count, shape: .keyAndElements, deadline: deadline)
        })

    /// Pops from the first non-empty list, or blocks on all of them.
    static func popOrBlock(_ c: Client, _ keys: [UnsafeRawBufferPointer], atFront: Bool, count: Int, shape: PopReply, deadline: Int64) {
        for key in keys {
            switch c.popList(key, atFront: atFront, count: count, shape: shape) {
            case .missing: continue
            case .done, .wrongType: return
            }
        }
        c.block(on: keys, deadlineMs: deadline) { proxy, key in
            guard proxy.keyType(key) == .list else { return .exhausted }
            return proxy.popList(key, atFront: atFront, count: count, shape: shape) == .done ? .served : .exhausted
        }
    }

    static let blmove = CommandSpec(
        "blmove", arity: 6, flags: [.write, .denyoom, .noscript, .blocking], acl: acl, keys: (1, 2, 1),
        group: "list", since: "6.2.0", summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
        arguments: [ArgumentSpec("source", .key, keySpecIndex: 0), ArgumentSpec("destination", .key, keySpecIndex: 1),
                    ListMoveCommand.sideArgument("wherefrom"), ListMoveCommand.sideArgument("whereto"), ArgumentSpec("timeout", .double)],
        handler: { c, args in
            guard let from = c.listSide(args[3]), let to = c.listSide(args[4]), let deadline = c.blockingDeadline(args[5]) else { return }
            moveOrBlock(c, args, fromFront: from, toFront: to, deadline: deadline)
        })

    static let brpoplpush = CommandSpec(
        "brpoplpush", arity: 4, flags: [.write, .denyoom, .noscript, .blocking], acl: acl, keys: (1, 2, 1),
        group: "list", since: "2.2.0", summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
        arguments: [ArgumentSpec("source", .key, keySpecIndex: 0), ArgumentSpec("destination", .key, keySpecIndex: 1), ArgumentSpec("timeout", .double)],
        handler: { c, args in
            guard let deadline = c.blockingDeadline(args[3]) else { return }
            moveOrBlock(c, args, fromFront: false, toFront: true, deadline: deadline)
        })

    static func moveOrBlock(_ c: Client, _ args: Arguments, fromFront: Bool, toFront: Bool, deadline: Int64) {
        let result = c.moveListElement(args[1], args[2], fromFront: fromFront, toFront: toFront)
        if result != .sourceMissing { c.replyMoveFailure(result); return }
        // Where blocking is not allowed Redis answers a plain null here.
        if c.denyBlocking { c.reply.null(); return }
        let destination = Array(args[2])
        c.block(on: [args[1]], deadlineMs: deadline) { proxy, key in
            let result = destination.withUnsafeBytes { proxy.moveListElement(key, $0, fromFront: fromFront, toFront: toFront) }
            switch result {
            case .moved: return .served
            case .destinationWrongType: proxy.replyMoveFailure(result); return .served
            case .sourceMissing, .sourceWrongType: return .exhausted
            }
        }
    }
}

extension Client {
    /// The type of `key`'s value (nil when missing), without touching it.
    func keyType(_ key: UnsafeRawBufferPointer) -> ValueType? {
        withKey(key, touch: false) { k in k.entry?.type }
    }
}
