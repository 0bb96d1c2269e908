import CSystem
import Synchronization

/// The time every part of the server reads: wall-clock milliseconds for
/// expiry and LRU, monotonic microseconds for measuring durations.
///
/// One instance per server. In `.manual` mode (the test fixture's virtual
/// clock) wall time only moves when `advance(byMilliseconds:)` is called, and
/// everything that depends on time (lazy and active expiry, LRU idle time, LFU
/// decay, TTL replies) follows it.
public final class ServerClock: Sendable {
    public enum Mode: Sendable { case real, manual }

    public let mode: Mode
    /// Manual mode: the current wall time in ms. Real mode: unused.
    private let manualMilliseconds: Atomic<Int64>

    public init(mode: Mode = .real, startingAt milliseconds: Int64? = nil) {
        self.mode = mode
        self.manualMilliseconds = Atomic(milliseconds ?? cs_wall_us() / 1000)
    }

    /// Wall-clock time in milliseconds since the epoch.
    @inlinable public var milliseconds: Int64 {
        mode == .real ? cs_wall_us() / 1000 : manualNow()
    }

    /// Wall-clock time in microseconds.
    public var microseconds: Int64 {
        mode == .real ? cs_wall_us() : manualNow() * 1000
    }

    @usableFromInline func manualNow() -> Int64 { manualMilliseconds.load(ordering: .acquiring) }

    public func advance(byMilliseconds delta: Int64) {
        precondition(mode == .manual, "only a manual clock can be advanced")
        manualMilliseconds.add(delta, ordering: .releasing)
    }

    /// Monotonic microseconds, for durations (slowlog, cycle budgets). Always real.
    @inlinable public static var monotonicMicroseconds: Int64 { cs_monotonic_us() }
}
