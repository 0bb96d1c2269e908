/// A list, seen through the entry that holds it (shard locked). A small
/// list is one packed run in the entry block (`ListElements`); past
/// `list-max-listpack-size` it becomes a `ListChunks` of such runs. Redis
/// 7.0 reports every list as "quicklist", whichever form it has.
///
/// Positions name an element by run (node) and byte offset; any change
/// invalidates the positions after it in the same run, so multi-element
/// edits (LREM) go from the last position to the first.
public struct ListView {
    public let table: UnsafeMutablePointer<KeyTable>
    public let slot: Int

    public struct Position {
        public let node: Int
        public let offset: Int
    }

    public init(table: UnsafeMutablePointer<KeyTable>, slot: Int) { self.table = table; self.slot = slot }

    @inlinable var entry: Entry { table.pointee.entry(at: slot) }
    @inlinable public var isPacked: Bool { entry.encodingBits == ContainerLayout.packed }
    @inlinable public var chunks: ListChunks { unsafeDowncast(ValueStore.container(entry)!, to: ListChunks.self) }
    /// The big form, unretained (see `ValueStore.withObject`); the list must not be packed.
    @inlinable func withChunks<R>(_ body: (ListChunks) throws -> R) rethrows -> R {
        try ValueStore.withObject(entry, as: ListChunks.self, body)
    }

    @inlinable public var count: Int {
        let e = entry
        if e.encodingBits == ContainerLayout.packed { return Int(e.valueStart.loadUnaligned(as: UInt32.self)) }
        return withChunks { $0.count }
    }

    @inlinable var runCount: Int { isPacked ? 1 : withChunks { $0.nodeCount } }

    /// Run `i`: its base, the byte range of its elements, and their count.
    @inlinable func run(_ i: Int) -> (base: UnsafeRawPointer, start: Int, end: Int, count: Int) {
        let e = entry
        if e.encodingBits == ContainerLayout.packed {
            return (UnsafeRawPointer(e.valueStart + 4), 0, e.valueLength - 4, Int(e.valueStart.loadUnaligned(as: UInt32.self)))
        }
        let n = withChunks { $0.node(i).pointee }
        return (UnsafeRawPointer(n.buffer), n.start, n.end, n.count)
    }

    // MARK: reading

    /// Where element `index` (0 ≤ index < count) starts, walking from the nearer end.
    public func position(ofIndex index: Int) -> Position {
        var node = 0, i = index
        if !isPacked {
            let c = chunks
            if let located = c.locate(index: index) {
                (node, i) = located  // a sorted set: O(log nodes) through its count index
            } else if index < c.count / 2 {
                while i >= c.node(node).pointee.count { i -= c.node(node).pointee.count; node += 1 }
            } else {
                node = c.nodeCount - 1
                var fromEnd = c.count - 1 - index
                while fromEnd >= c.node(node).pointee.count { fromEnd -= c.node(node).pointee.count; node -= 1 }
                i = c.node(node).pointee.count - 1 - fromEnd
            }
        }
        let r = run(node)
        if i < r.count / 2 {
            var offset = r.start
            for _ in 0..<i { offset = ListElements.forward(r.base, offset).next }
            return Position(node: node, offset: offset)
        }
        var end = r.end
        for _ in 0..<(r.count - i) { end = ListElements.backward(r.base, end).start }
        return Position(node: node, offset: end)
    }

    /// The element at `index`; negative indexes count from the end.
    public func element(at index: Int) -> UnsafeRawBufferPointer? {
        let i = index < 0 ? count &+ index : index
        guard i >= 0 && i < count else { return nil }
        return element(at: position(ofIndex: i))
    }

    public func element(at p: Position) -> UnsafeRawBufferPointer { ListElements.forward(run(p.node).base, p.offset).bytes }

    /// Calls `body` for the elements from `index` towards the tail (or the
    /// head, `reverse`), until it returns false.
    public func scan(from index: Int, reverse: Bool, _ body: (UnsafeRawBufferPointer, Position) -> Bool) {
        guard index >= 0 && index < count else { return }
        scan(from: position(ofIndex: index), reverse: reverse, body)
    }

    /// Elements from the one at `first` toward the tail (or the head, `reverse`) while `body` returns true.
    public func scan(from first: Position, reverse: Bool, _ body: (UnsafeRawBufferPointer, Position) -> Bool) {
        var node = first.node
        let runs = runCount
        if !reverse {
            var offset = first.offset
            while node < runs {
                let r = run(node)
                while offset < r.end {
                    let (bytes, next) = ListElements.forward(r.base, offset)
                    if !body(bytes, Position(node: node, offset: offset)) { return }
                    offset = next
                }
                node += 1
                if node < runs { offset = run(node).start }
            }
        } else {
            var end = ListElements.forward(run(node).base, first.offset).next
            while node >= 0 {
                let r = run(node)
                while end > r.start {
                    let (bytes, start) = ListElements.backward(r.base, end)
                    if !body(bytes, Position(node: node, offset: start)) { return }
                    end = start
                }
                node -= 1
                if node >= 0 { end = run(node).end }
            }
        }
    }

