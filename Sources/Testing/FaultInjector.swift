import Sync
import Commands
import RESP
#if canImport(Glibc)
import Glibc
#endif

/// The fixture's half of `ServerContext.intercept`: runs on the event-loop
/// thread before every wire command, records it in the command log and
/// applies the faults the test injected. One per ``TestServer``; it never
/// holds a reference back to the server (the server holds it).
final class FaultInjector: Sendable {
    struct PendingFailures {
        var remaining: Int
        let message: String
        let commands: Set<String>?
    }

    struct State {
        /// `failNextCommands` calls, consumed in order.
        var failNext: [PendingFailures] = []
        var failAll: (message: String, commands: Set<String>?)? = nil
        /// Commands still served before `closeConnections(afterCommands:)` fires.
        var closeAfter: Int? = nil
        var latency: (duration: Duration, commands: Set<String>?)? = nil
        /// A ring of the newest `logLimit` entries; `logStart` is the oldest.
        var log: [TestServer.LoggedCommand] = []
        var logStart = 0
    }

    enum Decision {
        case proceed
        case fail(String)
        case closeAll
    }

    let state = Locked(State())
    let logLimit: Int
    /// The fixture's own connections, which are neither logged nor faulted.
    let fixture: FixtureConnections

    init(logLimit: Int, fixture: FixtureConnections) {
        self.logLimit = max(0, logLimit)
        self.fixture = fixture
    }

    static func matches(_ filter: Set<String>?, _ name: String) -> Bool {
        filter.map { $0.contains(name) } ?? true
    }

    static func normalise(_ commands: Set<String>?) -> Set<String>? {
        commands.map { Set($0.map { $0.uppercased() }) }
    }

    /// Called by the dispatcher before every command, on the client's loop.
    func intercept(_ client: Client, _ arguments: Arguments) -> InterceptAction {
        // In-process calls (the fixture's own direct access) run on a private
        // client without a socket, and subscribe streams on connections of
        // the fixture's own; neither is logged nor faulted.
        if client.fd < 0 || fixture.owns(client) { return .proceed }
        let raw = arguments.copyAll()
        let name = String(decoding: raw.first ?? [], as: UTF8.self).uppercased()
        let clientName = logLimit > 0 ? client.server.clients.lock.withLock { _ in client.name } : nil
        let info = TestServer.ClientInfo(id: client.id, address: client.address, name: clientName,
                                         database: client.db, libraryName: nil)
        let (decision, delay) = state.withLock { s -> (Decision, Duration) in
            var decision = Decision.proceed
            var delay = Duration.zero
            if let remaining = s.closeAfter {
                if remaining == 0 {
                    s.closeAfter = nil
                    decision = .closeAll
                } else {
                    s.closeAfter = remaining - 1
                }
            }
            if case .proceed = decision {
                if let latency = s.latency, FaultInjector.matches(latency.commands, name) { delay = latency.duration }
                if let index = s.failNext.firstIndex(where: { FaultInjector.matches($0.commands, name) }) {
                    decision = .fail(s.failNext[index].message)
                    s.failNext[index].remaining -= 1
                    if s.failNext[index].remaining == 0 { s.failNext.remove(at: index) }
                } else if let always = s.failAll, FaultInjector.matches(always.commands, name) {
                    decision = .fail(always.message)
                }
            }
            if logLimit > 0 {
                let injected: TestServer.InjectedFault?
                switch decision {
                case .proceed: injected = nil
                case .fail(let message): injected = .error(message)
                case .closeAll: injected = .connectionClosed
                }
                let entry = TestServer.LoggedCommand(rawArguments: raw, client: info, injected: injected)
                if s.log.count < logLimit {
                    s.log.append(entry)
                } else {
                    s.log[s.logStart] = entry
                    s.logStart = (s.logStart + 1) % logLimit
                }
            }
            return (decision, delay)
        }
        if delay > .zero { FaultInjector.sleep(delay) }
        switch decision {
        case .proceed:
            return .proceed
        case .fail(let message):
            client.fail(message)
            return .handled
        case .closeAll:
            // No reply: the client sees its connection end while it waits.
            // The fixture's subscribe streams stay connected.
            for other in client.server.clients.snapshot() where !fixture.owns(other) { other.kill() }
            client.kill()
            return .handled
        }
    }

    /// The log, oldest first.
    var log: [TestServer.LoggedCommand] {
        state.withLock { s in Array(s.log[s.logStart...] + s.log[..<s.logStart]) }
    }

    func clearLog() {
        state.withLock { s in s.log.removeAll(); s.logStart = 0 }
    }

    /// Blocks the calling (event-loop) thread: the server answers late, as a
    /// busy Redis would.
    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
