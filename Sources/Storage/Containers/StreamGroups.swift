/// A consumer group of a stream: where it has read to, and its pending
/// entries list (PEL): entries delivered to a consumer and not yet
/// acknowledged, by ID, each with its consumer, last delivery time and
/// delivery count. Only with the stream's shard locked.
public final class StreamGroup {
    public var lastID: StreamID
    /// Entries the group has read, -1 when unknown (Redis's entries_read).
    public var entriesRead: Int64
    /// PEL in ID order (`pendingIDs`) and by ID (`pending`).
    public private(set) var pendingIDs: [StreamID] = []
    public private(set) var pending: [StreamID: PendingEntry] = [:]
    public var consumers: [[UInt8]: StreamConsumer] = [:]

    public struct PendingEntry {
        public var consumer: [UInt8]
        public var deliveryTimeMs: Int64
        public var deliveryCount: Int
    }

    public init(lastID: StreamID, entriesRead: Int64) { self.lastID = lastID; self.entriesRead = entriesRead }

    /// Consumers in name order (as Redis lists them, from its radix tree).
    public var consumersByName: [StreamConsumer] {
        consumers.values.sorted { a, b in a.name.lexicographicallyPrecedes(b.name) }
    }

    static func insertSorted(_ id: StreamID, into ids: inout [StreamID]) {
        if ids.last.map({ $0 < id }) ?? true { ids.append(id); return }
        var lo = 0, hi = ids.count
        while lo < hi { let mid = (lo + hi) / 2; if ids[mid] < id { lo = mid + 1 } else { hi = mid } }
        if lo < ids.count && ids[lo] == id { return }
        ids.insert(id, at: lo)
    }

    static func removeSorted(_ id: StreamID, from ids: inout [StreamID]) {
        var lo = 0, hi = ids.count
        while lo < hi { let mid = (lo + hi) / 2; if ids[mid] < id { lo = mid + 1 } else { hi = mid } }
        if lo < ids.count && ids[lo] == id { ids.remove(at: lo) }
    }

    /// Records a delivery of `id` to `consumer` (moving it from another
    /// consumer if pending there), delivery count 1 or incremented.
    public func deliver(_ id: StreamID, to consumer: StreamConsumer, nowMs: Int64, count: Int? = nil) {
        if let old = pending[id], old.consumer != consumer.name {
            if let previous = consumers[old.consumer] { StreamGroup.removeSorted(id, from: &previous.pendingIDs) }
        }
        if pending[id] == nil { StreamGroup.insertSorted(id, into: &pendingIDs) }
        pending[id] = PendingEntry(consumer: consumer.name, deliveryTimeMs: nowMs, deliveryCount: count ?? 1)
        StreamGroup.insertSorted(id, into: &consumer.pendingIDs)
    }

    /// Acknowledges `id`; returns whether it was pending.
    @discardableResult
    public func acknowledge(_ id: StreamID) -> Bool {
        guard let entry = pending.removeValue(forKey: id) else { return false }
        StreamGroup.removeSorted(id, from: &pendingIDs)
        if let c = consumers[entry.consumer] { StreamGroup.removeSorted(id, from: &c.pendingIDs) }
        return true
    }

    /// Updates a pending entry in place (history reads, XCLAIM).
    public func touch(_ id: StreamID, nowMs: Int64, deliveryCount: Int? = nil) {
        guard var entry = pending[id] else { return }
        entry.deliveryTimeMs = nowMs
        entry.deliveryCount = deliveryCount ?? entry.deliveryCount + 1
        pending[id] = entry
    }

    /// Removes a consumer and its pending entries; returns how many it had.
    public func removeConsumer(_ name: [UInt8]) -> Int? {
        guard let c = consumers.removeValue(forKey: name) else { return nil }
        for id in c.pendingIDs {
            pending[id] = nil
            StreamGroup.removeSorted(id, from: &pendingIDs)
        }
        return c.pendingIDs.count
    }

    func copy() -> StreamGroup {
        let g = StreamGroup(lastID: lastID, entriesRead: entriesRead)
        g.pendingIDs = pendingIDs
        g.pending = pending
        for (name, c) in consumers {
            let d = StreamConsumer(name: name, seenTimeMs: c.seenTimeMs)
            d.pendingIDs = c.pendingIDs
            g.consumers[name] = d
        }
        return g
    }
}

public final class StreamConsumer {
    public let name: [UInt8]
    public var seenTimeMs: Int64
    public var pendingIDs: [StreamID] = []
    public init(name: [UInt8], seenTimeMs: Int64) { self.name = name; self.seenTimeMs = seenTimeMs }
}

extension StreamValue {
    /// Redis's `streamRangeHasTombstones`: whether an entry in `start…`
    /// may have been deleted (the stream's max deleted ID lies in it).
    public func rangeHasTombstones(from start: StreamID) -> Bool {
        if length == 0 || maxDeletedID == .zero { return false }
        if firstID > maxDeletedID { return false }
        return start <= maxDeletedID
    }

    /// Redis's `streamEstimateDistanceFromFirstEverEntry`: how many entries
    /// were added up to `id`, when that can be known (else -1).
    public func entriesAdded(through id: StreamID) -> Int64 {
        if entriesAdded == 0 { return 0 }
        if length == 0 && id <= lastID { return Int64(entriesAdded) }
        if id == lastID { return Int64(entriesAdded) }
        if id > lastID { return -1 }
        let first = firstID
        if maxDeletedID == .zero || maxDeletedID < first {
            if id < first { return Int64(entriesAdded) - Int64(length) }
            if id == first { return Int64(entriesAdded) - Int64(length) + 1 }
        }
        return -1
    }

    /// A group's read position advanced to `id` (XREADGROUP `>`).
    public func groupRead(_ g: StreamGroup, upTo id: StreamID) {
        if g.entriesRead != -1 && !rangeHasTombstones(from: id) {
            g.entriesRead += 1
        } else if entriesAdded != 0 {
            g.entriesRead = entriesAdded(through: id)
        }
        g.lastID = id
    }

    /// XINFO's lag of a group (nil when it cannot be known).
    public func lag(of g: StreamGroup) -> Int64? {
        if entriesAdded == 0 { return 0 }
        if g.entriesRead != -1 && !rangeHasTombstones(from: g.lastID) { return Int64(entriesAdded) - g.entriesRead }
        let read = entriesAdded(through: g.lastID)
        return read == -1 ? nil : Int64(entriesAdded) - read
    }
}
