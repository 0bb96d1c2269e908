/// A Lua table laid out exactly as Lua 5.1 lays it out: an array part for
/// keys 1...n and a hash part of 2^k nodes using Lua's hash functions,
/// chained collision resolution with a descending free pointer, and Lua's
/// rehash policy (the array part is the largest n such that more than half
/// of 1...n is in use). Reproducing the layout is what makes `#` on tables
/// with holes and the order of `next`/`pairs` agree with the reference
/// interpreter for string and number keys (keys that are tables or
/// functions hash by address, so their order cannot match).
public final class LuaTable {
    /// One slot of the hash part. A node whose key is nil has never been
    /// used; a node with a key and a nil value is a dead entry that stays in
    /// its chain (so `next` can continue from it) until the next rehash.
    struct Node {
        var key: LuaValue = .nil
        var value: LuaValue = .nil
        var next: Int32 = -1
    }

    /// The array part: keys 1...array.count live at index key-1 (values may
    /// be nil).
    @exclusivity(unchecked) var array: ContiguousArray<LuaValue>
    /// The hash part: empty (Lua's shared dummy node) or a power of two.
    @exclusivity(unchecked) var nodes: ContiguousArray<Node>
    /// Free nodes are searched below this index, downwards.
    @exclusivity(unchecked) var lastFree: Int
    /// The metatable (`setmetatable`), if any.
    @exclusivity(unchecked) public var metatable: LuaTable?
    /// When set, every write through Lua (`t[k] = v`, `rawset`, library
    /// functions that modify tables) raises an error; the host sets this to
    /// protect globals as Redis does.
    @exclusivity(unchecked) public var isReadOnly = false

    /// A table with room for `arrayCount` sequence entries and `hashCount`
    /// other keys, as Lua's constructor sizes it.
    public init(arrayCount: Int = 0, hashCount: Int = 0) {
        array = ContiguousArray(repeating: .nil, count: arrayCount)
        nodes = []
        lastFree = 0
        if hashCount > 0 { allocateNodes(hashCount) }
    }

    // MARK: - Hashing (Lua 5.1's main positions)

    @inline(__always) private var nodeMask: Int { nodes.count - 1 }

    /// `hashmod`: modulo an odd number, used for numbers and pointers.
    @inline(__always) private func hashMod(_ h: UInt32) -> Int {
        Int(h % UInt32((nodes.count - 1) | 1))
    }

    @inline(__always) private func numberPosition(_ n: Double) -> Int {
        if n == 0 { return 0 }
        let bits = n.bitPattern
        let folded = UInt32(truncatingIfNeeded: bits) &+ UInt32(truncatingIfNeeded: bits >> 32)
        return hashMod(folded)
    }

    @inline(__always) private func stringPosition(_ s: LuaString) -> Int {
        Int(s.hash) & nodeMask
    }

    private func mainPosition(_ key: LuaValue) -> Int {
        switch key {
        case .number(let n): return numberPosition(n)
        case .string(let s): return stringPosition(s)
        case .boolean(let b): return (b ? 1 : 0) & nodeMask
        case .table(let t): return hashMod(UInt32(truncatingIfNeeded: UInt(bitPattern: ObjectIdentifier(t))))
        case .function(let f): return hashMod(UInt32(truncatingIfNeeded: UInt(bitPattern: ObjectIdentifier(f))))
        case .lightUserdata(let p): return hashMod(UInt32(truncatingIfNeeded: p))  // Lua's hashpointer
        case .nil: return 0
        }
    }

    // MARK: - Reading

    /// Raw read (no metamethods).
    public subscript(key: LuaValue) -> LuaValue {
        get { get(key) }
    }

    @inline(__always) public func get(_ key: LuaValue) -> LuaValue {
        switch key {
        case .number(let n): return get(number: n)
        case .string(let s): return get(string: s)
        case .nil: return .nil
        default:
            if let index = findNode(key) { return nodes[index].value }
            return .nil
        }
    }

    @inline(__always) public func get(number n: Double) -> LuaValue {
        let i = Int(truncatingIfNeeded: Int64(n.isFinite && abs(n) < 9e18 ? n : 0))
        if Double(i) == n && i >= 1 && i <= array.count { return array[i &- 1] }
        return getNumberFromHash(n)
    }

    private func getNumberFromHash(_ n: Double) -> LuaValue {
        if nodes.isEmpty { return .nil }
        var index = numberPosition(n)
        while true {
            if case .number(let k) = nodes[index].key, k == n { return nodes[index].value }
            let next = Int(nodes[index].next)
            if next < 0 { return .nil }
            index = next
        }
    }

    @inline(__always) public func get(string s: LuaString) -> LuaValue {
        if nodes.isEmpty { return .nil }
        var index = stringPosition(s)
        while true {
            if case .string(let k) = nodes[index].key, k == s { return nodes[index].value }
            let next = Int(nodes[index].next)
            if next < 0 { return .nil }
            index = next
        }
    }

