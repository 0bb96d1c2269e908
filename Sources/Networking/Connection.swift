import CSystem
import RESP
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection's bytes: the input buffer the parser reads in place,
/// the parser's resume state, and the reply buffer commands write into.
///
/// Owned and touched only by its event loop's thread.
public final class Connection {
    public let fd: Int32
    /// Unique for the life of the process (fds are reused, ids are not).
    public let id: Int
    public let peerAddress: String
    public let localAddress: String
    public let output: ReplyBuffer
    @exclusivity(unchecked) @usableFromInline var _parser: RequestParser = RequestParser()
    @inlinable public var parser: RequestParser {
        @inline(__always) get { _parser }
        @inline(__always) set { _parser = newValue }
    }
    /// The length of the request at `inputStart` when the turn's read pass
    /// already parsed it (its arguments are in `parser`), else 0; see
    /// `EventLoop.noteInput`. Invariant: only `runRequests` consumes input,
    /// and it takes this request first; the arguments are offsets from the
    /// request's start, so compaction or a move of the buffer keeps them right.
    @exclusivity(unchecked) var parsedAhead = 0
    /// The handler's session, retained while the connection is open.
    @exclusivity(unchecked) var session: Unmanaged<AnyObject>? = nil

    /// Input bytes `[inputStart, inputEnd)` are unparsed.
    @exclusivity(unchecked) var input: UnsafeMutableRawPointer
    @exclusivity(unchecked) @usableFromInline var inputCapacity: Int
    /// The connection's own input buffer while `input` is borrowed (see
    /// `borrowInput`); nil otherwise.
    @exclusivity(unchecked) @usableFromInline var ownInput: UnsafeMutableRawPointer? = nil
    @exclusivity(unchecked) @usableFromInline var ownInputCapacity = 0
    @exclusivity(unchecked) @usableFromInline var inputStart = 0
    @exclusivity(unchecked) @usableFromInline var inputEnd = 0

    /// Requests are not parsed past a request that asked to close (QUIT, protocol error).
    @exclusivity(unchecked) @usableFromInline var _closeAfterReply: Bool = false
    @inlinable public var closeAfterReply: Bool {
        @inline(__always) get { _closeAfterReply }
        @inline(__always) set { _closeAfterReply = newValue }
    }
    @exclusivity(unchecked) var writeArmed = false
    /// Its ring receive was cancelled while its command ran long
    /// (`serveWhileBusy`): what it sends meanwhile stays in the kernel, as
    /// in Redis, which does not read a client whose script runs. Asked
    /// again after the command, once the cancelled receive has ended
    /// (`receiveEnded`).
    @exclusivity(unchecked) var receiveStopped = false
    @exclusivity(unchecked) var receiveEnded = false
    @exclusivity(unchecked) var closed = false
    /// Closed because a read found the peer gone (or failing): that read
    /// counts in INFO's total_reads_processed, as Redis's does.
    @exclusivity(unchecked) public internal(set) var closedByPeer = false
    /// Already listed in the loop's `pendingFlush`.
    @exclusivity(unchecked) var flushScheduled = false
    /// Ran a blocking command whose reply has not come: input accumulates unprocessed.
    @exclusivity(unchecked) var blocked = false
    /// A request waiting for a condition (CLIENT PAUSE): retried each loop turn.
    @exclusivity(unchecked) var waiting = false
    /// Whether the client may send large requests (see `RequestParser.authenticated`).
    @exclusivity(unchecked) @usableFromInline var _authenticated: Bool = true
    @inlinable public var authenticated: Bool {
        @inline(__always) get { _authenticated }
        @inline(__always) set { _authenticated = newValue }
    }

    /// Set while requests wait because too many replies are unwritten.
    @exclusivity(unchecked) var outputPaused = false

    static let initialInput = 16 * 1024

    /// A client that sends requests but does not read its replies must not
    /// make the server's memory grow without bound. Once this many reply
    /// bytes are unwritten, the loop stops running that client's requests
    /// (it keeps reading them, so a client that writes its whole pipeline
    /// before reading cannot deadlock; `client-query-buffer-limit` bounds
    /// that input), and resumes when the client has read all but
    /// `outputResumeBytes`. Redis has no such pause: with its default
    /// unlimited `client-output-buffer-limit normal`, the buffer just grows.
    /// 32 MB matches the default pubsub hard limit: far above what any
    /// well-behaved pipeline keeps unread, so throughput never sees it.
    static let outputPauseBytes = 32 * 1024 * 1024
    static let outputResumeBytes = 4 * 1024 * 1024

