#if canImport(Glibc)
import Glibc
#endif

/// How list elements are laid out in a packed run (the value area of a
/// small list, or one node of a big one): each element is
///
///     varint length | bytes | the same length as a backward varint
///
/// so a run can be walked from either end, as Redis's listpack entries
/// carry a back-length for RPOP and reverse ranges. Two bytes of overhead
/// for elements under 128 bytes (listpack: 2 as well).
///
/// The backward varint stores the length's 7-bit groups highest first; every
/// group but the highest has the 0x80 bit set, so reading backwards from the
/// end of the element yields the lowest group first.
public enum ListElements {
    @inlinable static func groups(_ n: Int) -> Int {
        var size = 1, v = n >> 7
        while v > 0 { size += 1; v >>= 7 }
        return size
    }

    /// Bytes one element of `length` bytes takes.
    @inlinable public static func size(_ length: Int) -> Int { 2 * groups(length) + length }

    /// Writes `bytes` as one element at `p` (which has `size(bytes.count)` bytes).
    @inlinable public static func write(_ bytes: UnsafeRawBufferPointer, at p: UnsafeMutableRawPointer) {
        let n = bytes.count
        let g = groups(n)
        var v = n
        for i in 0..<g {
            let more: UInt8 = i < g - 1 ? 0x80 : 0
            p.storeBytes(of: UInt8(v & 0x7F) | more, toByteOffset: i, as: UInt8.self)
            // The backward copy: group i at distance i from the element's end.
            p.storeBytes(of: UInt8(v & 0x7F) | more, toByteOffset: g + n + (g - 1 - i), as: UInt8.self)
            v >>= 7
        }
        if n > 0 { (p + g).copyMemory(from: bytes.baseAddress!, byteCount: n) }
    }

