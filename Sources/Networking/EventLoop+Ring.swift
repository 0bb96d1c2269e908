import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// How event loops wait for their sockets.
///
/// - `epoll`: readiness. Each turn is an `epoll_wait`, then one `recv` per
///   ready connection; replies are written with `send`.
/// - `ioUring`: completions. Every connection keeps a multishot receive
///   armed on the loop's io_uring; the kernel copies arriving bytes into a
///   pool of buffers and the loop collects them, with the accepts and
///   wake-ups, in one `io_uring_enter` per turn. Replies are still written
///   with `send` (a reply buffer handed to the kernel could not grow or move
///   until the send completed). At pipeline 1 this takes the `recv` and the
///   `epoll_wait` out of each request's system calls.
/// - `auto`: io_uring where the kernel offers what the loop needs (Linux
///   6.0 or later, and not disabled by `kernel.io_uring_disabled` or a
///   container's seccomp profile), else epoll.
public enum IOBackend: String, Sendable {
    case auto
    case epoll
    case ioUring = "io_uring"

    /// Whether this process can run loops on io_uring.
    public static var ringIsAvailable: Bool { ringAvailable }

    /// `SWIFTLET_IO_BACKEND` (`auto`, `epoll`, `io_uring`), else `auto`.
    public static var fromEnvironment: IOBackend {
        guard let value = getenv("SWIFTLET_IO_BACKEND") else { return .auto }
        return IOBackend(rawValue: String(cString: value)) ?? .auto
    }
}

/// A ring request's tag: what it is in the top byte, the low 24 bits of
/// the connection id above the fd. A connection's completions can arrive
/// after it closed and its fd was reused; the id bits tell them apart.
enum RingTag {
    static let receive: UInt64 = 1
    static let accept: UInt64 = 2
    static let wake: UInt64 = 3
    static let writable: UInt64 = 4
    static let cancel: UInt64 = 5

    @inline(__always)
    static func make(_ kind: UInt64, fd: Int32, id: Int = 0) -> UInt64 {
        (kind << 56) | ((UInt64(truncatingIfNeeded: id) & 0xFF_FFFF) << 32) | UInt64(UInt32(bitPattern: fd))
    }
    @inline(__always) static func kind(_ tag: UInt64) -> UInt64 { tag >> 56 }
    @inline(__always) static func fd(_ tag: UInt64) -> Int32 { Int32(truncatingIfNeeded: tag & 0xFFFF_FFFF) }
    @inline(__always)
    static func matches(_ tag: UInt64, _ connection: Connection) -> Bool {
        (tag >> 32) & 0xFF_FFFF == UInt64(truncatingIfNeeded: connection.id) & 0xFF_FFFF
    }
}

/// The ring's receive buffers: 32 of 32 KiB per loop, 1 MiB, which counts
/// in the memory per key at 1M keys (each MiB is a byte per key). 32 KiB
/// holds a pipeline of 16 requests of 1 KiB in one completion. A buffer is
/// held only for the turn its bytes arrive in; the kernel takes one per
/// arrival, and a turn's task work is bounded (about 20 sockets per
/// io_uring_enter on this kernel), so 32 rarely run out; when they do, the
/// receives that found none end with ENOBUFS and are armed again.
private let ringBufferCount: UInt32 = 32
private let ringBufferSize: UInt32 = 32 * 1024

/// Whether this process can run a loop on io_uring (probed once).
let ringAvailable: Bool = {
    guard let probe = cs_uring_create(8, 1, 64) else { return false }
    cs_uring_destroy(probe)
    return true
}()

extension EventLoop {
    /// Unparsed input past which a connection's requests run before more
    /// of its received bytes are appended (see `runRingTurn`).
    static var runBeforeAppending: Int { 64 * 1024 }

