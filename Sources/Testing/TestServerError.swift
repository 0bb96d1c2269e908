/// An error thrown by ``TestServer``: a command the server rejected, a
/// configuration it refused, a port it could not bind, or a subscription
/// that could not connect.
///
/// `description` is a complete sentence meant for a test failure message:
///
/// ```swift
/// do {
///     try await server.increment("name")
/// } catch let error as TestServerError where error.kind == .commandFailed {
///     print(error.serverError ?? "")  // "ERR value is not an integer or out of range"
/// }
/// ```
public struct TestServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for matching in `catch` clauses.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The server answered a direct-access call with an error reply
        /// (`WRONGTYPE …`, `ERR …`); ``TestServerError/serverError`` holds it.
        public static let commandFailed = Kind(name: "commandFailed")
        /// ``TestServer/Options`` held a directive or value the server refused.
        public static let invalidConfiguration = Kind(name: "invalidConfiguration")
        /// The server could not listen (the port is taken, the address is not local).
        public static let startFailed = Kind(name: "startFailed")
        /// An argument the fixture cannot express to the server (a TTL that
        /// is not a positive whole number of milliseconds, a database out of range).
        public static let invalidArgument = Kind(name: "invalidArgument")
        /// The feature needs a part of Swiftlet that does not exist. No
        /// method throws it at present; it is kept so `catch` clauses that
        /// name it still compile.
        public static let notSupported = Kind(name: "notSupported")
        /// ``TestServer/subscribe(to:)`` could not connect to the server, or
        /// the connection ended before the server confirmed the subscription
        /// (the server is stopped or restarting).
        public static let connectionFailed = Kind(name: "connectionFailed")
        /// The server's reply did not have the shape the helper expects.
        public static let unexpectedReply = Kind(name: "unexpectedReply")
        public var description: String { name }
    }

    public let kind: Kind
    /// A sentence saying what failed and why.
    public let message: String
    /// For ``Kind/commandFailed``: the server's error reply, without the
    /// leading `-` (for example `WRONGTYPE Operation against a key holding the wrong kind of value`).
    public let serverError: String?

    public init(_ kind: Kind, _ message: String, serverError: String? = nil) {
        self.kind = kind
        self.message = message
        self.serverError = serverError
    }

    public var description: String { message }
}
