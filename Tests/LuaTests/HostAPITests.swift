import Foundation
import XCTest
import Lua

/// The host-facing behaviour the Redis integration relies on: limits that
/// keep the process alive, the step hook, error values, builtins, globals.
final class HostAPITests: XCTestCase {
    private func message(_ error: Error) -> String {
        if let e = error as? LuaError { return e.description }
        if let e = error as? LuaSyntaxError { return e.message }
        return "\(error)"
    }

    func testSyntaxErrorsCarryLuaMessagesAndChunkName() {
        let state = LuaState()
        XCTAssertThrowsError(try state.load(Array("x = = 1".utf8), chunkName: Array("@user_script".utf8))) { error in
            XCTAssertTrue(error is LuaSyntaxError)
            XCTAssertEqual(message(error), "user_script:1: unexpected symbol near '='")
        }
        XCTAssertThrowsError(try state.load("return 'abc", chunkName: "=f")) { error in
            XCTAssertEqual(message(error), "f:1: unfinished string near '<eof>'")
        }
    }

    func testRuntimeErrorPositionUsesChunkName() throws {
        let state = LuaState()
        let f = try state.load("local t = nil\nreturn t.x", chunkName: "@user_script")
        XCTAssertThrowsError(try state.call(.function(f))) { error in
            XCTAssertEqual(message(error), "user_script:2: attempt to index local 't' (a nil value)")
        }
    }

    func testCallPassesArgumentsAndReturnsResults() throws {
        let state = LuaState()
        let f = try state.load("local a, b = ... return a + b, a .. b, select('#', ...)", chunkName: "=t")
        let results = try state.call(.function(f), [.number(2), .number(3)])
        XCTAssertEqual(results.count, 3)
        guard case .number(5) = results[0], case .string(let s) = results[1], case .number(2) = results[2] else {
            return XCTFail("unexpected results \(results)")
        }
        XCTAssertEqual(s.description, "23")
    }

    func testBuiltinsSeeArgumentsAndRaiseTableErrors() throws {
        let state = LuaState()
        let redis = LuaTable()
        state.setGlobal("redis", .table(redis))
        state.registerFunction("sum", in: redis) { args in
            var total = 0.0
            for i in 1...max(1, args.count) where i <= args.count { total += try args.checkNumber(i) }
            return try args.return(.number(total))
        }
        state.registerFunction("fail", in: redis) { args in
            let error = LuaTable()
            try error.rawSet(.string("err"), .string("ERR something"))
            throw LuaError(.table(error))
        }
        let results = try state.run("return redis.sum(1, 2, 3), pcall(redis.fail)")
        guard case .number(6) = results[0], case .boolean(false) = results[1], case .table(let t) = results[2] else {
            return XCTFail("unexpected \(results)")
        }
        XCTAssertEqual(t[.string("err")].coercedString?.description, "ERR something")
        XCTAssertThrowsError(try state.run("redis.sum(1, 'x')", chunkName: "@user_script")) { error in
            XCTAssertEqual(message(error), "user_script:1: bad argument #2 to 'sum' (number expected, got string)")
        }
        XCTAssertThrowsError(try state.run("redis.fail()")) { error in
            guard let e = error as? LuaError, case .table(let t) = e.value else { return XCTFail("expected a table error") }
            XCTAssertEqual(t[.string("err")].coercedString?.description, "ERR something")
        }
    }

    func testStringSizeCapRaisesNotEnoughMemory() throws {
        let state = LuaState()
        state.maxStringLength = 1 << 20
        var results = try state.run("return pcall(string.rep, 'x', 1e9)")
        XCTAssertEqual(results.last?.coercedString?.description, "not enough memory")
        results = try state.run("local s = 'x' return pcall(function() while true do s = s .. s end end)")
        XCTAssertEqual(results.last?.coercedString?.description, "not enough memory")
        results = try state.run("return pcall(string.format, '%s%s', string.rep('x', 600000), string.rep('y', 600000))")
        XCTAssertEqual(results.last?.coercedString?.description, "not enough memory")
        results = try state.run("local t = {} for i = 1, 3000 do t[i] = string.rep('z', 1000) end return pcall(table.concat, t)")
        XCTAssertEqual(results.last?.coercedString?.description, "not enough memory")
        results = try state.run("return #string.rep('ab', 1000)")
        guard case .number(2000) = results[0] else { return XCTFail("small strings still work") }
    }

