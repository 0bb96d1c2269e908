/// A growable list of file descriptors in memory the loop owns: the loop's
/// list of connections to flush is appended to by every request and
/// emptied every turn. As an `Array` it cost a uniqueness check per append
/// and a generic `replaceSubrange` per emptying, about 110 instructions
/// per request at pipeline 1 (callgrind).
///
/// Not copyable: one owner frees the storage. Used by one thread only.
struct FdList: ~Copyable {
    private var storage: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    var isEmpty: Bool { count == 0 }

    subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < count, "FdList index out of range")
        return storage[i]
    }

    mutating func append(_ fd: Int32) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<Int32>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = bigger
            capacity *= 2
        }
        storage[count] = fd
        count += 1
    }

    mutating func removeAll() { count = 0 }
}
