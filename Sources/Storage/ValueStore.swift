/// Ownership of values that live outside the entry block (containers of the
/// data-type issue). A string's bytes live inside the entry, so it owns nothing.
public enum ValueStore {
    @inlinable
    public static func release(_ e: Entry) {
        if e.type != .string {
            // Containers store a retained object reference in the value area.
            let bits = e.valueStart.load(as: UInt.self)
            if let p = UnsafeRawPointer(bitPattern: bits) { Unmanaged<AnyObject>.fromOpaque(p).release() }
        }
    }
}

extension ValueStore {
    /// Gives a cloned block its own container: containers are deep-copied by
    /// their type's `copy()` (COPY must not share mutable state).
    public static func retainCopy(_ e: Entry) {
        if e.type == .string { return }
        let bits = e.valueStart.load(as: UInt.self)
        guard let p = UnsafeRawPointer(bitPattern: bits) else { return }
        let object = Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue()
        let duplicate: AnyObject = (object as? DeepCopyable)?.deepCopy() ?? object
        e.valueStart.storeBytes(of: UInt(bitPattern: Unmanaged.passRetained(duplicate).toOpaque()), as: UInt.self)
    }
}

/// Containers implement this so COPY can duplicate them.
public protocol DeepCopyable: AnyObject {
    func deepCopy() -> AnyObject
}