    /// The node holding `key` (dead or alive), for keys outside the array part.
    private func findNode(_ key: LuaValue) -> Int? {
        if nodes.isEmpty { return nil }
        var index = mainPosition(key)
        while true {
            if LuaValue.rawEquals(nodes[index].key, key) { return index }
            let next = Int(nodes[index].next)
            if next < 0 { return nil }
            index = next
        }
    }

    @inline(__always) private func arrayIndex(_ key: LuaValue) -> Int? {
        if case .number(let n) = key, n >= 1, n <= Double(array.count) {
            let i = Int(n)
            if Double(i) == n { return i - 1 }
        }
        return nil
    }

    // MARK: - Writing

    /// Errors a raw write can raise (Lua's wording).
    enum WriteError: Error {
        case nilIndex, nanIndex
        var message: String { self == .nilIndex ? "table index is nil" : "table index is NaN" }
    }

    /// Raw write (no metamethods, ignores `isReadOnly`). Like Lua, writing
    /// nil to an absent key still creates a (dead) entry.
    public func rawSet(_ key: LuaValue, _ value: LuaValue) throws {
        switch key {
        case .number(let n):
            let i = Int(truncatingIfNeeded: Int64(n.isFinite && abs(n) < 9e18 ? n : 0))
            if Double(i) == n && i >= 1 && i <= array.count { array[i &- 1] = value; return }
            if n.isNaN { throw WriteError.nanIndex }
        case .string(let s):
            if !nodes.isEmpty {
                var index = stringPosition(s)
                while true {
                    if case .string(let k) = nodes[index].key, k == s { nodes[index].value = value; return }
                    let next = Int(nodes[index].next)
                    if next < 0 { break }
                    index = next
                }
            }
            insertNew(key, value)
            return
        case .nil:
            throw WriteError.nilIndex
        default: break
        }
        if let index = findNode(key) { nodes[index].value = value; return }
        insertNew(key, value)
    }

    /// Sets integer key `i` (used by constructors and the table library).
    public func set(index i: Int, _ value: LuaValue) {
        if i >= 1 && i <= array.count { array[i - 1] = value; return }
        try? rawSet(.number(Double(i)), value)
    }

    /// Inserts a key known to be absent (Lua's `newkey`), rehashing when the
    /// hash part has no free node left.
    private func insertNew(_ key: LuaValue, _ value: LuaValue) {
        if nodes.isEmpty {
            rehash(adding: key)
            try? rawSet(key, value)
            return
        }
        var position = mainPosition(key)
        if !nodes[position].value.isNil {
            guard let free = freePosition() else {
                rehash(adding: key)
                try? rawSet(key, value)
                return
            }
            let occupantHome = mainPosition(nodes[position].key)
            if occupantHome != position {
                // The occupant is a collider living away from home: move it
                // to the free node and take its place.
                var previous = occupantHome
                while Int(nodes[previous].next) != position { previous = Int(nodes[previous].next) }
                nodes[previous].next = Int32(free)
                nodes[free] = nodes[position]
                nodes[position].next = -1
                nodes[position].value = .nil
            } else {
                // The occupant is at home: chain the new key after it.
                nodes[free].next = nodes[position].next
                nodes[position].next = Int32(free)
                position = free
            }
        }
        nodes[position].key = key
        nodes[position].value = value
    }

    private func freePosition() -> Int? {
        while lastFree > 0 {
            lastFree -= 1
            if nodes[lastFree].key.isNil { return lastFree }
        }
        return nil
    }

    // MARK: - Rehash (Lua's sizing policy)

    private static let maxBits = 26

    @inline(__always) private static func ceilLog2(_ x: Int) -> Int {
        x <= 1 ? 0 : (Int.bitWidth - (x - 1).leadingZeroBitCount)
    }

    private static func countIntegerKey(_ key: LuaValue, _ counts: inout [Int]) -> Int {
        if case .number(let n) = key, n >= 1, n <= Double(1 << maxBits), n == n.rounded(.towardZero) {
            counts[ceilLog2(Int(n))] += 1
            return 1
        }
        return 0
    }

    private func rehash(adding extraKey: LuaValue) {
        var counts = [Int](repeating: 0, count: LuaTable.maxBits + 1)
        // Count the array part, slice by slice (2^(lg-1), 2^lg].
        var arrayUse = 0
        var i = 1
        var sliceLimit = 1
        for lg in 0...LuaTable.maxBits {
            var limit = sliceLimit
            if limit > array.count {
                limit = array.count
                if i > limit { break }
            }
            var inSlice = 0
            while i <= limit {
                if !array[i - 1].isNil { inSlice += 1 }
                i += 1
            }
            counts[lg] += inSlice
            arrayUse += inSlice
            sliceLimit *= 2
        }
        var totalUse = arrayUse
        var arrayCandidates = arrayUse
        for node in nodes where !node.value.isNil {
            arrayCandidates += LuaTable.countIntegerKey(node.key, &counts)
            totalUse += 1
        }
        arrayCandidates += LuaTable.countIntegerKey(extraKey, &counts)
        totalUse += 1
        let (arraySize, inArray) = LuaTable.optimalArraySize(counts, candidates: arrayCandidates)
        resize(arraySize: arraySize, hashSize: totalUse - inArray)
    }

