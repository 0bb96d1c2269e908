import RESP
import Storage

/// What `Client.writeValue` found.
public enum ContainerAccess {
    /// The key holds a value of the type; the body ran.
    case done
    /// The key is missing and nothing was to be created; the body did not run.
    case missing
    /// The key holds another type; WRONGTYPE was replied.
    case wrongType
}

extension Client {
    /// Locks `key` and reads its value of `V`'s type (nil when the key is
    /// missing). For another type, replies WRONGTYPE without calling `body`.
    /// Returns false when it replied WRONGTYPE.
    @inlinable @discardableResult
    public func readValue<V: ValueView>(_ key: UnsafeRawBufferPointer, as _: V.Type, _ body: (V?) -> Void) -> Bool {
        withKey(key, read: true) { k in
            guard let slot = k.slot else { body(nil); return true }
            guard k.table.pointee.entry(at: slot).type == V.valueType else { fail(Errors.wrongType); return false }
            body(V(table: k.table, slot: slot))
            return true
        }
    }

    /// Locks `key` and changes its value of `V`'s type, creating an empty one
    /// when the key is missing and `create` is set (else: `.missing`). A
    /// value left empty is deleted, with a `del` event after the body's own
    /// events as in Redis (silently if this call created it).
    @inlinable @discardableResult
    public func writeValue<V: ValueView>(_ key: UnsafeRawBufferPointer, as _: V.Type, create: Bool,
                                         _ body: (V, inout LockedKey) -> Void) -> ContainerAccess {
        withKey(key) { k in
            if let slot = k.slot {
                if k.table.pointee.entry(at: slot).type != V.valueType { fail(Errors.wrongType); return .wrongType }
            } else {
                if !create { return .missing }
                k.slot = k.table.pointee.insert(V.newEntry(key: key, lru: lruClock), hash: k.hash)
                k.keyCreated()
                k.created = true
            }
            let view = V(table: k.table, slot: k.slot!)
            body(view, &k)
            if V.deletesWhenEmpty && k.slot != nil && view.count == 0 {
                k.delete()
                if !k.created { keyspaceEvent(.generic, "del", key) }
            }
            return .done
        }
    }
}

extension Client {
    /// HDEL, SREM: removes every element named by `args[2...]` from the
    /// value at `args[1]` and replies with how many were there; fires
    /// `event` when any was (and `del` when the value is left empty).
    @inlinable
    public func removeElements<V: ValueView>(_ args: Arguments, as _: V.Type, notify kind: NotifyClass, event: String,
                                             _ remove: (V, UnsafeRawBufferPointer) -> Bool) {
        let found = writeValue(args[1], as: V.self, create: false) { v, k in
            var removed = 0
            for i in 2..<args.count where remove(v, args[i]) { removed += 1 }
            if removed > 0 {
                dirty(removed)
                keyModified(k)
                keyspaceEvent(kind, event, args[1])
            }
            reply.integer(removed)
        }
        if found == .missing { reply.integer(0) }
    }
}

/// HRANDFIELD and SRANDMEMBER with a negative count (repetitions allowed)
/// build the whole reply at once. Redis 7.0 accepts any count down to
/// -LONG_MAX and then hangs filling memory; Swiftlet refuses more than this
/// many repetitions with a range error instead (a deliberate difference:
/// bad input must not hang the server).
public enum RandomRepeats {
    public static let limit = 1_000_000
    public static let error = "ERR value is out of range, value must between -1000000 and 9223372036854775807"
}

extension Client {
    /// HRANDFIELD/ZRANDMEMBER's `count [WITH…]` (`flag`: the lowercase
    /// WITHVALUES/WITHSCORES token), with Redis's checks in its order.
    func randomCount(_ args: Arguments, flag: StaticString) -> (count: Int, withFlag: Bool)? {
        guard let requested = integerArgument(args[2], in: -Int.max...Int.max,
                                              message: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        else { return nil }
        if args.count > 4 || (args.count == 4 && !args[3].equalsIgnoringCase(flag)) { fail(Errors.syntax); return nil }
        let withFlag = args.count == 4
        // Redis refuses counts whose doubled reply length would overflow.
        if withFlag && requested < -(Int.max / 2) { fail("ERR value is out of range"); return nil }
        if requested < -RandomRepeats.limit { fail(RandomRepeats.error); return nil }
        return (requested, withFlag)
    }
}
