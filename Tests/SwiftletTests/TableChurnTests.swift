import XCTest
import Swiftlet
import Commands
import TestSupport

/// Commands that change a shard's table while they hold other keys of it,
/// replayed on real Redis and on Swiftlet with every reply compared.
///
/// Why: keys live in open-addressing tables, one per shard and database.
/// Inserting a key may grow a table; removing one (a DEL, an overwritten
/// destination, a key found expired) shifts its neighbours back or shrinks
/// the table. A command that remembered another key's slot across such a
/// change read a stale slot: RENAME crashed CI that way on 2026-12-06, and a
/// differential hunt the same day found SUNION/ZUNION and LMOVE doing it
/// with expired keys. These tests drive tables through their resize points.
final class TableChurnTests: XCTestCase {
    /// Two-key writes while the keyspace grows by one filler key per step,
    /// so each shard's table passes through every load, its resize points
    /// included, many times over the run.
    func testTwoKeyWritesWhileTablesGrowMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0x2E_4A3E)
        func pick(_ n: Int) -> Int { Int(g.next() % UInt64(n)) }
        var chain = 0
        var script: [[String]] = [["SET", "chain:0", "payload"], ["SADD", "set:a", "m0", "m1", "m2"], ["RPUSH", "list:a", "x", "y", "z"]]
        for step in 0..<24_000 {
            script.append(["SET", "filler:\(step)", "\(step)"])
            switch pick(8) {
            case 0, 1, 2:
                // The destination is new: inserting it may grow the table.
                script.append(["RENAME", "chain:\(chain)", "chain:\(chain + 1)"])
                chain += 1
            case 3:
                script.append(["RENAMENX", "chain:\(chain)", "chain:\(chain + 1)"])
                chain += 1
            case 4:
                // The destination exists: deleting it shifts its run back.
                let victim = "filler:\(pick(step + 1))"
                script.append(["RENAME", "filler:\(pick(step + 1))", victim])
            case 5:
                script.append(["COPY", "chain:\(chain)", "copy:\(pick(500))", "REPLACE"])
            case 6:
                let member = "m\(pick(3))"
                script.append(["SMOVE", pick(2) == 0 ? "set:a" : "set:\(step)", "set:\(step + 1)", member])
                script.append(["SADD", "set:a", member])
            default:
                script.append(["LMOVE", "list:a", "list:\(step)", "LEFT", "RIGHT"])
                script.append(["RPUSH", "list:a", "w"])
            }
            if step % 997 == 0 { script.append(["MOVE", "filler:\(pick(step + 1))", "1"]) }
        }
        script.append(["GET", "chain:\(chain)"])
        script.append(["DBSIZE"])
        // Sorted so that the two servers' iteration orders do not matter.
        for batch in stride(from: 0, to: script.count, by: 4_000) {
            try pair.setUpBoth(Array(script[batch..<min(batch + 4_000, script.count)]))
        }
        var keySets: [[String]] = []
        for (_, port) in pair.servers {
            let connection = try TestConnection(port: port)
            var keys = (try connection.call("KEYS", "*").elements ?? []).compactMap { $0.string }
            try connection.call("SELECT", "1")
            keys += (try connection.call("KEYS", "*").elements ?? []).compactMap { "db1:" + ($0.string ?? "") }
            keySets.append(keys.sorted())
        }
        XCTAssertEqual(keySets[1].count, keySets[0].count)
        XCTAssertTrue(keySets[1] == keySets[0], "the key sets differ")
    }

    /// LMOVE/RPOPLPUSH whose destination has expired: removing it during
    /// the lookup shrank the shard's table once few keys were left, under
    /// the source list's slot; the move then popped from and wrote to
    /// whatever the stale slot held (found by a differential hunt). Each
    /// destination is deleted after its move, so every shard's table drains
    /// through its shrink point, with lazy expiry (active expiry off) doing
    /// the removals.
    func testListMovesOntoExpiredDestinationsMatchRedis() throws {
        let pair = try DifferentialPair.start(["--enable-debug-command", "yes"])
        defer { pair.stop() }
        let count = 3000
        var setup: [[String]] = [["DEBUG", "SET-ACTIVE-EXPIRE", "0"]]
        for chunk in stride(from: 0, to: count, by: 500) {
            setup.append(["RPUSH", "src"] + (chunk..<chunk + 500).map { "e\($0)" })
        }
        setup += (0..<count).map { ["SET", "f\($0)", "v", "PX", "1"] }
        try pair.setUpBoth(setup)
        usleep(20_000)
        var moves: [[String]] = []
        for i in 0..<count {
            moves.append(i % 2 == 0 ? ["LMOVE", "src", "f\(i)", "LEFT", "RIGHT"] : ["RPOPLPUSH", "src", "f\(i)"])
            moves.append(["DEL", "f\(i)"])
        }
        moves.append(["LRANGE", "src", "0", "-1"])
        moves.append(["DBSIZE"])
        try pair.setUpBoth(moves)
    }

    /// Multi-key reads whose later keys expired: meeting an expired key
    /// removes it, which shifts its neighbours in the table, and the
    /// sources read before (held as container views) must not be lost.
    /// A stale view crashed SUNION, SINTER, ZUNION and friends (found by a
    /// differential hunt, 2026-12-06).
    func testMultiKeyReadsOverKeysThatExpireMeanwhile() throws {
        let pair = try DifferentialPair.start(["--enable-debug-command", "yes"])
        defer { pair.stop() }
        let setNames = (0..<20).map { "s\($0)" }, zsetNames = (0..<20).map { "z\($0)" }
        let expiring = (0..<4000).map { "f\($0)" }
        // Active expiry off: every expired key is met by the commands below.
        var setup: [[String]] = [["DEBUG", "SET-ACTIVE-EXPIRE", "0"]]
        for i in 0..<20 {
            setup.append(["SADD", setNames[i], "a\(i)", "b\(i % 3)"])
            setup.append(["ZADD", zsetNames[i], "\(i)", "a\(i)", "1", "b\(i % 3)"])
        }
        setup += expiring.map { ["SET", $0, "v", "PX", "1"] }
        try pair.setUpBoth(setup)
        usleep(20_000)
        let sets = setNames + expiring, zsets = zsetNames + expiring
        let commands: [[String]] = [
            ["SUNION"] + sets, ["SINTER"] + sets, ["SDIFF"] + sets, ["SINTERCARD", "\(sets.count)"] + sets,
            ["ZUNION", "\(zsets.count)"] + zsets + ["WITHSCORES"], ["ZINTER", "\(zsets.count)"] + zsets,
            ["ZDIFF", "\(zsets.count)"] + zsets, ["ZINTERCARD", "\(zsets.count)"] + zsets,
            ["SUNIONSTORE", "dst"] + sets, ["SMEMBERS", "dst"], ["ZUNIONSTORE", "zdst", "\(zsets.count)"] + zsets,
            ["ZRANGE", "zdst", "0", "-1", "WITHSCORES"], ["MGET"] + expiring.prefix(100) + setNames.prefix(2),
            ["DEL"] + expiring + ["dst"], ["EXISTS"] + setNames + zsetNames,
        ]
        for command in commands {
            var replies: [String] = []
            for (_, port) in pair.servers {
                let connection = try TestConnection(port: port)
                let reply = try connection.call(command)
                // Sets come back in each server's own order.
                replies.append(reply.elements.map { $0.map(\.description).sorted().joined(separator: ",") } ?? reply.description)
            }
            XCTAssertEqual(replies[1], replies[0], "\(command.prefix(3))…")
        }
    }

    /// RANDOMKEY deletes the expired keys it lands on and picks again until
    /// it finds a live one, as Redis does: with one live key among 5000
    /// expired ones it still answers with that key.
    func testRandomKeyLooksPastExpiredKeys() throws {
        let pair = try DifferentialPair.start(["--enable-debug-command", "yes"])
        defer { pair.stop() }
        try pair.setUpBoth([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "live", "1"]]
                           + (0..<5000).map { ["SET", "e\($0)", "v", "PX", "1"] })
        usleep(20_000)
        // (DBSIZE would differ: how many expired keys each server met is random.)
        try pair.setUpBoth([["RANDOMKEY"], ["EXISTS", "live"], ["RANDOMKEY"]])
    }

    /// COPY ... DB n looks its destination up in database n only: an expired
    /// key of the same name in the current database stays until something
    /// reaches it there (it was expired by the copy, with an `expired` event).
    func testCopyToAnotherDatabaseLeavesTheSameNameHereAlone() throws {
        let pair = try DifferentialPair.start(["--enable-debug-command", "yes"])
        defer { pair.stop() }
        try pair.setUpBoth([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "src", "v"], ["SET", "dst", "old", "PX", "1"],
                            ["SELECT", "1"], ["SET", "dst", "older", "PX", "1"]])
        usleep(20_000)
        // DBSIZE counts expired keys that are still present.
        try pair.setUpBoth([["COPY", "src", "dst", "DB", "1"], ["DBSIZE"], ["SELECT", "1"], ["GET", "dst"], ["DBSIZE"]])
    }

    /// DBSIZE and RANDOMKEY read each database's key count from cells the
    /// tables publish into, without taking the shard locks. Every way a key
    /// comes or goes must keep those cells right: writes and deletes, a
    /// container losing its last element, MOVE, COPY ... DB, RENAME,
    /// SWAPDB (the tables change databases, the cells do not), FLUSHDB,
    /// FLUSHALL, and MULTI/EXEC (every shard held). Database 5 holds at
    /// most one key, so RANDOMKEY there has one right answer.
    func testKeyCountsFollowEveryWayKeysComeAndGoMatchRedis() throws {
        let pair = try DifferentialPair.start()
        defer { pair.stop() }
        var g = SplitMix(seed: 0xDB_512E)
        func pick(_ n: Int) -> Int { Int(g.next() % UInt64(n)) }
        func key() -> String { "k\(pick(60))" }
        func db() -> String { "\(pick(3))" }
        var script: [[String]] = [["FLUSHALL"]]
        for step in 0..<4000 {
            switch pick(24) {
            case 0...5: script.append(["SET", key(), "\(step)"])
            case 6: script.append(["MSET", key(), "a", key(), "b", key(), "c"])
            case 7, 8: script.append(["DEL", key(), key()])
            case 9: script.append(["UNLINK", key()])
            case 10: script.append(["SADD", "set\(pick(5))", "m\(pick(3))"])
            case 11: script.append(["SREM", "set\(pick(5))", "m\(pick(3))"])
            case 12: script.append(["MOVE", key(), db()])
            case 13: script.append(["COPY", key(), key(), "DB", db()])
            case 14: script.append(["RENAME", key(), key()])
            case 15: script.append(["SWAPDB", db(), db()])
            case 16: script.append(["SELECT", db()])
            case 17: script.append(["EXPIRE", key(), "0"])
            case 18: script.append(pick(40) == 0 ? ["FLUSHDB"] : ["DBSIZE"])
            case 19: script += [["MULTI"], ["SET", key(), "m"], ["DBSIZE"], ["DEL", key()], ["DBSIZE"], ["EXEC"]]
            case 20:
                // Database 5: zero or one key, moved through SWAPDB with 6.
                script += [["SELECT", "5"], ["FLUSHDB"], pick(3) == 0 ? ["DBSIZE"] : ["SET", "only\(pick(3))", "x"],
                           ["SWAPDB", "5", "6"], ["SWAPDB", "5", "6"], ["RANDOMKEY"], ["DBSIZE"],
                           ["MULTI"], ["RANDOMKEY"], ["DBSIZE"], ["EXEC"], ["SELECT", db()]]
            case 21: if pick(100) == 0 { script.append(["FLUSHALL"]) } else { script.append(["DBSIZE"]) }
            default: script.append(["DBSIZE"])
            }
        }
        script += [["SELECT", "0"], ["DBSIZE"]]
        let size = try pair.replayOnBoth(script)
        XCTAssertGreaterThan(size, 5, "database 0 ends with keys in it")
    }
}