    /// Lua's `computesizes`: the largest power of two n such that more than
    /// n/2 of the keys 1...n are present, and how many keys that captures.
    private static func optimalArraySize(_ counts: [Int], candidates: Int) -> (size: Int, inArray: Int) {
        var accumulated = 0, inArray = 0, size = 0
        var twoToI = 1
        var i = 0
        while twoToI / 2 < candidates {
            if counts[i] > 0 {
                accumulated += counts[i]
                if accumulated > twoToI / 2 {
                    size = twoToI
                    inArray = accumulated
                }
            }
            if accumulated == candidates { break }
            i += 1
            twoToI *= 2
            if i > maxBits { break }
        }
        return (size, inArray)
    }

    private func allocateNodes(_ count: Int) {
        if count == 0 {
            nodes = []
            lastFree = 0
            return
        }
        let size = 1 << LuaTable.ceilLog2(count)
        nodes = ContiguousArray(repeating: Node(), count: size)
        lastFree = size
    }

    /// Lua's `resize`: new array size, new hash part, then re-insert what
    /// no longer fits and the old nodes (last to first, as Lua does).
    func resize(arraySize: Int, hashSize: Int) {
        let oldArraySize = array.count
        if arraySize > oldArraySize {
            array.append(contentsOf: repeatElement(.nil, count: arraySize - oldArraySize))
        }
        let oldNodes = nodes
        allocateNodes(hashSize)
        if arraySize < oldArraySize {
            let vanishing = Array(array[arraySize..<oldArraySize])
            array.removeSubrange(arraySize..<oldArraySize)
            for (offset, value) in vanishing.enumerated() where !value.isNil {
                try? rawSet(.number(Double(arraySize + offset + 1)), value)
            }
        }
        var index = oldNodes.count - 1
        while index >= 0 {
            let old = oldNodes[index]
            if !old.value.isNil { try? rawSet(old.key, old.value) }
            index -= 1
        }
    }

    /// Grows the array part to at least `count` (Lua's SETLIST pre-sizing).
    func ensureArray(_ count: Int) {
        if count > array.count { resize(arraySize: count, hashSize: nodes.count) }
    }

    // MARK: - Length and traversal

    /// The border `#t` returns, found exactly as Lua 5.1 finds it.
    public var length: Int {
        var j = array.count
        if j > 0 && array[j - 1].isNil {
            var i = 0
            while j - i > 1 {
                let m = (i + j) / 2
                if array[m - 1].isNil { j = m } else { i = m }
            }
            return i
        }
        if nodes.isEmpty { return j }
        // Unbounded search in the hash part.
        var i = j
        j += 1
        while !get(number: Double(j)).isNil {
            i = j
            j *= 2
            if j > Int(Int32.max) {
                var k = 1
                while !get(number: Double(k)).isNil { k += 1 }
                return k - 1
            }
        }
        while j - i > 1 {
            let m = (i + j) / 2
            if get(number: Double(m)).isNil { j = m } else { i = m }
        }
        return i
    }

    /// `next`: the entry after `key` (nil: the first), or nil at the end.
    /// Returns nil for the key too when `key` is not in the table, which
    /// the caller reports as "invalid key to 'next'".
    func next(after key: LuaValue) -> (key: LuaValue, value: LuaValue)?? {
        var index: Int
        if key.isNil {
            index = 0
        } else if let a = arrayIndex(key) {
            index = a + 1
        } else if let n = findNode(key) {
            index = array.count + n + 1
        } else {
            return .none
        }
        while index < array.count {
            if !array[index].isNil { return .some((.number(Double(index + 1)), array[index])) }
            index += 1
        }
        var n = index - array.count
        while n < nodes.count {
            if !nodes[n].value.isNil { return .some((nodes[n].key, nodes[n].value)) }
            n += 1
        }
        return .some(nil)
    }

    /// Largest positive numeric key (`table.maxn`).
    var maxNumericKey: Double {
        var best = 0.0
        var i = array.count
        while i > 0 {
            if !array[i - 1].isNil { best = Double(i); break }
            i -= 1
        }
        for node in nodes where !node.value.isNil {
            if case .number(let n) = node.key, n > best { best = n }
        }
        return best
    }

    /// Appends at `#t + 1` (convenience for Swift callers building arrays).
    public func append(_ value: LuaValue) {
        set(index: length + 1, value)
    }

    /// Every live entry, in traversal order (for Swift callers).
    public var entries: [(key: LuaValue, value: LuaValue)] {
        var result: [(key: LuaValue, value: LuaValue)] = []
        for (i, v) in array.enumerated() where !v.isNil { result.append((.number(Double(i + 1)), v)) }
        for node in nodes where !node.value.isNil { result.append((node.key, node.value)) }
        return result
    }
}
