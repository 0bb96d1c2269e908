import RESP

/// Every command the server knows, looked up by name without allocating:
/// a small open-addressing table over a case-folded hash of the name. Names
/// of up to 16 bytes (all but a few) are compared as two case-folded words
/// (`FoldedName`); longer ones byte by byte.
///
/// Invariant: built (and renamed) before the server starts, read-only after;
/// hence `@exclusivity(unchecked)` on the lookup state, which every request reads.
public final class CommandTable: @unchecked Sendable {
    @exclusivity(unchecked) public private(set) var all: [CommandSpec] = []
    /// Every spec including subcommands, indexed by `CommandSpec.id`.
    @exclusivity(unchecked) public private(set) var byId: [CommandSpec] = []
    @exclusivity(unchecked) private var slots: [Int32]
    @exclusivity(unchecked) private var mask: Int
    /// Lowercase names as bytes, parallel to `all`, for allocation-free comparison.
    @exclusivity(unchecked) private var names: [[UInt8]] = []
    /// `FoldedName`s of the names, parallel to `all` (unused past 16 bytes).
    @exclusivity(unchecked) private var folded: [FoldedName] = []

    public init(_ specs: [CommandSpec]) {
        let size = 1 << (64 - UInt64(max(specs.count * 4, 16) - 1).leadingZeroBitCount)
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        // Copies: registering writes `id` into the spec (see CommandSpec.copy).
        for spec in specs { register(spec.copy()) }
    }

    private func register(_ spec: CommandSpec) {
        spec.id = byId.count
        byId.append(spec)
        for sub in spec.subcommands { sub.id = byId.count; byId.append(sub) }
        all.append(spec)
        names.append(Array(spec.name.utf8))
        var name = spec.name
        // Longer names keep the byte hash, and a placeholder in `folded`.
        let (h, key) = name.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard bytes.count <= FoldedName.maxLength else {
                return (CommandTable.hash(bytes), FoldedName(a: 0, b: 0, length: 0))
            }
            let key = FoldedName(bytes)
            return (key.hash, key)
        }
        folded.append(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(all.count - 1)
    }

    /// Renames a command (rename-command); an empty new name removes it.
    public func rename(_ from: String, to: String) -> Bool {
        let lower = from.lowercased()
        guard let spec = all.first(where: { $0.name == lower }) else { return false }
        let remaining = all.filter { $0 !== spec }
        let renamed = to.isEmpty ? nil : CommandSpec(
            to.lowercased(), arity: spec.arity, flags: spec.flags, acl: spec.aclCategories,
            keys: (spec.firstKey, spec.lastKey, spec.keyStep), group: spec.group, since: spec.since,
            summary: spec.summary, complexity: spec.complexity, arguments: spec.arguments,
            subcommands: spec.subcommands, handler: spec.handler)
        renamed?.keySpecs = spec.keySpecs
        renamed?.touchesNoShard = false  // a new name says nothing about what it touches
        renamed?.tips = spec.tips
        slots = Array(repeating: -1, count: slots.count)
        all = []
        byId = []
        names = []
        folded = []
        for s in remaining { register(s) }
        if let r = renamed { register(r) }
        return true
    }

    @inlinable @inline(__always)
    static func hash(_ name: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in name { h = (h ^ UInt64(c | 0x20)) &* 0x100_0000_01b3 }
        return h
    }

    /// The command named by `name`, case-insensitively.
    public func lookup(_ name: UnsafeRawBufferPointer) -> CommandSpec? {
        guard let index = index(of: name) else { return nil }
        return all[index]
    }

    /// `lookup` for the request path: the spec unretained. The table keeps
    /// every spec alive for the server's life (renames happen before start).
    @inline(__always)
    func lookupUnretained(_ name: UnsafeRawBufferPointer) -> Unmanaged<CommandSpec>? {
        guard let index = index(of: name) else { return nil }
        return unretained(index)
    }

    @inline(__always)
    func lookupUnretained(_ key: FoldedName) -> Unmanaged<CommandSpec>? {
        guard let index = index(of: key) else { return nil }
        return unretained(index)
    }

    @inline(__always)
    private func unretained(_ index: Int) -> Unmanaged<CommandSpec> {
        all.withUnsafeBufferPointer { .passUnretained($0[index]) }
    }

