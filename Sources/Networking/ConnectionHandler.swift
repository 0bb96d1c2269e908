import RESP

/// What the event loop does with a request, as decided by the handler.
public enum ExecutionResult {
    /// Done; parse the next request.
    case done
    /// Not run yet (paused): keep the request and retry later.
    case wait
    /// Run, but its reply comes later (a blocking command): run nothing
    /// more for this connection until `deliver` says so.
    case blocked
    /// Done; write what is queued and close the connection.
    case close
}

/// The server side of a connection, as the networking layer sees it. The
/// event loop is generic over its handler, so calls are direct (no
/// existentials on the hot path). The networking layer never knows what a
/// command means: it hands over argument vectors.
public protocol ConnectionHandler: AnyObject {
    associatedtype Session: AnyObject

    /// A connection was accepted on loop `loop`. Return nil to refuse it,
    /// after writing the refusal into `connection.output`.
    func open(_ connection: Connection, loop: Int) -> Session?
    /// Runs one complete request.
    func execute(_ session: Session, _ arguments: Arguments, _ connection: Connection) -> ExecutionResult
    /// Pipelining hints, in two calls so a request's key is hashed once for
    /// both stages: the hash of `key` when `command` (a request's first
    /// argument) takes it as its first key, else nil; then bring that key's
    /// slot (stage 1) or entry (stage 2) into cache before the request runs.
    func prefetchHash(_ session: Session, command: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> UInt64?
    func prefetch(_ session: Session, hash: UInt64, stage: Int)
    /// Writes a message another client produced (a pub/sub message, an
    /// invalidation, the end of a blocked command) into this connection's
    /// output; runs on its own loop. Returns true when a blocked connection
    /// may run its next requests.
    func deliver(_ session: Session, _ connection: Connection, _ payload: AnyObject) -> Bool
    /// A protocol error is about to be answered and the connection closed.
    func protocolError(_ session: Session, _ error: ProtocolError)
    /// The connection is gone.
    func closed(_ session: Session, _ connection: Connection)
    /// Called once per batch of input, before its first request.
    func beginBatch(loop: Int)
    /// Called after each batch with the bytes read and written, for statistics.
    func endBatch(_ session: Session, _ connection: Connection, read: Int, written: Int)
    /// Output written outside a batch (delivered messages, a socket that
    /// became writable again), for statistics.
    func wrote(_ session: Session, _ connection: Connection, bytes: Int)
    /// Periodic work (`hz` times a second) on loop `loop`.
    func tick(loop: Int)
    /// Called before the loop sleeps; returns the longest it may sleep in ms (-1: no limit).
    func beforeSleep(loop: Int) -> Int
}
