import RESP

/// Decides whether a pipelined request's second argument is a key worth
/// prefetching. PUBLISH's channel, ECHO's text or CONFIG's subcommand are
/// not: hashing them and locking a shard to prefetch a slot cost PUBLISH
/// two hashes and two lock round trips each. Pipelines mostly repeat one
/// command, so the verdict for the last name seen (up to 16 bytes, as sent)
/// is kept and only a different name costs a command-table lookup.
///
/// Per client, so only its own event loop touches it.
struct PrefetchFilter {
    private var name: (UInt64, UInt64) = (0, 0)
    private var length = -1
    private var verdict = false

    /// `command` and `key` are the first two arguments of one complete
    /// request in the input buffer, so `key`'s bytes lie after `command`'s.
    mutating func firstArgumentIsKey(_ command: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer,
                                     server: ServerContext) -> Bool {
        let n = command.count
        guard n >= 1, n <= 16, let start = command.baseAddress, let keyStart = key.baseAddress,
              start + 8 <= keyStart + key.count else { return PrefetchFilter.takesKeyFirst(command, server.commands) }
        // The name as two words: its first 8 bytes (masked to its length)
        // and its last 8 (overlapping); with the length, that is every byte.
        let head = start.loadUnaligned(as: UInt64.self) & (n >= 8 ? ~0 : (1 << (UInt64(n) * 8)) - 1)
        let tail = n > 8 ? (start + n - 8).loadUnaligned(as: UInt64.self) : 0
        if n == length && head == name.0 && tail == name.1 { return verdict }
        name = (head, tail)
        length = n
        verdict = PrefetchFilter.takesKeyFirst(command, server.commands)
        return verdict
    }

    private static func takesKeyFirst(_ command: UnsafeRawBufferPointer, _ table: CommandTable) -> Bool {
        guard let spec = table.lookup(command) else { return false }
        return spec.firstKey == 1
    }
}
