/// What a write does to a key's expiry.
public enum ExpiryChange {
    /// Keep whatever expiry the key had (KEEPTTL, APPEND, INCR, SETRANGE).
    case keep
    /// Drop it (a plain SET).
    case clear
    /// Set this absolute time in ms.
    case at(Int64)
}

extension KeyTable {
    /// Builds the meta word of a string entry.
    @inlinable @inline(__always)
    static func stringMeta(_ encoding: StringEncoding, lru: UInt32, expires: Bool) -> UInt32 {
        (lru & Entry.lruMask) | UInt32(ValueType.string.rawValue) << 24 | UInt32(encoding.rawValue) << 27
            | (expires ? Entry.expiryFlag : 0)
    }

    /// Makes `key` hold the string `value`. `slot` is the key's current slot
    /// (nil when absent; the caller already ran lazy expiry). Whatever the key
    /// held before (of any type) is replaced. Returns the key's slot.
    @inlinable @discardableResult
    public mutating func storeString(key: UnsafeRawBufferPointer, hash: UInt64, slot: Int?,
                                     value: UnsafeRawBufferPointer, encoding: StringEncoding,
                                     expiry: ExpiryChange, lru: UInt32) -> Int {
        if let slot = slot {
            var e = entry(at: slot)
            let newExpiry: Int64?
            switch expiry {
            case .keep: newExpiry = e.expiry
            case .clear: newExpiry = nil
            case .at(let t): newExpiry = t
            }
            if e.type != .string {
                account(bytes: -ValueStore.containerBytes(e))
                ValueStore.release(e)
                e.valueLength = 0
                e.meta = KeyTable.stringMeta(encoding, lru: lru, expires: e.hasExpiry)
            }
            if e.hasExpiry != (newExpiry != nil) {
                e = relayout(at: slot, valueLength: value.count, valueCapacity: value.count, expiry: newExpiry)
            } else {
                e = resizeValue(at: slot, to: value.count)
                if let t = newExpiry, t != e.expireAt { changeExpiry(e, to: t) }
            }
            if value.count > 0 { e.valueStart.copyMemory(from: value.baseAddress!, byteCount: value.count) }
            e.meta = KeyTable.stringMeta(encoding, lru: lru, expires: newExpiry != nil)
            return slot
        }
        var at: Int64? = nil
        if case .at(let t) = expiry { at = t }
        let e = Entry.allocate(key: key, valueLength: value.count, valueCapacity: value.count,
                               meta: KeyTable.stringMeta(encoding, lru: lru, expires: at != nil))
        if let t = at { e.expireAt = t }
        if value.count > 0 { e.valueStart.copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return insert(e, hash: hash)
    }
}