    func testDeepRecursionIsAnErrorOnAnOrdinaryThread() throws {
        // Runs on XCTest's thread (8 MiB); a debug build uses far more
        // native stack per level than release, and must still not crash.
        let state = LuaState()
        let results = try state.run("local function f(n) return 1 + f(n + 1) end return pcall(f, 1)")
        XCTAssertEqual(results.last?.coercedString?.description, "chunk:1: stack overflow")
        // Metamethod and pcall recursion go through the re-entry limit.
        let more = try state.run("""
            local mt = {} mt.__index = function(t, k) return setmetatable({}, mt)[k] end
            return pcall(function() return setmetatable({}, mt).x end)
            """)
        XCTAssertEqual(more.last?.coercedString?.description, "chunk:1: C stack overflow")
        // The state is usable afterwards.
        XCTAssertEqual(try state.run("return 1 + 1").first?.coercedNumber, 2)
    }

    func testCallDepthLimitIsSettable() throws {
        let state = LuaState()
        state.maxCallDepth = 50
        let results = try state.run("local n = 0 local function f() n = n + 1 return 1 + f() end local ok, e = pcall(f) return n, e")
        XCTAssertEqual(results[0].coercedNumber, 48)
        XCTAssertEqual(results[1].coercedString?.description, "chunk:1: stack overflow")
    }

    func testPatternRecursionIsBounded() throws {
        let state = LuaState()
        let results = try state.run("return pcall(string.find, string.rep('a', 100000), string.rep('a?', 100000) .. 'b')")
        XCTAssertEqual(results.last?.coercedString?.description, "pattern too complex")
    }

    struct Abort: Error {}

    func testHookAbortsThroughPcall() throws {
        let state = LuaState()
        var calls = 0
        state.hookInterval = 1000
        state.hook = {
            calls += 1
            if calls >= 5 { throw Abort() }
        }
        XCTAssertThrowsError(try state.run("while true do pcall(function() while true do end end) end")) { error in
            XCTAssertTrue(error is Abort, "non-Lua errors from the hook reach the host")
        }
        XCTAssertEqual(calls, 5)
        state.hook = nil
        XCTAssertEqual(try state.run("local s = 0 for i = 1, 100000 do s = s + i end return s").first?.coercedNumber, 5000050000)
    }

    func testHookLuaErrorIsCatchable() throws {
        let state = LuaState()
        var fired = false
        state.hookInterval = 100
        state.hook = {
            if !fired { fired = true; throw LuaError(message: "timeout") }
        }
        let results = try state.run("local ok, e = pcall(function() for i = 1, 1e6 do end end) return ok, e")
        guard case .boolean(false) = results[0] else { return XCTFail("expected pcall to catch") }
        XCTAssertEqual(results[1].coercedString?.description, "timeout")
    }

    func testReadOnlyTables() throws {
        let state = LuaState()
        state.globals.isReadOnly = true
        XCTAssertThrowsError(try state.run("x = 1", chunkName: "@user_script")) { error in
            XCTAssertEqual(message(error), "user_script:1: Attempt to modify a readonly table")
        }
        XCTAssertThrowsError(try state.run("rawset(_G, 'y', 1)")) { error in
            XCTAssertEqual(message(error), "Attempt to modify a readonly table")
        }
        XCTAssertEqual(try state.run("local t = {} t.x = 1 return t.x").first?.coercedNumber, 1)
        let t = LuaTable()
        t.isReadOnly = true
        state.setGlobal("ro", .table(t))
        XCTAssertThrowsError(try state.run("table.insert(ro, 1)"))
        XCTAssertThrowsError(try state.run("ro[1] = 2"))
    }

    func testPrintSinkAndReplaceableRandom() throws {
        let state = LuaState()
        var printed: [UInt8] = []
        state.printSink = { printed += $0 }
        var seeds: [Int] = []
        state.random = { 0.5 }
        state.randomSeed = { seeds.append($0) }
        try state.run("print('a', 1, nil) math.randomseed(7) print(math.random(10), math.random(), math.random(3, 5))")
        XCTAssertEqual(String(decoding: printed, as: UTF8.self), "a\t1\tnil\n6\t0.5\t4\n")
        XCTAssertEqual(seeds, [7])
    }

    func testGlobalsAndTablesFromSwift() throws {
        let state = LuaState()
        let t = LuaTable()
        t.append(.string("a"))
        t.append(.string("b"))
        try t.rawSet(.string("k"), .number(1))
        state.setGlobal("data", .table(t))
        XCTAssertEqual(try state.run("return #data .. data[2] .. data.k").first?.coercedString?.description, "2b1")
        try state.run("result = {1, 2, 3, x = 'y'}")
        guard case .table(let result) = state.global("result") else { return XCTFail("expected a table") }
        XCTAssertEqual(result.length, 3)
        XCTAssertEqual(result.entries.count, 4)
    }

    func testHostStateRecoversAfterErrors() throws {
        let state = LuaState()
        for _ in 0..<100 {
            XCTAssertThrowsError(try state.run("local function f() error({}) end f()"))
        }
        XCTAssertEqual(try state.run("return 40 + 2").first?.coercedNumber, 42)
    }
}
