import RESP
import Storage
import Synchronization

/// One connected client's session: what Redis keeps in `struct client`.
///
/// Threading: a client is driven by exactly one event loop. Fields other
/// loops may read (CLIENT LIST, CLIENT KILL) are either atomics or guarded
/// by the registry lock (`name`, `libName`, `libVersion`). Plain stored
/// properties are `@exclusivity(unchecked)` for the reason given on `ReplyBuffer`.
public final class Client: @unchecked Sendable {
    public let id: Int
    public let server: ServerContext
    public let loop: LoopContext
    /// Where replies go; drained by the networking layer.
    public let reply: ReplyBuffer
    public let address: String
    public let localAddress: String
    public let fd: Int32
    public let createdAtMs: Int64

    /// Selected database.
    @exclusivity(unchecked) @usableFromInline var _db: Int = 0
    @inlinable public var db: Int {
        @inline(__always) get { _db }
        @inline(__always) set { _db = newValue }
    }
    /// False until AUTH succeeds when a password is required.
    @exclusivity(unchecked) @usableFromInline var _authenticated: Bool = false
    @inlinable public var authenticated: Bool {
        @inline(__always) get { _authenticated }
        @inline(__always) set { _authenticated = newValue }
    }
    @exclusivity(unchecked) public var user: String = "default"

    public enum ReplyMode { case on, off, skipNext, skipping }
    /// CLIENT REPLY state. `skipNext` turns into `skipping` for one command.
    @exclusivity(unchecked) @usableFromInline var _replyMode: ReplyMode = .on
    @inlinable public var replyMode: ReplyMode {
        @inline(__always) get { _replyMode }
        @inline(__always) set { _replyMode = newValue }
    }
    /// Set by QUIT and protocol errors: close once the queued replies are written.
    @exclusivity(unchecked) @usableFromInline var _closeAfterReply: Bool = false
    @inlinable public var closeAfterReply: Bool {
        @inline(__always) get { _closeAfterReply }
        @inline(__always) set { _closeAfterReply = newValue }
    }
    /// The last command this client named (see RecentCommand).
    @exclusivity(unchecked) var recentCommand = RecentCommand()
    /// The size of the entry this client's last key lookup found: a
    /// pipelined client's keys tend to hold values of one size, so the
    /// entry prefetch for its next request brings in that many bytes.
    @exclusivity(unchecked) public var entrySizeHint: Int = 0

