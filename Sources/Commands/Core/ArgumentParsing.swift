import RESP
import Storage

extension Client {
    /// Parses a `long long` argument or replies `value is not an integer or out of range`.
    @inlinable
    public func integerArgument(_ bytes: UnsafeRawBufferPointer) -> Int? {
        if let v = Decimal.parse(bytes) { return v }
        fail(Errors.notInteger)
        return nil
    }

    /// Parses an integer argument and checks its range, replying `message` when outside.
    public func integerArgument(_ bytes: UnsafeRawBufferPointer, in range: ClosedRange<Int>, message: String) -> Int? {
        guard let v = integerArgument(bytes) else { return nil }
        if !range.contains(v) { fail(message); return nil }
        return v
    }
}

extension Client {
    /// Parses a C `int` argument like Redis's `getIntFromObjectOrReply`.
    public func intArgument(_ bytes: UnsafeRawBufferPointer, message: String? = nil) -> Int? {
        guard let v = Decimal.parse(bytes) else { fail(message ?? Errors.notInteger); return nil }
        if v < Int(Int32.min) || v > Int(Int32.max) {
            fail(message ?? "ERR value is out of range, must be between \(Int32.min) and \(Int32.max)")
            return nil
        }
        return v
    }
}
