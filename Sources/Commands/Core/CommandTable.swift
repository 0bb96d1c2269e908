import RESP

/// Every command the server knows, looked up by name without allocating:
/// a small open-addressing table over a case-folded FNV hash of the name.
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
        let h = name.withUTF8 { CommandTable.hash(UnsafeRawBufferPointer($0)) }
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
        renamed?.tips = spec.tips
        slots = Array(repeating: -1, count: slots.count)
        all = []
        byId = []
        names = []
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
        return all.withUnsafeBufferPointer { .passUnretained($0[index]) }
    }

    private func index(of name: UnsafeRawBufferPointer) -> Int? {
        if name.count == 0 || name.count > 64 { return nil }
        var i = Int(truncatingIfNeeded: CommandTable.hash(name)) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if CommandTable.matches(names[Int(s)], name) { return Int(s) }
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
