import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Serving a loop's other connections while one of its commands runs for
/// long: Redis's `processEventsWhileBlocked`, for a script past
/// `busy-reply-threshold`. The long command runs on the loop's own thread
/// (inside `runRequests`), so this is a small turn nested inside the turn
/// that runs it:
///
/// - It reads what arrived without waiting (its own completion and event
///   arrays: the outer turn is still walking its own), accepts new
///   connections, runs the other connections' requests (the handler
///   refuses all but a few while the command runs, with BUSY) and writes
///   their replies.
/// - The running connection is left alone: bytes the ring delivers for it
///   are kept aside and appended to its input after the turn (its running
///   request's arguments point into that input, which must not move), and
///   if its peer went away it is closed after its reply.
/// - Wake-ups (the mailbox, messages from other loops) wait for the end of
///   the outer turn: what they run may expect a loop between commands.
extension EventLoop {
    public func serveWhileBusy(runningFd: Int32) {
        guard !servingWhileBusy else { return }
        servingWhileBusy = true
        busyFd = runningFd
        defer { servingWhileBusy = false; busyFd = -1 }
        let runningId = Int(runningFd) < slots.count ? slots[Int(runningFd)]?.id ?? -1 : -1
        // Bytes kept aside for a connection whose long command has ended
        // (another one runs now) go to its input before anything newer.
        if !heldWhileBusy.bytes.isEmpty && (heldWhileBusy.fd != runningFd || heldWhileBusy.id != runningId) {
            appendHeldInput()
        }
        // Connections that received bytes here: (fd, id, bytes).
        var received: [(fd: Int32, id: Int, bytes: Int)] = []
        if let ring {
            returnLentBuffers(ring, runningFd: runningFd, runningId: runningId)
            servedRing(ring, runningFd: runningFd, runningId: runningId, into: &received)
        } else {
            servedEpoll(runningFd: runningFd, into: &received)
        }
        for (fd, id, bytes) in received { serveInput(fd, id: id, bytesRead: bytes) }
        // Requests read before the command ran (later in its own turn) and
        // not run yet get their answer too.
        for case let connection? in slots where connection.inputEnd > connection.inputStart && connection.fd != runningFd {
            serveInput(connection.fd, id: connection.id, bytesRead: 0)
        }
        // Requests held before the command ran its course get their answer now.
        if !waiting.isEmpty { retryWaiting() }
        if !pendingFlush.isEmpty { flushPending() }
    }

    private func serveInput(_ fd: Int32, id: Int, bytesRead: Int) {
        withConnection(fd) { connection, session in
            guard connection.id == id, !connection.closed, !connection.waiting, !connection.blocked,
                  !connection.outputPaused else { return }
            process(connection, session, bytesRead: bytesRead)
        }
    }

    /// Gives the ring back the receive buffers this turn lent to other
    /// connections (their unparsed bytes copied into their own input):
    /// with enough of them lent the pool would stay empty, every receive
    /// would fail with ENOBUFS, and not even SCRIPT KILL could get in. The
    /// running connection keeps its buffer: its request's arguments are in it.
    private func returnLentBuffers(_ ring: OpaquePointer, runningFd: Int32, runningId: Int) {
        var kept = 0
        for k in 0..<turnLent {
            let connection = lentTo[k].takeUnretainedValue()
            if connection.fd == runningFd && connection.id == runningId {
                lentTo[kept] = lentTo[k]
                buffersToRecycle[kept] = buffersToRecycle[k]
                kept += 1
                continue
            }
            connection.returnInput()
            cs_uring_recycle(ring, buffersToRecycle[k])
        }
        turnLent = kept
    }

    private func servedRing(_ ring: OpaquePointer, runningFd: Int32, runningId: Int,
                            into received: inout [(fd: Int32, id: Int, bytes: Int)]) {
        _ = cs_uring_enter(ring, 0)
        let capacity = 256
        let tags = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        let results = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let allFlags = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer { tags.deallocate(); results.deallocate(); allFlags.deallocate() }
        let n = Int(cs_uring_reap(ring, tags, results, allFlags, Int32(capacity)))
        for i in 0..<n {
            let tag = tags[i], result = Int(results[i]), flags = allFlags[i]
            let fd = RingTag.fd(tag)
            switch RingTag.kind(tag) {
            case RingTag.receive:
                withConnection(fd) { connection, _ in
                    guard RingTag.matches(tag, connection), !connection.closed else { return }
                    if result > 0 {
                        // Copied, never lent: the buffer goes back at once.
                        let bytes = UnsafeRawBufferPointer(start: cs_uring_buffer(ring, flags >> 16)!, count: result)
                        if fd == runningFd && connection.id == runningId {
                            // Its input stays as it is: the running request's
                            // arguments point into it. Appended after the turn;
                            // whatever comes later waits in the kernel (the
                            // receive is asked again after the command).
                            heldWhileBusy.fd = fd
                            heldWhileBusy.id = connection.id
                            heldWhileBusy.bytes.append(contentsOf: bytes)
                            afterBusy = true
                            if !connection.receiveStopped {
                                connection.receiveStopped = true
                                stoppedReceives.append((fd, connection.id))
                                _ = cs_uring_cancel(ring, tag, RingTag.make(RingTag.cancel, fd: -1))
                            }
                        } else {
                            connection.reserveInput(result)
                            (connection.input + connection.inputEnd).copyMemory(from: bytes.baseAddress!, byteCount: result)
                            connection.inputEnd += result
                            received.append((fd, connection.id, result))
                        }
                    } else if connection.receiveStopped {
                        // The cancelled receive's end (or the peer's, seen after).
                    } else if result != -ENOBUFS {
                        if fd == runningFd && connection.id == runningId {
                            connection.closeAfterReply = true  // closed once its reply is written
                            return
                        }
                        closeConnection(fd)
                        return
                    }
                    if flags & CS_URING_MORE == 0 {
                        // A stopped receive is asked again at the end of the turn.
                        if connection.receiveStopped { connection.receiveEnded = true; afterBusy = true } else { armReceive(ring, connection) }
                    }
                }
                if flags & CS_URING_BUFFER != 0 { cs_uring_recycle(ring, flags >> 16) }
            case RingTag.accept:
                accepted(ring, tag: tag, result: result, flags: flags)
            case RingTag.wake:
                wakeAfterBusy = true
                afterBusy = true
                if flags & CS_URING_MORE == 0 { _ = cs_uring_poll(ring, wakeFd, UInt32(POLLIN), 1, tag) }
            case RingTag.writable:
                withConnection(fd) { connection, session in
                    guard RingTag.matches(tag, connection), !connection.closed else { return }
                    connection.writeArmed = false
                    if fd == runningFd {
                        // Written after its command (flushPending keeps it scheduled).
                        if !connection.flushScheduled { connection.flushScheduled = true; pendingFlush.append(fd) }
                        return
                    }
                    writable(connection, session)
                }
            default:
                break
            }
        }
        // What this pass asked of the ring (a stopped receive's cancel, new
        // connections' receives) goes now, not at the next hook.
        if n > 0 { _ = cs_uring_enter(ring, 0) }
    }

