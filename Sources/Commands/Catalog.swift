/// Every command Swiftlet serves. Adding a command: write its file (one
/// command or tight family, with its grammar in the doc comment) and list
/// its spec here.
public enum CommandCatalog {
    public static func all() -> [CommandSpec] {
        [
            // Strings
            GetCommand.spec, GetDelCommand.spec, GetSetCommand.spec, GetExCommand.spec,
            SetCommand.spec, SetCommand.setnx, SetCommand.setex, SetCommand.psetex,
            MGetCommand.spec, MSetCommand.spec, MSetCommand.msetnx,
            IncrCommand.incr, IncrCommand.decr, IncrCommand.incrby, IncrCommand.decrby, IncrByFloatCommand.spec,
            AppendCommand.spec, StrlenCommand.spec, GetRangeCommand.getrange, GetRangeCommand.substr,
            SetRangeCommand.spec, LCSCommand.spec,
            // Hashes
            HashSetCommand.hset, HashSetCommand.hmset, HashSetCommand.hsetnx,
            HashGetCommand.hget, HashGetCommand.hmget, HashGetCommand.hexists, HashGetCommand.hstrlen, HashGetCommand.hlen,
            HashGetAllCommand.hgetall, HashGetAllCommand.hkeys, HashGetAllCommand.hvals, HashDelCommand.spec,
            HashIncrCommand.hincrby, HashIncrCommand.hincrbyfloat, HashRandomFieldCommand.spec, HashScanCommand.spec,
            // Lists
            ListPushCommand.lpush, ListPushCommand.rpush, ListPushCommand.lpushx, ListPushCommand.rpushx,
            ListInsertCommand.spec, ListPopCommand.lpop, ListPopCommand.rpop, ListMultiPopCommand.lmpop,
            ListReadCommand.llen, ListReadCommand.lindex, ListReadCommand.lrange, ListPositionCommand.spec,
            ListEditCommand.lset, ListEditCommand.lrem, ListEditCommand.ltrim,
            ListMoveCommand.lmove, ListMoveCommand.rpoplpush,
            BlockingPopCommand.blpop, BlockingPopCommand.brpop, BlockingPopCommand.blmpop,
            BlockingPopCommand.blmove, BlockingPopCommand.brpoplpush,
            // Sorted sets
            SortedSetAddCommand.zadd, SortedSetAddCommand.zincrby, SortedSetReadCommand.zscore, SortedSetReadCommand.zmscore,
            SortedSetReadCommand.zcard, SortedSetReadCommand.zrank, SortedSetReadCommand.zrevrank, SortedSetReadCommand.zcount,
            SortedSetReadCommand.zlexcount, SortedSetRangeCommand.zrange, SortedSetRangeCommand.zrangestore,
            SortedSetRangeCommand.zrevrange, SortedSetRangeCommand.zrangebyscore, SortedSetRangeCommand.zrevrangebyscore,
            SortedSetRangeCommand.zrangebylex, SortedSetRangeCommand.zrevrangebylex, SortedSetRemoveCommand.zrem,
            SortedSetRemoveCommand.zremrangebyrank, SortedSetRemoveCommand.zremrangebyscore, SortedSetRemoveCommand.zremrangebylex,
            SortedSetPopCommand.zpopmin, SortedSetPopCommand.zpopmax, SortedSetPopCommand.zmpop,
            SortedSetPopCommand.bzpopmin, SortedSetPopCommand.bzpopmax, SortedSetPopCommand.bzmpop,
            SortedSetAlgebraCommand.zunion, SortedSetAlgebraCommand.zinter, SortedSetAlgebraCommand.zdiff,
            SortedSetAlgebraCommand.zunionstore, SortedSetAlgebraCommand.zinterstore, SortedSetAlgebraCommand.zdiffstore,
            SortedSetAlgebraCommand.zintercard, SortedSetRandomCommand.spec, SortedSetScanCommand.spec,
            // Streams
            StreamAddCommand.xadd, StreamAddCommand.xtrim, StreamReadCommand.xlen, StreamReadCommand.xrange,
            StreamReadCommand.xrevrange, StreamReadCommand.xdel, StreamReadCommand.xsetid, StreamXReadCommand.spec,
            StreamGroupCommand.spec, StreamReadGroupCommand.spec, StreamAckCommand.spec, StreamPendingCommand.spec,
            StreamClaimCommand.xclaim, StreamClaimCommand.xautoclaim, StreamInfoCommand.spec,
            // Sets
            SetAddCommand.sadd, SetAddCommand.srem, SetReadCommand.smembers, SetReadCommand.sismember,
            SetReadCommand.smismember, SetReadCommand.scard, SetRandomCommand.spop, SetRandomCommand.srandmember,
            SetMoveCommand.spec, SetAlgebraCommand.sinter, SetAlgebraCommand.sunion, SetAlgebraCommand.sdiff,
            SetAlgebraCommand.sinterstore, SetAlgebraCommand.sunionstore, SetAlgebraCommand.sdiffstore,
            SetAlgebraCommand.sintercard, SetScanCommand.spec,
            // Keys
            DelCommand.del, DelCommand.unlink, ExistsCommand.spec, TouchCommand.spec, TypeCommand.spec,
            KeysCommand.spec, ScanCommand.spec, RandomKeyCommand.spec, DBSizeCommand.spec,
            RenameCommand.rename, RenameCommand.renamenx, MoveCommand.spec, CopyCommand.spec,
            SelectCommand.spec, SwapDBCommand.spec, FlushCommand.flushdb, FlushCommand.flushall,
            ObjectCommand.spec, MemoryCommand.spec,
            // Expiry
            ExpireCommand.expire, ExpireCommand.pexpire, ExpireCommand.expireat, ExpireCommand.pexpireat,
            TTLCommand.ttl, TTLCommand.pttl, TTLCommand.expiretime, TTLCommand.pexpiretime, PersistCommand.spec,
            // Connection
            PingCommand.ping, PingCommand.echo, QuitCommand.spec, ResetCommand.spec,
            AuthCommand.spec, AuthCommand.hello, ClientCommand.spec, AclCommand.spec,
            // Pub/Sub
            SubscribeCommand.subscribe, SubscribeCommand.unsubscribe, SubscribeCommand.psubscribe,
            SubscribeCommand.punsubscribe, SubscribeCommand.ssubscribe, SubscribeCommand.sunsubscribe,
            PublishCommand.publish, PublishCommand.spublish, PubSubCommand.spec,
            // Transactions
            MultiCommand.multi, MultiCommand.exec, MultiCommand.discard, WatchCommand.watch, WatchCommand.unwatch,
            // Server
            InfoCommand.spec, ConfigCommand.spec, CommandCommand.spec, TimeCommand.spec, LastSaveCommand.spec, RoleCommand.spec, WaitCommand.spec, MonitorCommand.spec,
            BitCommands.getbit, BitCommands.setbit, BitCommands.bitcount, BitCommands.bitpos,
            BitOpCommand.spec, BitFieldCommand.spec, BitFieldCommand.readOnly,
            HyperLogLogCommands.pfadd, HyperLogLogCommands.pfcount, HyperLogLogCommands.pfmerge,
            HyperLogLogDebugCommands.pfdebug, HyperLogLogDebugCommands.pfselftest,
            SortCommand.sort, SortCommand.sortReadOnly,
            DumpRestoreCommand.dump, DumpRestoreCommand.restore,
            EvalCommand.eval, EvalCommand.evalsha, EvalCommand.evalReadOnly, EvalCommand.evalshaReadOnly, ScriptCommand.spec,
            FcallCommand.fcall, FcallCommand.fcallReadOnly, FunctionCommand.spec,
            GeoCommands.geoadd, GeoCommands.geopos, GeoCommands.geodist, GeoCommands.geohash,
            GeoSearchCommand.georadius, GeoSearchCommand.georadiusReadOnly, GeoSearchCommand.georadiusByMember,
            GeoSearchCommand.georadiusByMemberReadOnly, GeoSearchCommand.geosearch, GeoSearchCommand.geosearchstore,
            ShutdownCommand.spec, DebugCommand.spec, SlowlogCommand.spec, LatencyCommand.spec,
            // Cluster (standalone: each answers that cluster support is disabled)
            ClusterCommand.spec, ClusterCommand.readonly, ClusterCommand.readwrite, ClusterCommand.asking,
        ]
    }
}