    private func index(of name: UnsafeRawBufferPointer) -> Int? {
        if name.count == 0 || name.count > 64 { return nil }
        if name.count <= FoldedName.maxLength { return index(of: FoldedName(name)) }
        var i = Int(truncatingIfNeeded: CommandTable.hash(name)) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if CommandTable.matches(names[Int(s)], name) { return Int(s) }
            i = (i + 1) & mask
        }
    }

    /// Two words compared instead of a byte loop over an Array (retained)
    /// per probe: GET's lookup went from 129 to ~40 instructions.
    private func index(of key: FoldedName) -> Int? {
        var i = Int(truncatingIfNeeded: key.hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if folded[Int(s)] == key { return Int(s) }
            i = (i + 1) & mask
        }
    }

    public func lookup(_ name: String) -> CommandSpec? {
        var name = name
        return name.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    static func matches(_ lowercase: [UInt8], _ name: UnsafeRawBufferPointer) -> Bool {
        if lowercase.count != name.count { return false }
        for i in 0..<lowercase.count {
            var c = name[i]
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if c != lowercase[i] { return false }
        }
        return true
    }
}

/// The command a client named last, kept by its name as sent: pipelines,
/// benchmarks and most connections repeat one command, so the dispatcher
/// and the prefetch filter go to the table only when the name changes
/// (the table lookup was about 100 instructions of a GET's 2500).
/// Per client, so only its own event loop touches it. The specs are
/// unretained: the table keeps them for the server's life.
struct RecentCommand {
    private var asSent = FoldedName(a: 0, b: 0, length: 0)
    private var spec: Unmanaged<CommandSpec>? = nil

    @inline(__always)
    mutating func lookup(_ name: UnsafeRawBufferPointer, in table: CommandTable) -> Unmanaged<CommandSpec>? {
        let n = name.count
        guard n >= 1 && n <= FoldedName.maxLength else { return table.lookupUnretained(name) }
        let key = FoldedName(asSent: name)
        if key == asSent, let spec { return spec }
        let found = table.lookupUnretained(key.folded)
        (asSent, spec) = (key, found)
        return found
    }
}

/// A name of 1 to 16 bytes as two words with ASCII letters folded to
/// lowercase. The words come from overlapping loads inside the name (the
/// first and last 8 bytes, or 4, or three single bytes), so with the length
/// they identify it and nothing past its end is read.
@usableFromInline struct FoldedName: Equatable {
    static let maxLength = 16
    var a: UInt64
    var b: UInt64
    var length: Int

    init(a: UInt64, b: UInt64, length: Int) { (self.a, self.b, self.length) = (a, b, length) }

    @inline(__always)
    init(_ name: UnsafeRawBufferPointer) { self = FoldedName(asSent: name).folded }

    /// These words with ASCII letters folded to lowercase.
    @inline(__always)
    var folded: FoldedName { FoldedName(a: FoldedName.lowercased(a), b: FoldedName.lowercased(b), length: length) }

    /// The same words with the bytes as they are (no case folding): equal
    /// for equal names as sent.
    @inline(__always)
    init(asSent name: UnsafeRawBufferPointer) {
        let n = name.count, p = name.baseAddress!
        if n >= 8 {
            a = p.loadUnaligned(as: UInt64.self)
            b = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 {
            a = UInt64(p.loadUnaligned(as: UInt32.self))
                | UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
            b = 0
        } else {
            a = UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: n / 2, as: UInt8.self)) << 8
                | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self)) << 16
            b = 0
        }
        length = n
    }

    /// Adds 0x20 to every byte from 'A' to 'Z', eight bytes at a time.
    @inline(__always)
    static func lowercased(_ x: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = x & (0x7F &* ones)
        // High bit of each byte set when its low 7 bits are >= 'A' and <= 'Z',
        // and the byte itself is ASCII.
        let upper = (low7 &+ 0x3F &* ones) & ~(low7 &+ 0x25 &* ones) & ~x & (0x80 &* ones)
        return x | (upper >> 2)
    }

    @inline(__always)
    var hash: UInt64 {
        var h = (a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(length)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        return h
    }
}

extension CommandTable {
    /// The command, or the subcommand, a request names (whose flags the
    /// checks before it runs read: the admission of commands while a script
    /// runs, CLIENT PAUSE WRITE); nil when unknown.
    public func lookupRequest(_ args: Arguments) -> CommandSpec? {
        guard let top = lookup(args[0]) else { return nil }
        if !top.subcommands.isEmpty && args.count >= 2 { return top.subcommand(args[1]) }
        return top
    }
}
