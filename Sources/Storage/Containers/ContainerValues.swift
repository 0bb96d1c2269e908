extension KeyTable {
    /// Builds the meta word of a container entry.
    @inlinable @inline(__always)
    static func containerMeta(_ type: ValueType, lru: UInt32, expires: Bool) -> UInt32 {
        (lru & Entry.lruMask) | UInt32(type.rawValue) << 24 | (expires ? Entry.expiryFlag : 0)
    }

    /// Runs `body` on the container of the entry at `slot` and accounts the
    /// change in its size.
    @inlinable
    public mutating func mutateContainer<C: Container, R>(at slot: Int, as _: C.Type, _ body: (C) throws -> R) rethrows -> R {
        let (result, grown) = try ValueStore.withObject(entry(at: slot), as: C.self) { c -> (R, Int) in
            let before = c.accountedBytes
            let result = try body(c)
            return (result, c.accountedBytes - before)
        }
        account(bytes: grown)
        return result
    }
}
