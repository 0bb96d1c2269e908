import Storage

/// Channel or pattern names mapped to values. PUBLISH looks a channel up by
/// the request's own bytes: no array is built for the name and it is hashed
/// once with the keyspace's hash (a `[[UInt8]: V]` dictionary cost an
/// allocation and a byte-at-a-time SipHash per PUBLISH).
struct NameMap<Value> {
    private struct Named {
        var name: [UInt8]
        var value: Value
    }

    /// Names by hash; a bucket holds more than one name only on a collision.
    private var buckets: [UInt64: [Named]] = [:]
    private(set) var count = 0

    private static func hash(_ name: UnsafeRawBufferPointer) -> UInt64 { KeyHash.hash(name, seed: 0x5EED_C4A1) }

    func value(for name: UnsafeRawBufferPointer) -> Value? {
        guard let bucket = buckets[NameMap.hash(name)] else { return nil }
        for named in bucket where named.name.count == name.count {
            if named.name.withUnsafeBytes({ $0.elementsEqual(name) }) { return named.value }
        }
        return nil
    }

    subscript(name: [UInt8]) -> Value? {
        get { name.withUnsafeBytes { value(for: $0) } }
        set {
            let h = name.withUnsafeBytes { NameMap.hash($0) }
            var bucket = buckets.removeValue(forKey: h) ?? []
            if let i = bucket.firstIndex(where: { $0.name == name }) {
                if let v = newValue { bucket[i].value = v } else { bucket.remove(at: i); count -= 1 }
            } else if let v = newValue {
                bucket.append(Named(name: name, value: v))
                count += 1
            }
            if !bucket.isEmpty { buckets[h] = bucket }
        }
    }

    /// Every name, in no particular order.
    var names: [[UInt8]] { buckets.values.flatMap { $0.map(\.name) } }
}