    /// For a request still in the input buffer: the hash of `key` when
    /// `command` takes a key first (and so is worth prefetching), else nil.
    /// PUBLISH's channel, ECHO's text or CONFIG's subcommand are not keys:
    /// hashing them and locking a shard to prefetch a slot cost PUBLISH two
    /// hashes and two lock round trips each.
    public func prefetchHash(_ command: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> UInt64? {
        guard let spec = recentCommand.lookup(command, in: server.commands),
              spec._withUnsafeGuaranteedRef({ $0.firstKey == 1 }) else { return nil }
        return server.withKeyspace { $0.hash(key) }
    }

    /// Pipelining hint: brings the slot (stage 1) or the entry (stage 2) of
    /// the key with `hash` (from `prefetchHash`) into cache.
    public func prefetch(hash: UInt64, stage: Int) {
        server.withKeyspace { keyspace in
            if stage == 1 {
                keyspace.prefetchSlot(db: db, hash: hash)
            } else {
                keyspace.prefetchEntry(db: db, hash: hash, bytes: entrySizeHint)
            }
        }
    }
    /// Channels + patterns + shard channels subscribed (pub/sub issue).
    @exclusivity(unchecked) @usableFromInline var _subscriptionCount: Int = 0
    @inlinable public var subscriptionCount: Int {
        @inline(__always) get { _subscriptionCount }
        @inline(__always) set { _subscriptionCount = newValue }
    }
    /// RESP2 clients with subscriptions may only run (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET.
    @inlinable public var inRESP2SubscribedMode: Bool { subscriptionCount > 0 && reply.protocolVersion == 2 }
    /// Per-kind subscription counts for CLIENT LIST (`sub=`, `psub=`, `ssub=`).
    @exclusivity(unchecked) public var channelCount = 0
    @exclusivity(unchecked) public var patternCount = 0
    @exclusivity(unchecked) public var shardChannelCount = 0
    /// MULTI's queue; nil outside a transaction (see Transactions/).
    @exclusivity(unchecked) public var transaction: Transaction? = nil
    /// Commands queued in MULTI, -1 outside a transaction (`multi=` in CLIENT LIST).
    public let multiCount = Atomic<Int>(-1)
    /// Set (by any thread, under the key's shard lock) when a WATCHed key changes.
    public let watchFlag = WatchFlag()
    /// The keys this client WATCHes (each registered in its shard's `interest`).
    @exclusivity(unchecked) public var watchedKeys: [WatchedKey] = []
    /// Client-side caching mode (`TrackingOptions` bits); read by writers on
    /// other loops deciding whom to invalidate, hence atomic.
    public let trackingOptions = Atomic<Int>(0)
    /// CLIENT TRACKING REDIRECT target (0: none), read by writers on other loops.
    public let trackingRedirectId = Atomic<Int>(0)
    /// BCAST prefixes (for TRACKINGINFO and to leave the prefix table).
    @exclusivity(unchecked) public var trackingPrefixes: [[UInt8]] = []
    /// CLIENT CACHING YES/NO given for the next command (or transaction).
    @exclusivity(unchecked) public var trackingCachingGiven = false
    /// When the output first went over the soft limit (0: not over).
    @exclusivity(unchecked) public var softLimitSinceMs: Int64 = 0
    /// Buffer bytes last added to `server.clientBufferBytes` for this client (networking glue).
    @exclusivity(unchecked) @usableFromInline var _publishedBufferBytes: Int = 0
    @inlinable public var publishedBufferBytes: Int {
        @inline(__always) get { _publishedBufferBytes }
        @inline(__always) set { _publishedBufferBytes = newValue }
    }
    /// Set by `fail`: the current command replied with an error.
    @exclusivity(unchecked) @usableFromInline var _commandFailed: Bool = false
    @inlinable public var commandFailed: Bool {
        @inline(__always) get { _commandFailed }
        @inline(__always) set { _commandFailed = newValue }
    }
    /// CLIENT NO-EVICT.
    @exclusivity(unchecked) @usableFromInline var _noEvict: Bool = false
    @inlinable public var noEvict: Bool {
        @inline(__always) get { _noEvict }
        @inline(__always) set { _noEvict = newValue }
    }

    /// MONITOR mode; read by CLIENT LIST on any loop.
    public let monitorMode = Atomic<Bool>(false)
    /// Held by CLIENT PAUSE when last seen (stale once the pause is over).
    public let waitingForPause = Atomic<Bool>(false)

    /// Set where a blocking command must time out at once instead of
    /// blocking (EXEC, in-process calls, the serving proxy), Redis's CLIENT_DENY_BLOCKING.
    @exclusivity(unchecked) public var denyBlocking = false
    /// The client scripts run their commands as (Redis's CLIENT_SCRIPT).
    @exclusivity(unchecked) public var isScriptClient = false
    /// Set while this client's EVAL or EXEC is the server's one script run
    /// (`ScriptLane.enter`): a script it runs serves the loop's other
    /// clients once busy, all but this one.
    @exclusivity(unchecked) var holdsScriptLane = false
    /// The EVAL or FCALL held to run again has shown in MONITOR already.
    @exclusivity(unchecked) var monitorFedForRetry = false
    /// The wait of a blocking command in progress (see Blocking.swift).
    /// Read after every command by the server module: a plain public
    /// stored property gets a dynamic exclusivity check there (the
    /// attribute does not cross modules), so access goes through accessors
    /// inlined from here.
    @exclusivity(unchecked) @usableFromInline var _blockedWaiter: BlockedWaiter? = nil
    @inlinable public var blockedWaiter: BlockedWaiter? {
        @inline(__always) get { _blockedWaiter }
        @inline(__always) set { _blockedWaiter = newValue }
    }
    /// Published for CLIENT LIST (`b` flag) on other threads.
    public let isBlocked = Atomic<Bool>(false)

    /// Guarded by `server.clients.lock`.
    @exclusivity(unchecked) public var name: String? = nil
    @exclusivity(unchecked) public var libName: String? = nil
    @exclusivity(unchecked) public var libVersion: String? = nil

    /// Last time the client sent a command (ms, server clock), for `idle=` and `timeout`.
    public let lastInteractionMs = Atomic<Int64>(0)
    /// `CommandSpec.id` of the last command, -1 before the first (`cmd=` in CLIENT LIST).
    public let lastCommandId = Atomic<Int>(-1)
    /// Published copy of `db` for CLIENT LIST on other threads.
    public let publishedDb = Atomic<Int>(0)
    public let publishedResp = Atomic<Int>(2)
    /// Input/output buffer sizes published by the networking layer after each batch.
    public let queryBufferBytes = Atomic<Int>(0)
    public let queryBufferFree = Atomic<Int>(0)
    public let outputBufferBytes = Atomic<Int>(0)
    /// Set when the client must be closed (CLIENT KILL, SHUTDOWN); checked by its loop.
    public let killed = Atomic<Bool>(false)

    /// Asks the owning loop to close this connection (safe from any thread).
    public var requestClose: @Sendable () -> Void = {}

    public init(id: Int, server: ServerContext, loop: LoopContext, reply: ReplyBuffer, fd: Int32,
                address: String, localAddress: String, isLocal: Bool) {
        self.id = id
        self.isLocal = isLocal
        self.server = server
        self.loop = loop
        self.reply = reply
        self.fd = fd
        self.address = address
        self.localAddress = localAddress
        self.createdAtMs = server.clock.milliseconds
        // As in Redis: a client that connects while the default user needs
        // no password stays authenticated even if a password is set later.
        self.authenticated = server.access.connectsAuthenticated
        lastInteractionMs.store(createdAtMs, ordering: .relaxed)
    }

    /// Redis's notion of a local peer (protected mode, enable-*-command
    /// local), decided by the network layer when the client connected.
    public let isLocal: Bool

    public var protocolVersion: Int {
        get { reply.protocolVersion }
        set { reply.protocolVersion = newValue; publishedResp.store(newValue, ordering: .relaxed) }
    }

    public func select(_ db: Int) {
        self.db = db
        publishedDb.store(db, ordering: .relaxed)
    }
}

extension Client {
    /// `client-output-buffer-limit` (`limits`: this client's class, pubsub
    /// when it has subscriptions): over the hard limit, or over the soft limit for
    /// longer than its seconds. Kept in this module because fields marked
    /// `@exclusivity(unchecked)` are checked anyway when another module
    /// touches them directly.
    ///
    /// As in Redis, the first 16 KB of unwritten output (Redis's fixed
    /// per-client reply buffer) do not count: only what a client leaves
    /// unread beyond that is measured against the limits.
    public func outputOverLimit(pending: Int, limits: OutputLimits.Limit) -> Bool {
        let counted = pending - 16 * 1024
        if limits.hard > 0 && counted > limits.hard { return true }
        if limits.soft > 0 && counted > limits.soft {
            let now = loop.nowMs
            if softLimitSinceMs == 0 { softLimitSinceMs = now; return false }
            return now - softLimitSinceMs > Int64(limits.seconds) * 1000
        }
        softLimitSinceMs = 0
        return false
    }
}
