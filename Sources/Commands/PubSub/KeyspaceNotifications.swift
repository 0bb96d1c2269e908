import RESP
import Storage
import PubSub

/// Keyspace notifications (`notify-keyspace-events`): each enabled event is
/// published on `__keyspace@<db>__:<key>` (message: the event name) when K
/// is set and on `__keyevent@<db>__:<event>` (message: the key) when E is.
extension ServerContext {
    /// Wires the pub/sub layer into the server: notifications, cleanup on
    /// disconnect and RESET, and INFO's counts. Called once at start-up.
    public func installPubSub() {
        pubsubCounts = { [unowned self] in (pubsub.channelCount, pubsub.patternCount, pubsub.shardChannelCount) }
        eventSink = { [unowned self] kind, event, key, db in
            let mask = NotifyClass(rawValue: notifyMask.load(ordering: .relaxed))
            if mask.contains(.keyspace) {
                var channel = Array("__keyspace@\(db)__:".utf8)
                channel += key
                channel.withUnsafeBytes { ch in
                    var e = event
                    e.withUTF8 { _ = PublishCommand.send(self, channel: ch, message: UnsafeRawBufferPointer($0), shard: false, fromLoop: -1) }
                }
            }
            if mask.contains(.keyevent) {
                let channel = Array("__keyevent@\(db)__:\(event)".utf8)
                channel.withUnsafeBytes { ch in
                    _ = PublishCommand.send(self, channel: ch, message: key, shard: false, fromLoop: -1)
                }
            }
        }
        clientClosedHooks.append { [unowned self] c in pubsub.removeClient(c.id) }
        clientResetHooks.append { [unowned self] c in
            pubsub.removeClient(c.id)
            SubscribeCommand.refreshCounts(c)
        }
        notifyMask.store(config.notifyKeyspaceEventMask, ordering: .relaxed)
        config.onChange("notify-keyspace-events") { [unowned self] _ in
            notifyMask.store(config.notifyKeyspaceEventMask, ordering: .relaxed)
        }
        outputLimits = OutputLimits(config.string("client-output-buffer-limit") ?? "")
        config.onChange("client-output-buffer-limit") { [unowned self] value in
            outputLimits = OutputLimits(value)
        }
        keyspace.onExpired = { [unowned self] shard, db, key in
            keyspaceEvent(.expired, "expired", key, db: db)
            keyModified(shard, db: db, key: key)
        }
    }
}