    /// Creates the loop's ring on its own thread, when one is wanted and
    /// possible, and arms the accepts and the wake-up on it.
    func startRing() {
        guard backend == .ioUring || (backend == .auto && ringAvailable),
              let ring = cs_uring_create(256, ringBufferCount, ringBufferSize) else { return }
        self.ring = ring
        for (i, listener) in listeners.enumerated() {
            _ = cs_uring_accept_multishot(ring, listener, RingTag.make(RingTag.accept, fd: Int32(i)))
        }
        _ = cs_uring_poll(ring, wakeFd, UInt32(POLLIN), 1, RingTag.make(RingTag.wake, fd: wakeFd))
    }

    /// After the last connection closed: cancels the accepts (so the
    /// listening sockets are released now, not when the kernel gets round
    /// to tearing the ring down), lets the cancels run, drops the ring.
    func stopRing() {
        guard let ring else { return }
        for i in listeners.indices {
            _ = cs_uring_cancel(ring, RingTag.make(RingTag.accept, fd: Int32(i)), RingTag.make(RingTag.cancel, fd: -1))
        }
        _ = cs_uring_enter(ring, 0)
        cs_uring_destroy(ring)
        self.ring = nil
    }

    func armReceive(_ ring: OpaquePointer, _ connection: Connection) {
        _ = cs_uring_recv_multishot(ring, connection.fd, RingTag.make(RingTag.receive, fd: connection.fd, id: connection.id))
    }

    func armWritable(_ ring: OpaquePointer, _ connection: Connection) {
        _ = cs_uring_poll(ring, connection.fd, UInt32(POLLOUT), 0, RingTag.make(RingTag.writable, fd: connection.fd, id: connection.id))
    }

    /// Cancels a closing connection's requests. The socket is released
    /// when they have let go of it, at the end of this turn.
    func disarm(_ ring: OpaquePointer, _ connection: Connection) {
        let cancelTag = RingTag.make(RingTag.cancel, fd: -1)
        _ = cs_uring_cancel(ring, RingTag.make(RingTag.receive, fd: connection.fd, id: connection.id), cancelTag)
        if connection.writeArmed {
            _ = cs_uring_cancel(ring, RingTag.make(RingTag.writable, fd: connection.fd, id: connection.id), cancelTag)
        }
    }

