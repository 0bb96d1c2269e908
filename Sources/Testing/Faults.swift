import Swiftlet

/// Fault injection. Faults apply to commands arriving over the wire, before
/// they run; direct-access calls are never affected.
///
/// Every wire command counts, including the handshake a client library sends
/// when it connects (`HELLO`, `AUTH`, `CLIENT SETINFO`, `SELECT`); pass
/// `commands:` to target only some command names (case-insensitive, first
/// word only: `["GET", "SET"]`).
extension TestServer {
    /// Answers the next `count` matching wire commands with `-<message>`
    /// instead of running them; later commands run normally again.
    ///
    /// `message` is sent as the error text, so start it with a Redis error
    /// code: `"LOADING Redis is loading the dataset in memory"`,
    /// `"READONLY You can't write against a read only replica."`, `"ERR boom"`.
    ///
    /// Several calls queue up: each command consumes the oldest pending
    /// failure that matches it.
    public func failNextCommands(_ count: Int, withError message: String, commands: Set<String>? = nil) async {
        precondition(count >= 0, "failNextCommands: count must not be negative")
        guard count > 0 else { return }
        let entry = FaultInjector.PendingFailures(remaining: count, message: TestServer.errorText(message),
                                                  commands: FaultInjector.normalise(commands))
        faults.state.withLock { $0.failNext.append(entry) }
    }

    /// Answers every matching wire command with `-<message>` until
    /// ``clearFailures()`` (a server that is down for writes, say:
    /// `failAllCommands(withError: "READONLY …", commands: ["SET", "DEL"])`).
    public func failAllCommands(withError message: String, commands: Set<String>? = nil) async {
        let text = TestServer.errorText(message)
        let filter = FaultInjector.normalise(commands)
        faults.state.withLock { $0.failAll = (text, filter) }
    }

    /// Removes every injected fault: pending and permanent errors, a pending
    /// ``closeConnections(afterCommands:)`` and added latency.
    public func clearFailures() async {
        faults.state.withLock { s in
            s.failNext.removeAll()
            s.failAll = nil
            s.closeAfter = nil
            s.latency = nil
        }
    }

    /// Closes every client connection now, as a network failure would
    /// (replies already queued are written first). The server keeps running
    /// and accepts new connections. The connections behind the fixture's own
    /// ``subscribe(to:)`` streams are left open.
    public func dropAllConnections() async {
        for client in server.context.clients.snapshot() where !fixture.owns(client) { client.kill() }
    }

    /// Serves the next `count` wire commands normally; when the one after
    /// them arrives it is not run and gets no reply, and every connection is
    /// closed (the client sees the connection end while waiting for an answer),
    /// except those behind ``subscribe(to:)`` streams. New connections are
    /// accepted afterwards. `0` closes connections at the
    /// very next command.
    public func closeConnections(afterCommands count: Int) async {
        precondition(count >= 0, "closeConnections(afterCommands:): count must not be negative")
        faults.state.withLock { $0.closeAfter = count }
    }

    /// Delays every matching wire command by `latency` before it runs;
    /// `.zero` removes the delay. The delay holds the server's event loop,
    /// so other clients wait too, as with a slow command on a real Redis.
    /// This is real time (for client timeouts), not the virtual clock.
    public func setLatency(_ latency: Duration, commands: Set<String>? = nil) async {
        precondition(latency >= .zero, "setLatency: latency must not be negative")
        let filter = FaultInjector.normalise(commands)
        faults.state.withLock { $0.latency = latency == .zero ? nil : (latency, filter) }
    }

    /// A non-empty, one-line error text (`ERR` if none was given).
    static func errorText(_ message: String) -> String {
        var text = message
        if text.hasPrefix("-") { text.removeFirst() }
        return text.isEmpty ? "ERR" : text
    }
}

// MARK: - Observation

extension TestServer {
    /// A connected client, as `CLIENT LIST` shows it.
    public struct ClientInfo: Sendable, Hashable, CustomStringConvertible {
        /// `CLIENT ID`.
        public let id: Int
        /// The peer address, `127.0.0.1:53412`.
        public let address: String
        /// `CLIENT SETNAME`, if set.
        public let name: String?
        /// The database the client had selected.
        public let database: Int
        /// `CLIENT SETINFO LIB-NAME`, if the client library sent it (nil in the command log).
        public let libraryName: String?

        public var description: String {
            "client \(id) \(address)" + (name.map { " name=\($0)" } ?? "") + " db=\(database)"
        }
    }

    /// A fault the fixture applied to a logged command.
    public enum InjectedFault: Sendable, Hashable {
        /// The command was answered with this error instead of running.
        case error(String)
        /// The command was dropped and connections closed (``TestServer/closeConnections(afterCommands:)``).
        case connectionClosed
    }

    /// One command received over the wire.
    public struct LoggedCommand: Sendable, Hashable, CustomStringConvertible {
        /// The arguments exactly as sent.
        public let rawArguments: [[UInt8]]
        /// Who sent it; `database` is the one selected when it arrived.
        public let client: ClientInfo
        /// What the fixture did instead of running it, if anything.
        public let injected: InjectedFault?

        /// The arguments as UTF-8 text (invalid sequences replaced).
        public var arguments: [String] { rawArguments.map { String(decoding: $0, as: UTF8.self) } }

        /// The command name, upper-cased (`"SET"`).
        public var name: String { String(decoding: rawArguments.first ?? [], as: UTF8.self).uppercased() }

        public var description: String {
            var text = TestServer.render(rawArguments) + "  (\(client))"
            switch injected {
            case .error(let message)?: text += " -> injected error \(message)"
            case .connectionClosed?: text += " -> connection closed"
            case nil: break
            }
            return text
        }
    }

    /// The newest wire commands, oldest first (at most ``Options/commandLogLimit``),
    /// including ones answered by an injected fault. Direct-access calls and
    /// the commands of the fixture's own ``subscribe(to:)`` connections are
    /// not included.
    ///
    /// ```swift
    /// let sets = await server.commandLog.filter { $0.name == "SET" }
    /// #expect(sets.map(\.arguments) == [["SET", "user:1", "{…}", "EX", "60"]])
    /// ```
    public var commandLog: [LoggedCommand] {
        get async { faults.log }
    }

    /// Empties ``commandLog``.
    public func clearCommandLog() async {
        faults.clearLog()
    }

    /// The clients connected over the wire, by id. The fixture's own
    /// ``subscribe(to:)`` connections are not listed.
    public var connectedClients: [ClientInfo] {
        get async {
            let registry = server.context.clients
            let clients = registry.snapshot().filter { !fixture.owns($0) }
            // `name` and `libName` are guarded by the registry lock.
            return registry.lock.withLock { _ in
                clients.map {
                    ClientInfo(id: $0.id, address: $0.address, name: $0.name,
                               database: $0.publishedDb.load(ordering: .relaxed), libraryName: $0.libName)
                }
            }
        }
    }
}
