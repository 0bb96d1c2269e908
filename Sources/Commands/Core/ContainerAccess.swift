import RESP
import Storage

/// What `Client.writeContainer` found.
public enum ContainerAccess {
    /// The key holds the container; the body ran.
    case done
    /// The key is missing and nothing was to be created; the body did not run.
    case missing
    /// The key holds another type; WRONGTYPE was replied.
    case wrongType
}

extension Client {
    /// Locks `key` and reads its container of type `type` (nil when the key
    /// is missing). For another type, replies WRONGTYPE without calling `body`.
    public func readContainer<C: Container>(_ key: UnsafeRawBufferPointer, _ type: ValueType, as _: C.Type,
                                            _ body: (C?) -> Void) {
        withKey(key, read: true) { k in
            guard let e = k.entry else { body(nil); return }
            guard e.type == type else { fail(Errors.wrongType); return }
            body(unsafeDowncast(ValueStore.container(e)!, to: C.self))
        }
    }

    /// Locks `key` and changes its container of type `type`, creating it with
    /// `create` when the key is missing (nil: report `.missing`). The size
    /// change is accounted; a container left empty is deleted with a `del`
    /// event after the body's own events, as Redis does.
    @discardableResult
    public func writeContainer<C: Container>(_ key: UnsafeRawBufferPointer, _ type: ValueType, create: (() -> C)?,
                                             _ body: (C, inout LockedKey) -> Void) -> ContainerAccess {
        withKey(key) { k in
            if let e = k.entry, e.type != type { fail(Errors.wrongType); return .wrongType }
            if k.slot == nil {
                guard let create = create else { return .missing }
                k.slot = k.table.pointee.storeContainer(key: key, hash: k.hash, slot: nil, container: create(), type: type,
                                                        expiry: .clear, lru: lruClock)
                k.keyCreated()
            }
            var locked = k
            let emptied = k.table.pointee.mutateContainer(at: k.slot!, as: C.self) { c -> Bool in
                body(c, &locked)
                return c.count == 0
            }
            if emptied, locked.slot != nil {
                locked.delete()
                keyspaceEvent(.generic, "del", key)
            }
            k = locked
            return .done
        }
    }
}