    init(fd: Int32, id: Int, peer: String, local: String) {
        self.fd = fd
        self.id = id
        self.peerAddress = peer
        self.localAddress = local
        output = ReplyBuffer()
        inputCapacity = Connection.initialInput
        input = .allocate(byteCount: inputCapacity, alignment: 16)
    }

    deinit {
        (ownInput ?? input).deallocate()
        parser.deallocate()
    }

    /// Unparsed input bytes (CLIENT LIST `qbuf`).
    @inlinable public var queryBufferLength: Int { inputEnd - inputStart }
    @inlinable public var queryBufferFree: Int { inputCapacity - inputEnd }
    /// Bytes this connection holds in buffers (counted in `used_memory`).
    /// A reply buffer past 1 MB counts the bytes written into it, not its
    /// capacity: it grows by doubling, and the untouched top half is never
    /// resident. Counting capacity made a slow subscriber holding 32 MB
    /// look like 64 MB to eviction, which then emptied the keyspace under
    /// a 64 MB maxmemory (Redis counts the reply bytes it holds).
    @inlinable public var bufferBytes: Int {
        (ownInput == nil ? inputCapacity : ownInputCapacity) + (output.capacity <= 1 << 20 ? output.capacity : output.count)
    }

    /// Lends the connection `count` received bytes at `bytes` (a receive
    /// buffer of `capacity` bytes the loop owns) as its input, so requests
    /// are parsed where the kernel put them instead of being copied first.
    /// Only while the input is empty. Invariant: the loop calls
    /// `returnInput` before the buffer is reused, at the end of the turn;
    /// anything that would grow or free the input returns it first.
    func borrowInput(_ bytes: UnsafeMutableRawPointer, count: Int, capacity: Int) {
        ownInput = input
        ownInputCapacity = inputCapacity
        input = bytes
        inputCapacity = capacity
        inputStart = 0
        inputEnd = count
    }

    /// Goes back to the connection's own input buffer, with the bytes not
    /// parsed yet (a partial request) copied into it.
    func returnInput() {
        guard let own = ownInput else { return }
        let unparsed = input + inputStart, live = inputEnd - inputStart
        input = own
        inputCapacity = ownInputCapacity
        inputStart = 0
        inputEnd = 0
        ownInput = nil
        guard live > 0 else { return }
        reserveInput(live)
        input.copyMemory(from: unparsed, byteCount: live)
        inputEnd = live
    }

    /// Makes room for at least `needed` more bytes after `inputEnd`.
    func reserveInput(_ needed: Int) {
        if ownInput != nil { returnInput() }
        if inputStart > 0 && (inputStart == inputEnd || inputCapacity - inputEnd < needed) {
            let live = inputEnd - inputStart
            if live > 0 { input.copyMemory(from: input + inputStart, byteCount: live) }
            inputStart = 0
            inputEnd = live
        }
        if inputCapacity - inputEnd >= needed { return }
        var capacity = inputCapacity * 2
        while capacity - inputEnd < needed { capacity *= 2 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        fresh.copyMemory(from: input, byteCount: inputEnd)
        input.deallocate()
        input = fresh
        inputCapacity = capacity
    }

    /// Gives back a grown input buffer once it is empty (buffers count in
    /// used_memory, and so toward maxmemory, as Redis's query buffers do).
    /// Up to twice the initial size is kept: a pipeline of 16 requests of
    /// 1 KiB fits, so steady pipelined traffic does not reallocate per batch.
    func shrinkInputIfIdle() {
        if ownInput != nil { return }  // the loop returns borrowed input at the end of the turn
        if inputStart == inputEnd {
            inputStart = 0; inputEnd = 0
            if inputCapacity > 2 * Connection.initialInput {
                input.deallocate()
                inputCapacity = Connection.initialInput
                input = .allocate(byteCount: inputCapacity, alignment: 16)
            }
        }
    }
}