    /// The element starting at `offset` of `base`, and where the next starts.
    @inlinable @inline(__always)
    public static func forward(_ base: UnsafeRawPointer, _ offset: Int) -> (bytes: UnsafeRawBufferPointer, next: Int) {
        let first = Int(base.load(fromByteOffset: offset, as: UInt8.self))
        if first < 0x80 {  // elements under 128 bytes: one length byte at each end
            return (UnsafeRawBufferPointer(start: base + offset + 1, count: first), offset + first + 2)
        }
        var length = 0, shift = 0, i = offset
        while true {
            let b = Int(base.load(fromByteOffset: i, as: UInt8.self))
            i += 1
            length |= (b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        let g = i - offset
        return (UnsafeRawBufferPointer(start: base + i, count: length), i + length + g)
    }

    /// The element ending at `end` of `base`, and where it starts.
    @inlinable public static func backward(_ base: UnsafeRawPointer, _ end: Int) -> (bytes: UnsafeRawBufferPointer, start: Int) {
        var length = 0, shift = 0, i = end
        while true {
            i -= 1
            let b = Int(base.load(fromByteOffset: i, as: UInt8.self))
            length |= (b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        let g = end - i
        let dataStart = i - length
        return (UnsafeRawBufferPointer(start: base + dataStart, count: length), dataStart - g)
    }
}

/// `list-max-listpack-size`: how large one packed run may grow. Negative
/// values -1…-5 cap its bytes at 4, 8, 16, 32 or 64 KB; a positive value
/// caps its element count (with Redis's 8 KB safety limit on bytes).
public struct ListLimits: Sendable {
    public var maxBytes: Int
    /// 0: no count limit.
    public var maxCount: Int

    public init(maxBytes: Int, maxCount: Int) { self.maxBytes = maxBytes; self.maxCount = maxCount }

    public init(fill: Int) {
        if fill >= 0 {
            maxBytes = 8192
            maxCount = max(1, fill)
        } else {
            maxBytes = 4096 << min(4, -fill - 1)
            maxCount = 0
        }
    }

    /// Whether a run of `count` elements in `bytes` bytes is within the limits.
    @inlinable public func allows(bytes: Int, count: Int) -> Bool {
        bytes <= maxBytes && (maxCount == 0 || count <= maxCount)
    }
}

/// One node of a big list: a malloc'd buffer holding a run of elements in
/// `start..<end`, with free room on both sides so that pushes at either
/// end are amortised O(1).
public struct ListNode {
    public var buffer: UnsafeMutableRawPointer
    public var capacity: Int
    public var start: Int
    public var end: Int
    public var count: Int
    @inlinable public var used: Int { end - start }
}

/// A big list (Redis's quicklist): a deque of `ListNode`s, each a packed run
/// of at most `limits` size. Nodes that empty are freed; a node grown past
/// the limits by an insertion in the middle is split.
///
/// The node array is contiguous with free room at both ends, so adding or
/// removing a node moves the shorter side with one memmove (a ring moved
/// node by node: 19% of ZADD's time on a 200k-member sorted set).
///
/// Stored properties are `@exclusivity(unchecked)`: a container is only
/// touched with its shard locked, and the dynamic checks were 6% of LPUSH.
public class ListChunks: Container, @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var ring: UnsafeMutablePointer<ListNode>
    @exclusivity(unchecked) @usableFromInline var ringCapacity: Int
    @exclusivity(unchecked) @usableFromInline var head = 0
    @exclusivity(unchecked) public private(set) var nodeCount = 0
    @exclusivity(unchecked) @usableFromInline var total = 0
    /// Sum of the node buffers' capacities.
    @exclusivity(unchecked) @usableFromInline var bufferBytes = 0
    public let limits: ListLimits

    /// Prefix sums of the node counts, for ranks (sorted sets only, see
    /// `keepsCountIndex`): a Fenwick tree over the nodes, 1-based. A count
    /// change inside a node updates it in O(log nodes); adding or removing
    /// a node shifts the indexes, so that invalidates it and the next rank
    /// query rebuilds it in O(nodes), what every rank query cost before.
    /// Its capacity only grows inside a mutation (`insertNode`), so that
    /// `accountedBytes` changes only where the key table accounts it.
    @exclusivity(unchecked) @usableFromInline var countIndex: UnsafeMutablePointer<Int>? = nil
    @exclusivity(unchecked) @usableFromInline var countIndexCapacity = 0
    @exclusivity(unchecked) @usableFromInline var countIndexValid = false
    /// Whether this container keeps `countIndex` (lists never ask for ranks).
    public let keepsCountIndex: Bool

    public init(limits: ListLimits, keepsCountIndex: Bool = false) {
        self.limits = limits
        self.keepsCountIndex = keepsCountIndex
        ringCapacity = 4
        ring = .allocate(capacity: 4)
        head = 2
    }

    deinit {
        for i in 0..<nodeCount { free(node(i).pointee.buffer) }
        ring.deallocate()
        countIndex?.deallocate()
    }

    public final override var count: Int { total }
    public override var encodingName: StaticString { "quicklist" }
    /// The object, the node ring, each buffer and its malloc header.
    public override var accountedBytes: Int {
        64 + ringCapacity * MemoryLayout<ListNode>.stride + bufferBytes + 16 * nodeCount + countIndexCapacity * MemoryLayout<Int>.stride
    }

    public override func deepCopy() -> Container { copyNodes(into: ListChunks(limits: limits)) }

    /// Copies every node into the empty `copy` (deepCopy of this class and its subclasses).
    final func copyNodes<C: ListChunks>(into copy: C) -> C {
        for i in 0..<nodeCount {
            let n = node(i).pointee
            let buffer = malloc(max(n.used, 1))!
            buffer.copyMemory(from: n.buffer + n.start, byteCount: n.used)
            copy.insertNode(at: i, ListNode(buffer: buffer, capacity: max(n.used, 1), start: 0, end: n.used, count: n.count))
        }
        copy.total = total
        return copy
    }

    /// The first element of node `i` (binary searches over the nodes).
    @inlinable final func firstElement(ofNode i: Int) -> UnsafeRawBufferPointer {
        let n = node(i).pointee
        return ListElements.forward(UnsafeRawPointer(n.buffer), n.start).bytes
    }

    @inlinable func node(_ i: Int) -> UnsafeMutablePointer<ListNode> { ring + head + i }

    // MARK: the node array

    static let nodeSize = MemoryLayout<ListNode>.stride

    /// Moves nodes `from..<from+count` (array indexes) by `by` slots.
    func shiftNodes(_ from: Int, _ count: Int, by: Int) {
        if count > 0 { memmove(ring + from + by, ring + from, count * ListChunks.nodeSize) }
    }

    func insertNode(at i: Int, _ n: ListNode) {
        let roomFront = head, roomBack = ringCapacity - head - nodeCount
        if roomFront == 0 && roomBack == 0 {
            // Grow, the nodes centred so both ends have room.
            let capacity = ringCapacity * 2
            let bigger = UnsafeMutablePointer<ListNode>.allocate(capacity: capacity)
            let newHead = (capacity - nodeCount) / 2
            (bigger + newHead).moveInitialize(from: ring + head, count: nodeCount)
            ring.deallocate()
            ring = bigger
            head = newHead
            ringCapacity = capacity
        }
        if head > 0 && (i < nodeCount / 2 || ringCapacity - head - nodeCount == 0) {
            shiftNodes(head, i, by: -1)
            head -= 1
        } else {
            shiftNodes(head + i, nodeCount - i, by: 1)
        }
        node(i).pointee = n
        nodeCount += 1
        bufferBytes += n.capacity
        countIndexValid = false
        if keepsCountIndex && countIndexCapacity < nodeCount + 1 {
            countIndex?.deallocate()
            countIndexCapacity = max(2 * countIndexCapacity, nodeCount + 1, 8)
            countIndex = .allocate(capacity: countIndexCapacity)
        }
    }

    func removeNode(at i: Int) {
        let n = node(i).pointee
        free(n.buffer)
        bufferBytes -= n.capacity
        if i < nodeCount / 2 {
            shiftNodes(head, i, by: 1)
            head += 1
        } else {
            shiftNodes(head + i + 1, nodeCount - i - 1, by: -1)
        }
        nodeCount -= 1
        if nodeCount == 0 { head = ringCapacity / 2 }
        countIndexValid = false
    }

    /// Node `i`'s count changed by `delta` (the count index follows).
    @inline(__always) func counted(node i: Int, by delta: Int) {
        guard countIndexValid, let tree = countIndex else { return }
        var k = i + 1
        while k <= nodeCount { tree[k] += delta; k += k & -k }
    }

    /// How many elements the nodes before node `i` hold (a rank's first part).
    public final func countBefore(node i: Int) -> Int {
        guard let tree = validCountIndex() else {
            var sum = 0
            for j in 0..<i { sum += node(j).pointee.count }
            return sum
        }
        var sum = 0, k = i
        while k > 0 { sum += tree[k]; k -= k & -k }
        return sum
    }

    /// The node holding element `index` (0 ≤ index < count) and the
    /// element's index inside it, found by descending the count index;
    /// nil for containers that keep none.
    public final func locate(index: Int) -> (node: Int, index: Int)? {
        guard let tree = validCountIndex() else { return nil }
        // The most nodes whose counts sum to at most `index`: the node after them holds it.
        var nodes = 0, rest = index
        var step = nodeCount == 0 ? 0 : 1 << (Int.bitWidth - 1 - nodeCount.leadingZeroBitCount)
        while step > 0 {
            let next = nodes + step
            if next <= nodeCount && tree[next] <= rest { nodes = next; rest -= tree[next] }
            step >>= 1
        }
        return (nodes, rest)
    }

    /// The count index, rebuilt first if a node was added or removed since;
    /// nil for containers that keep none.
    func validCountIndex() -> UnsafeMutablePointer<Int>? {
        guard keepsCountIndex, let tree = countIndex else { return nil }
        if !countIndexValid {
            // Linear build: each entry adds itself to its parent.
            for k in stride(from: 1, through: nodeCount, by: 1) { tree[k] = node(k - 1).pointee.count }
            for k in stride(from: 1, through: nodeCount, by: 1) {
                let parent = k + (k & -k)
                if parent <= nodeCount { tree[parent] += tree[k] }
            }
            countIndexValid = true
        }
        return tree
    }

    func newNode(at i: Int, room: Int, atFront: Bool) {
        let capacity = max(room, min(limits.maxBytes, 256))
        let start = atFront ? capacity : 0
        insertNode(at: i, ListNode(buffer: malloc(capacity)!, capacity: capacity, start: start, end: start, count: 0))
    }

    /// Makes `room` free bytes before (`atFront`) or after the node's run,
    /// growing its buffer geometrically up to the node limit.
    func makeRoom(_ i: Int, _ room: Int, atFront: Bool) {
        let p = node(i)
        var n = p.pointee
        if atFront ? n.start >= room : n.capacity - n.end >= room { return }
        let needed = n.used + room
        var capacity = n.capacity
        if needed > capacity { capacity = max(needed, min(capacity * 2, max(limits.maxBytes, needed))) }
        let newStart = atFront ? capacity - n.used : 0
        if capacity != n.capacity {
            let buffer = malloc(capacity)!
            buffer.advanced(by: newStart).copyMemory(from: n.buffer + n.start, byteCount: n.used)
            free(n.buffer)
            bufferBytes += capacity - n.capacity
            n.buffer = buffer
            n.capacity = capacity
        } else {
            memmove(n.buffer + newStart, n.buffer + n.start, n.used)
        }
        n.end = newStart + n.used
        n.start = newStart
        p.pointee = n
    }

    // MARK: element operations

    /// Adds an element at the front or back.
    public func push(_ bytes: UnsafeRawBufferPointer, atFront: Bool) {
        let size = ListElements.size(bytes.count)
        let i = atFront ? 0 : nodeCount - 1
        if nodeCount == 0 || !limits.allows(bytes: node(i).pointee.used + size, count: node(i).pointee.count + 1) {
            newNode(at: atFront ? 0 : nodeCount, room: size, atFront: atFront)
        }
        let at = atFront ? 0 : nodeCount - 1
        makeRoom(at, size, atFront: atFront)
        let p = node(at)
        if atFront {
            p.pointee.start -= size
            ListElements.write(bytes, at: p.pointee.buffer + p.pointee.start)
        } else {
            ListElements.write(bytes, at: p.pointee.buffer + p.pointee.end)
            p.pointee.end += size
        }
        p.pointee.count += 1
        total += 1
        counted(node: at, by: 1)
    }

    /// Replaces `removing` bytes at `offset` of node `i` with `adding`
    /// bytes written by `write`; splits the node when it outgrew the
    /// limits and frees it when it emptied.
    public func splice(node i: Int, offset: Int, removing: Int, adding: Int, countDelta: Int,
                       write: (UnsafeMutableRawPointer) -> Void) {
        let p = node(i)
        let growth = adding - removing
        if growth > 0 && p.pointee.capacity - p.pointee.end < growth {
            let relative = offset - p.pointee.start
            makeRoom(i, growth, atFront: false)
            splice(node: i, offset: p.pointee.start + relative, removing: removing, adding: adding, countDelta: countDelta, write: write)
            return
        }
        let n = p.pointee
        let tail = n.end - offset - removing
        if tail > 0 && growth != 0 { memmove(n.buffer + offset + adding, n.buffer + offset + removing, tail) }
        if adding > 0 { write(n.buffer + offset) }
        p.pointee.end += growth
        p.pointee.count += countDelta
        total += countDelta
        counted(node: i, by: countDelta)
        if p.pointee.count == 0 {
            removeNode(at: i)
        } else if growth > 0 && p.pointee.count > 1 && !limits.allows(bytes: p.pointee.used, count: p.pointee.count) {
            split(i)
        }
    }

    /// Cuts node `i` into about equal runs within the limits: the first
    /// stays in place, the others become new nodes after it. Equal halves,
    /// not full runs and a remainder: a node left full would split again on
    /// the next insertion. Only after growth, never after a removal:
    /// positions in the node's later elements would move to another node.
    func split(_ i: Int) {
        let p = node(i)
        let n = p.pointee
        let base = UnsafeRawPointer(n.buffer)
        let byBytes = (n.used + limits.maxBytes - 1) / limits.maxBytes
        let byCount = limits.maxCount == 0 ? 1 : (n.count + limits.maxCount - 1) / limits.maxCount
        let pieces = max(2, byBytes, byCount)
        let target = ListLimits(maxBytes: (n.used + pieces - 1) / pieces, maxCount: (n.count + pieces - 1) / pieces)
        var cuts: [(start: Int, count: Int)] = []
        var runStart = n.start, runCount = 0, offset = n.start
        while offset < n.end {
            let next = ListElements.forward(base, offset).next
            if runCount > 0 && !target.allows(bytes: next - runStart, count: runCount + 1) {
                cuts.append((runStart, runCount))
                runStart = offset
                runCount = 0
            }
            runCount += 1
            offset = next
        }
        cuts.append((runStart, runCount))
        if cuts.count == 1 { return }
        for (k, cut) in cuts.enumerated().dropFirst().reversed() {
            let end = k + 1 < cuts.count ? cuts[k + 1].start : n.end
            let length = end - cut.start
            let buffer = malloc(max(length, 1))!
            buffer.copyMemory(from: n.buffer + cut.start, byteCount: length)
            insertNode(at: i + 1, ListNode(buffer: buffer, capacity: max(length, 1), start: 0, end: length, count: cut.count))
        }
        let first = node(i)
        first.pointee.end = cuts[1].start
        first.pointee.count = cuts[0].count
    }
}

extension ListChunks {
    /// Drops `n` elements from the front (or the back), whole nodes at a time where possible.
    public func remove(_ n: Int, fromFront: Bool) {
        var left = min(n, total)
        while left > 0 {
            let i = fromFront ? 0 : nodeCount - 1
            let p = node(i)
            if p.pointee.count <= left {
                left -= p.pointee.count
                total -= p.pointee.count
                removeNode(at: i)
                continue
            }
            let base = UnsafeRawPointer(p.pointee.buffer)
            if fromFront {
                var offset = p.pointee.start
                for _ in 0..<left { offset = ListElements.forward(base, offset).next }
                p.pointee.start = offset
            } else {
                var end = p.pointee.end
                for _ in 0..<left { end = ListElements.backward(base, end).start }
                p.pointee.end = end
            }
            p.pointee.count -= left
            total -= left
            counted(node: i, by: -left)
            left = 0
        }
    }
}
