import RESP
import Storage

/// `CLIENT TRACKING ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]`,
/// `CLIENT CACHING YES|NO`, `CLIENT GETREDIR`, `CLIENT TRACKINGINFO`
///
/// Server-assisted client-side caching (see `TrackingRegistry`).
enum ClientTrackingCommand {
    static func tracking(_ c: Client, _ args: Arguments) {
        var redirect = 0
        var options: TrackingOptions = []
        var prefixes: [[UInt8]] = []
        var j = 3
        while j < args.count {
            let a = args[j]
            let more = j + 1 < args.count
            if a.equalsIgnoringCase("redirect") && more {
                j += 1
                if redirect != 0 { c.fail("ERR A client can only redirect to a single other client"); return }
                guard let id = c.integerArgument(args[j]) else { return }
                if c.server.clients.client(id: id) == nil || id == 0 {
                    c.fail("ERR The client ID you want redirect to does not exist"); return
                }
                redirect = id
            } else if a.equalsIgnoringCase("bcast") {
                options.insert(.broadcast)
            } else if a.equalsIgnoringCase("optin") {
                options.insert(.optIn)
            } else if a.equalsIgnoringCase("optout") {
                options.insert(.optOut)
            } else if a.equalsIgnoringCase("noloop") {
                options.insert(.noLoop)
            } else if a.equalsIgnoringCase("prefix") && more {
                j += 1
                prefixes.append([UInt8](args[j]))
            } else {
                c.fail(Errors.syntax); return
            }
            j += 1
        }
        let current = TrackingOptions(rawValue: c.trackingOptions.load(ordering: .relaxed))
        if args[2].equalsIgnoringCase("on") {
            if !options.contains(.broadcast) && !prefixes.isEmpty {
                c.fail("ERR PREFIX option requires BCAST mode to be enabled"); return
            }
            if current.contains(.on) && current.contains(.broadcast) != options.contains(.broadcast) {
                c.fail("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
                return
            }
            if options.contains(.broadcast) && !options.isDisjoint(with: [.optIn, .optOut]) {
                c.fail("ERR OPTIN and OPTOUT are not compatible with BCAST"); return
            }
            if options.isSuperset(of: [.optIn, .optOut]) {
                c.fail("ERR You can't specify both OPTIN mode and OPTOUT mode"); return
            }
            if (options.contains(.optIn) && current.contains(.optOut)) || (options.contains(.optOut) && current.contains(.optIn)) {
                c.fail("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
                return
            }
            if options.contains(.broadcast), let error = prefixCollision(prefixes, existing: c.trackingPrefixes) {
                c.fail(error); return
            }
            c.enableTracking(options, redirect: redirect, prefixes: prefixes)
        } else if args[2].equalsIgnoringCase("off") {
            c.disableTracking()
        } else {
            c.fail(Errors.syntax); return
        }
        c.reply.ok()
    }

    /// Prefixes of one client must not overlap (one a prefix of another):
    /// each key change would otherwise be reported twice.
    static func prefixCollision(_ prefixes: [[UInt8]], existing: [[UInt8]]) -> String? {
        func overlap(_ a: [UInt8], _ b: [UInt8]) -> Bool {
            let n = min(a.count, b.count)
            return a[0..<n] == b[0..<n]
        }
        func text(_ p: [UInt8]) -> String { String(decoding: p.prefix { $0 != 0 }, as: UTF8.self) }
        for i in prefixes.indices {
            for e in existing.sorted(by: { $0.lexicographicallyPrecedes($1) }) where overlap(e, prefixes[i]) {
                return "ERR Prefix '\(text(prefixes[i]))' overlaps with an existing prefix '\(text(e))'. Prefixes for a single client must not overlap."
            }
            for j in (i + 1)..<max(i + 1, prefixes.count) where overlap(prefixes[i], prefixes[j]) {
                return "ERR Prefix '\(text(prefixes[i]))' overlaps with another provided prefix '\(text(prefixes[j]))'. Prefixes for a single client must not overlap."
            }
        }
        return nil
    }

    static func caching(_ c: Client, _ args: Arguments) {
        let options = TrackingOptions(rawValue: c.trackingOptions.load(ordering: .relaxed))
        if !options.contains(.on) {
            c.fail("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
            return
        }
        if args[2].equalsIgnoringCase("yes") {
            if !options.contains(.optIn) {
                c.fail("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."); return
            }
        } else if args[2].equalsIgnoringCase("no") {
            if !options.contains(.optOut) {
                c.fail("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."); return
            }
        } else {
            c.fail(Errors.syntax); return
        }
        c.trackingCachingGiven = true
        c.reply.ok()
    }

    static func getRedirect(_ c: Client, _ args: Arguments) {
        c.reply.integer(c.trackingRedirect)
    }

    static func info(_ c: Client, _ args: Arguments) {
        let options = TrackingOptions(rawValue: c.trackingOptions.load(ordering: .relaxed))
        var flags: [String] = [options.contains(.on) ? "on" : "off"]
        if options.contains(.broadcast) { flags.append("bcast") }
        if options.contains(.optIn) {
            flags.append("optin")
            if c.trackingCachingGiven { flags.append("caching-yes") }
        }
        if options.contains(.optOut) {
            flags.append("optout")
            if c.trackingCachingGiven { flags.append("caching-no") }
        }
        if options.contains(.noLoop) { flags.append("noloop") }
        if options.contains(.brokenRedirect) { flags.append("broken_redirect") }
        c.reply.map(3)
        c.reply.bulk("flags")
        c.reply.set(flags.count)
        for f in flags { c.reply.bulk(f) }
        c.reply.bulk("redirect")
        c.reply.integer(c.trackingRedirect)
        c.reply.bulk("prefixes")
        let prefixes = c.trackingPrefixes.sorted { $0.lexicographicallyPrecedes($1) }
        c.reply.array(prefixes.count)
        for p in prefixes { c.reply.bulk(p) }
    }
}

extension Client {
    /// CLIENT GETREDIR's value: -1 when not tracking, else the redirect id (0: none).
    public var trackingRedirect: Int {
        trackingOptions.load(ordering: .relaxed) & TrackingOptions.on.rawValue == 0
            ? -1 : trackingRedirectId.load(ordering: .relaxed)
    }

    public var trackingEnabled: Bool { trackingOptions.load(ordering: .relaxed) & TrackingOptions.on.rawValue != 0 }

    func enableTracking(_ options: TrackingOptions, redirect: Int, prefixes: [[UInt8]]) {
        let current = TrackingOptions(rawValue: trackingOptions.load(ordering: .relaxed))
        if !current.contains(.on) { server.tracking.clientCount.add(1, ordering: .relaxed) }
        trackingRedirectId.store(redirect, ordering: .relaxed)
        if options.contains(.broadcast) {
            // With no PREFIX, every key: the empty prefix.
            let added = (prefixes.isEmpty ? [[]] : prefixes).filter { !trackingPrefixes.contains($0) }
            server.tracking.subscribe(id, prefixes: added)
            trackingPrefixes += added
        }
        // The mode bits are replaced; a broken redirect is forgotten.
        trackingOptions.store(options.union(.on).rawValue, ordering: .relaxed)
    }

    /// CLIENT TRACKING OFF, RESET, disconnect.
    public func disableTracking() {
        let current = TrackingOptions(rawValue: trackingOptions.load(ordering: .relaxed))
        if !trackingPrefixes.isEmpty {
            server.tracking.unsubscribe(id, prefixes: trackingPrefixes)
            trackingPrefixes = []
        }
        if current.contains(.on) { server.tracking.clientCount.add(-1, ordering: .relaxed) }
        trackingOptions.store(0, ordering: .relaxed)
        trackingCachingGiven = false
    }

    /// Runs a command of a tracking client: a read-only command records the
    /// keys it reads (unless OPTIN without CACHING YES, or OPTOUT with CACHING NO).
    @usableFromInline func callTracked(_ spec: CommandSpec, _ args: Arguments) {
        let options = TrackingOptions(rawValue: trackingOptions.load(ordering: .relaxed))
        var remember = spec.flags.contains(.readonly) && !spec.flags.contains(.pubsub)
            && options.contains(.on) && !options.contains(.broadcast)
        if options.contains(.optIn) && !trackingCachingGiven { remember = false }
        if options.contains(.optOut) && trackingCachingGiven { remember = false }
        if remember { loop.trackingReader = id }
        spec.invoke(self, args)
        if remember { loop.trackingReader = 0 }
    }

    /// Records that this client read `key` (shard locked).
    @usableFromInline func rememberRead(_ shard: Shard, _ key: UnsafeRawBufferPointer) {
        if shard.interest.track(key, client: loop.trackingReader) { server.tracking.keyEnteredTable() }
    }
}
