extension Entry {
    /// A new block holding the same value, meta and expiry under another key.
    /// For container values the object reference is copied without a retain:
    /// the caller either retains it (COPY) or frees the source block with
    /// `freeBlockOnly` (RENAME/MOVE, a transfer).
    public func cloned(withKey key: UnsafeRawBufferPointer) -> Entry {
        let copy = Entry.allocate(key: key, valueLength: valueLength, valueCapacity: valueLength, meta: meta)
        if hasExpiry { copy.expireAt = expireAt }
        if valueLength > 0 { copy.valueStart.copyMemory(from: valueStart, byteCount: valueLength) }
        return copy
    }

    /// Frees the block but not the container it points to (ownership moved).
    public func freeBlockOnly() { free() }
}