    /// The element before the one at `p`, or the last element when `p` is
    /// nil (past the end); nil when there is none.
    public func position(before p: Position?) -> Position? {
        var node: Int, end: Int
        if let p = p {
            node = p.node; end = p.offset
        } else {
            node = runCount - 1
            if node < 0 { return nil }
            end = run(node).end
        }
        while true {
            let r = run(node)
            if end > r.start { return Position(node: node, offset: ListElements.backward(r.base, end).start) }
            node -= 1
            if node < 0 { return nil }
            end = run(node).end
        }
    }

    // MARK: writing

    /// Adds `element` at the head (`atFront`) or the tail (`limits` as for `insert`).
    public func push(_ element: UnsafeRawBufferPointer, atFront: Bool, limits: ListLimits?) {
        if !isPacked {
            table.pointee.mutateContainer(at: slot, as: ListChunks.self) { $0.push(element, atFront: atFront) }
            return
        }
        let r = run(0)
        splice(Position(node: 0, offset: atFront ? 0 : r.end), removing: 0, inserting: element, limits: limits)
    }

    /// Removes `n` elements from the head (or the tail).
    public func remove(_ n: Int, fromFront: Bool) {
        if !isPacked {
            table.pointee.mutateContainer(at: slot, as: ListChunks.self) { $0.remove(n, fromFront: fromFront) }
            return
        }
        let r = run(0)
        let n = min(n, r.count)
        if fromFront {
            var offset = 0
            for _ in 0..<n { offset = ListElements.forward(r.base, offset).next }
            table.pointee.splicePacked(at: slot, offset: 0, removing: offset, adding: 0, countDelta: -n) { _ in }
        } else {
            var end = r.end
            for _ in 0..<n { end = ListElements.backward(r.base, end).start }
            table.pointee.splicePacked(at: slot, offset: end, removing: r.end - end, adding: 0, countDelta: -n) { _ in }
        }
    }

    /// Replaces the element at `p`.
    public func replace(at p: Position, with element: UnsafeRawBufferPointer, limits: ListLimits) {
        let old = ListElements.forward(run(p.node).base, p.offset).next - p.offset
        splice(p, removing: old, inserting: element, countDelta: 0, limits: limits)
    }

    /// Inserts `element` before the one at `p` (or after it). `limits` nil:
    /// a packed run is never converted here (sorted sets convert themselves).
    public func insert(_ element: UnsafeRawBufferPointer, at p: Position, after: Bool, limits: ListLimits?) {
        let offset = after ? ListElements.forward(run(p.node).base, p.offset).next : p.offset
        splice(Position(node: p.node, offset: offset), removing: 0, inserting: element, limits: limits)
    }

    /// Deletes the element at `p`.
    public func delete(at p: Position) {
        let size = ListElements.forward(run(p.node).base, p.offset).next - p.offset
        if isPacked {
            table.pointee.splicePacked(at: slot, offset: p.offset, removing: size, adding: 0, countDelta: -1) { _ in }
        } else {
            table.pointee.mutateContainer(at: slot, as: ListChunks.self) {
                $0.splice(node: p.node, offset: p.offset, removing: size, adding: 0, countDelta: -1) { _ in }
            }
        }
    }

    func splice(_ p: Position, removing: Int, inserting element: UnsafeRawBufferPointer, countDelta: Int = 1, limits: ListLimits?) {
        let size = ListElements.size(element.count)
        if !isPacked {
            table.pointee.mutateContainer(at: slot, as: ListChunks.self) {
                $0.splice(node: p.node, offset: p.offset, removing: removing, adding: size, countDelta: countDelta) { ListElements.write(element, at: $0) }
            }
            return
        }
        table.pointee.splicePacked(at: slot, offset: p.offset, removing: removing, adding: size, countDelta: countDelta) {
            ListElements.write(element, at: $0)
        }
        guard let limits = limits else { return }
        let r = run(0)
        if !limits.allows(bytes: r.end, count: r.count) { convert(limits) }
    }

    /// Packed → chunks (when the one run outgrew the limits).
    func convert(_ limits: ListLimits) {
        let c = ListChunks(limits: limits)
        scan(from: 0, reverse: false) { bytes, _ in c.push(bytes, atFront: false); return true }
        table.pointee.replacePacked(at: slot, with: c)
    }
}

extension ListView: ValueView {
    public static var valueType: ValueType { .list }
    public static func newEntry(key: UnsafeRawBufferPointer, lru: UInt32) -> Entry {
        KeyTable.packedEntry(key: key, type: .list, lru: lru)
    }
}