    private func servedEpoll(runningFd: Int32, into received: inout [(fd: Int32, id: Int, bytes: Int)]) {
        let capacity = 256
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        defer { events.deallocate(); tokens.deallocate() }
        let n = Int(cs_epoll_wait(epoll, events, tokens, Int32(capacity), 0))
        for i in 0..<max(0, n) {
            let token = tokens[i]
            // The eventfd stays readable: the outer turn's next wait sees it again.
            if token == EventLoop.wakeToken { continue }
            if token >= EventLoop.listenerTokenBase {
                acceptAll(listeners[Int(token - EventLoop.listenerTokenBase)])
                continue
            }
            let fd = Int32(truncatingIfNeeded: token)
            // The running connection's bytes stay in its socket, and its
            // replies in its buffer, until its command is done.
            if fd == runningFd { continue }
            withConnection(fd) { connection, session in
                if events[i] & cs_EPOLLOUT_() != 0, !connection.closed { writable(connection, session) }
                guard events[i] & (cs_EPOLLIN_() | cs_EPOLLHUP_() | cs_EPOLLERR_()) != 0, !connection.closed else { return }
                let bytes = readInput(connection)
                if bytes > 0 { received.append((fd, connection.id, bytes)) }
            }
        }
    }

    /// Appends the bytes kept aside for a connection whose command ran
    /// long to its input (its command has ended).
    private func appendHeldInput() {
        let (fd, id, bytes) = heldWhileBusy
        heldWhileBusy = (-1, -1, [])
        withConnection(fd) { connection, _ in
            guard connection.id == id, !connection.closed else { return }
            connection.reserveInput(bytes.count)
            bytes.withUnsafeBytes { (connection.input + connection.inputEnd).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            connection.inputEnd += bytes.count
        }
    }

    /// What `serveWhileBusy` left for the end of the turn: bytes for the
    /// connection that was running (appended and run now), and a wake-up
    /// (the mailbox and outbox).
    func finishAfterBusy() {
        afterBusy = false
        if !heldWhileBusy.bytes.isEmpty {
            let (fd, id, count) = (heldWhileBusy.fd, heldWhileBusy.id, heldWhileBusy.bytes.count)
            appendHeldInput()
            serveInput(fd, id: id, bytesRead: count)
        }
        if !stoppedReceives.isEmpty { resumeStoppedReceives() }
        if wakeAfterBusy {
            wakeAfterBusy = false
            var value: UInt64 = 0
            _ = read(wakeFd, &value, 8)
            drainMailbox()
            drainOutbox()
        }
    }

    /// Asks again for the receives stopped while their connections' commands
    /// ran long, once the cancelled ones have ended (those still ending are
    /// asked again by the ring's completion in a later turn, which resets
    /// the connection). Runs at the end of the turn, when no command runs.
    private func resumeStoppedReceives() {
        guard let ring else { stoppedReceives.removeAll(); return }
        var kept = 0
        for k in stoppedReceives.indices {
            let (fd, id) = stoppedReceives[k]
            var stillStopped = false
            withConnection(fd) { connection, _ in
                guard connection.id == id, !connection.closed, connection.receiveStopped else { return }
                // Bytes still kept aside for it go to its input first (the
                // next `finishAfterBusy`, after the command that runs now).
                if connection.receiveEnded && !(heldWhileBusy.fd == fd && heldWhileBusy.id == id) {
                    connection.receiveStopped = false
                    connection.receiveEnded = false
                    armReceive(ring, connection)
                } else {
                    stillStopped = true
                }
            }
            if stillStopped { stoppedReceives[kept] = stoppedReceives[k]; kept += 1 }
        }
        stoppedReceives.removeLast(stoppedReceives.count - kept)
    }
}