    /// An accept's completion: the new connection is served; an accept
    /// that ended (an error such as too many open files) is asked again,
    /// unless the listener went away (the server stops).
    func accepted(_ ring: OpaquePointer, tag: UInt64, result: Int, flags: UInt32) {
        if result >= 0 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(Int32(result), $0, &length) }
            }
            adopt(Int32(result), peer: &storage)
        }
        let listener = Int(RingTag.fd(tag))
        if flags & CS_URING_MORE == 0 && result != -ECANCELED && result != -EBADF && result != -EINVAL, listener < listeners.count {
            _ = cs_uring_accept_multishot(ring, listeners[listener], tag)
        }
    }

    /// Handles one batch of ring completions in the passes of `runTurn`:
    /// this read pass hands received bytes to their connections (and
    /// handles accepts and re-arming), then the prefetch and run passes are
    /// shared with epoll. Completion i becomes event i.
    ///
    /// Received bytes are parsed in the receive buffer itself when the
    /// connection had no input waiting (the usual case): the connection
    /// borrows the buffer for the turn, and gives it back, with any partial
    /// request copied out, once the turn has run. Otherwise they are
    /// appended to the connection's input. Copying every batch instead cost
    /// 7% of throughput for pipelined 1 KiB SETs.
    @inline(__always)
    func runRingTurn(count: Int) {
        let ring = self.ring.unsafelyUnwrapped
        turnLent = 0
        for i in 0..<count {
            turnRead[i] = 0
            turnHash[i] = nil
            tokens[i] = EventLoop.noToken
            let tag = completionTags[i], result = Int(completionResults[i]), flags = completionFlags[i]
            let fd = RingTag.fd(tag)
            switch RingTag.kind(tag) {
            case RingTag.receive:
                var keep = false
                withConnection(fd) { connection, session in
                    guard RingTag.matches(tag, connection), !connection.closed else { return }
                    if result > 0 && connection.receiveStopped && heldWhileBusy.fd == fd && heldWhileBusy.id == connection.id {
                        // A late delivery of a receive stopped while a command
                        // ran long: after the bytes kept aside then, in order.
                        heldWhileBusy.bytes.append(contentsOf: UnsafeRawBufferPointer(start: cs_uring_buffer(ring, flags >> 16)!, count: result))
                        afterBusy = true
                    } else if result > 0 {
                        let buffer = cs_uring_buffer(ring, flags >> 16)!
                        if connection.inputStart == connection.inputEnd && connection.ownInput == nil {
                            connection.borrowInput(buffer, count: result, capacity: Int(ringBufferSize))
                            lentTo[turnLent] = Unmanaged.passUnretained(connection)
                            keep = true
                        } else {
                            // A client that streams faster than it is served
                            // (redis-cli --pipe) can fill many buffers in one turn.
                            // Its requests so far run before more is appended, so
                            // its input stays under malloc's mmap threshold: an
                            // input grown to 2 MB and freed raised that threshold,
                            // and the keyspace's large arrays then came from the
                            // heap instead (RSS per key with TTLs 93-96 -> 96-100 B).
                            if connection.inputEnd - connection.inputStart >= EventLoop.runBeforeAppending,
                               !connection.waiting, !connection.blocked, !connection.outputPaused {
                                process(connection, session, bytesRead: 0)
                                if connection.closed { return }
                            }
                            connection.reserveInput(result)
                            (connection.input + connection.inputEnd).copyMemory(from: buffer, byteCount: result)
                            connection.inputEnd += result
                        }
                        tokens[i] = UInt64(UInt32(bitPattern: fd))
                        events[i] = cs_EPOLLIN_()
                        noteInput(i, of: count, connection, session, bytes: result)
                    } else if connection.receiveStopped {
                        // The end of a receive stopped while a command ran long
                        // (serveWhileBusy): asked again below.
                    } else if result != -ENOBUFS {
                        // The peer closed, or the socket failed.
                        connection.closedByPeer = true
                        closeConnection(fd)
                        return
                    }
                    // (The command that stopped the receive has ended: this
                    // turn's reaping does not run inside a command.)
                    if connection.receiveStopped && flags & CS_URING_MORE == 0 {
                        connection.receiveStopped = false
                        connection.receiveEnded = false
                    }
                    // Out of buffers (they are back by the next submit), or
                    // the kernel ended the multishot: ask again.
                    if flags & CS_URING_MORE == 0 { armReceive(ring, connection) }
                }
                if flags & CS_URING_BUFFER != 0 {
                    if keep {
                        // Paired with lentTo's entry (one lent buffer per connection and turn).
                        buffersToRecycle[turnLent] = flags >> 16
                        turnLent += 1
                    } else {
                        cs_uring_recycle(ring, flags >> 16)
                    }
                }
            case RingTag.accept:
                accepted(ring, tag: tag, result: result, flags: flags)
            case RingTag.wake:
                tokens[i] = EventLoop.wakeToken
                if flags & CS_URING_MORE == 0 { _ = cs_uring_poll(ring, wakeFd, UInt32(POLLIN), 1, tag) }
            case RingTag.writable:
                withConnection(fd) { connection, _ in
                    guard RingTag.matches(tag, connection), !connection.closed else { return }
                    connection.writeArmed = false
                    tokens[i] = UInt64(UInt32(bitPattern: fd))
                    events[i] = cs_EPOLLOUT_()
                }
            default:
                break  // a cancel's own completion
            }
        }
        finishTurn(count: count)
        // Closed connections too: they live until the turn's end (closedThisTurn).
        // (A long command may have given some back already: serveWhileBusy.)
        for k in 0..<turnLent {
            lentTo[k]._withUnsafeGuaranteedRef { $0.returnInput() }
            cs_uring_recycle(ring, buffersToRecycle[k])
        }
        turnLent = 0
    }
}
