extension KeyTable {
    /// Builds the meta word of a container entry.
    @inlinable @inline(__always)
    static func containerMeta(_ type: ValueType, lru: UInt32, expires: Bool) -> UInt32 {
        (lru & Entry.lruMask) | UInt32(type.rawValue) << 24 | (expires ? Entry.expiryFlag : 0)
    }

    /// Makes `key` hold `container` (of `type`), replacing whatever it held;
    /// `slot` is its current slot (nil when absent). Returns the key's slot.
    @discardableResult
    public mutating func storeContainer(key: UnsafeRawBufferPointer, hash: UInt64, slot: Int?, container: Container,
                                        type: ValueType, expiry: ExpiryChange, lru: UInt32) -> Int {
        var keptExpiry: Int64? = nil
        if let slot = slot {
            let old = entry(at: slot)
            if case .keep = expiry { keptExpiry = old.expiry }
            remove(at: slot)
        }
        var at: Int64? = keptExpiry
        if case .at(let t) = expiry { at = t }
        let e = Entry.allocate(key: key, valueLength: 8, valueCapacity: 8,
                               meta: KeyTable.containerMeta(type, lru: lru, expires: at != nil))
        if let t = at { e.expireAt = t }
        ValueStore.attach(container, to: e)
        return insert(e, hash: hash)
    }

    /// Runs `body` on the container of the entry at `slot` and accounts the
    /// change in its size.
    @inlinable
    public mutating func mutateContainer<C: Container, R>(at slot: Int, as _: C.Type, _ body: (C) throws -> R) rethrows -> R {
        let c = unsafeDowncast(ValueStore.container(entry(at: slot))!, to: C.self)
        let before = c.accountedBytes
        defer { account(bytes: c.accountedBytes - before) }
        return try body(c)
    }
}
