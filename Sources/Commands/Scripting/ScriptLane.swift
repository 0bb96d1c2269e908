import Storage

/// The server runs one script at a time, on the loop of the client that
/// sent it (EVAL, or an EXEC with a script queued), as Redis's single
/// thread does. Holding the lane means:
/// - every other loop holds its clients' commands, or answers BUSY once
///   the script has run past busy-reply-threshold, instead of waiting on a
///   shard (`ScriptEngine.exclusive`, read by `ServerHandler.execute`);
/// - this loop's other clients are served from the script's hook while it
///   is busy (`EventLoop.serveWhileBusy`), so SCRIPT KILL reaches it.
enum ScriptLane {
    /// Whether `c` is a connection on a loop (not an in-process call):
    /// only then is there a loop to serve while a script runs.
    static func canServe(_ c: Client) -> Bool { c.fd >= 0 && c.loop.index >= 0 }

    /// Runs `body` holding the lane, with the fd of `c`'s connection (the
    /// one the loop must not serve meanwhile). When another loop's script
    /// holds the lane (it may have started after this command was
    /// admitted), nothing runs: the request is held and runs again after it.
    static func enter(_ c: Client, _ body: (_ busyFd: Int32) -> Void) {
        let server = c.server, engine = server.scripts
        guard engine.exclusive.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else {
            c.blockedWaiter = BlockedWaiter.retryLater
            c.monitorFedForRetry = true
            return
        }
        defer { engine.exclusive.store(false, ordering: .releasing) }
        c.holdsScriptLane = true
        defer { c.holdsScriptLane = false }
        // Other loops hold their commands from now on; the ones already
        // running a command finish it before the shards are taken.
        // Meanwhile this loop's other clients are served: another loop may
        // be running a script inside EXEC, which only SCRIPT KILL ends.
        let loopIndex = c.loop.index, fd = c.fd
        server.quiesceLoops(loopIndex) { server.serveWhileBusy(loopIndex, fd) }
        body(fd)
        // Clients that left meanwhile on other loops (the shards are free
        // now, and the other loops still hold their commands).
        server.removeLeftWatches(waiting: true)
    }
}
