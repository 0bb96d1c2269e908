import XCTest
import SwiftletTesting
import TestSupport

/// The command log, the client list, and publishing.
final class ObservationTests: XCTestCase {
    func testCommandLogRecordsArgumentsAndClients() async throws {
        try await withTestServer { server in
            let a = try TestConnection(port: server.port)
            let b = try TestConnection(port: server.port)
            _ = try a.call("CLIENT", "SETNAME", "cache")
            _ = try a.call("SET", "user:1", "{\"name\":\"ada\"}", "EX", "60")
            _ = try b.call("SELECT", "2")
            try b.send([0x01, 0xFF, 0x20] + Array("x\r\n".utf8))  // an inline command, binary name
            _ = try b.readFrame()
            _ = try b.call("GET", "user:1")

            let log = await server.commandLog
            XCTAssertEqual(log.map(\.name), ["CLIENT", "SET", "SELECT", "\u{1}\u{FFFD}", "GET"])
            let set = log[1]
            XCTAssertEqual(set.arguments, ["SET", "user:1", "{\"name\":\"ada\"}", "EX", "60"])
            XCTAssertEqual(set.client.name, "cache")
            XCTAssertEqual(set.client.database, 0)
            XCTAssertTrue(set.client.address.hasPrefix("127.0.0.1:"))
            XCTAssertNil(set.injected)
            XCTAssertEqual(log[3].rawArguments, [[0x01, 0xFF], [0x78]])
            XCTAssertEqual(log[4].client.database, 2, "the database selected when the command arrived")
            XCTAssertNotEqual(log[4].client.id, set.client.id)
            XCTAssertEqual(String(describing: log[4]), "GET \"user:1\"  (client \(log[4].client.id) \(log[4].client.address) db=2)")

            await server.clearCommandLog()
            let cleared = await server.commandLog
            XCTAssertEqual(cleared, [])
        }
    }

    func testCommandLogKeepsTheNewest() async throws {
        try await withTestServer(TestServer.Options(commandLogLimit: 3)) { server in
            let wire = try TestConnection(port: server.port)
            for i in 0..<10 { _ = try wire.call("ECHO", "\(i)") }
            let log = await server.commandLog
            XCTAssertEqual(log.map { $0.arguments[1] }, ["7", "8", "9"])
        }
        try await withTestServer(TestServer.Options(commandLogLimit: 0)) { server in
            let wire = try TestConnection(port: server.port)
            _ = try wire.call("PING")
            let log = await server.commandLog
            XCTAssertEqual(log, [])
        }
    }

    func testConnectedClients() async throws {
        try await withTestServer { server in
            let none = await server.connectedClients
            XCTAssertEqual(none, [])
            let a = try TestConnection(port: server.port)
            let b = try TestConnection(port: server.port)
            _ = try a.call("CLIENT", "SETNAME", "worker")
            _ = try a.call("CLIENT", "SETINFO", "LIB-NAME", "my-lib")
            _ = try b.call("SELECT", "5")
            let clients = await server.connectedClients
            XCTAssertEqual(clients.count, 2)
            XCTAssertEqual(clients.map(\.name), ["worker", nil])
            XCTAssertEqual(clients.map(\.libraryName), ["my-lib", nil])
            XCTAssertEqual(clients.map(\.database), [0, 5])
            XCTAssertEqual(clients[0].id, Int(try a.call("CLIENT", "ID").int ?? -1))
            a.close()
            // The server notices the close on its own loop.
            var remaining = clients
            for _ in 0..<500 where remaining.count != 1 {
                _ = try b.call("PING")  // a round trip lets the loop process the close
                remaining = await server.connectedClients
            }
            XCTAssertEqual(remaining.map(\.database), [5])
        }
    }

    /// `publish` runs the server's PUBLISH: the receiver count, and the
    /// message on a wire subscriber.
    func testPublishReachesWireSubscribers() async throws {
        try await withTestServer { server in
            let nobody = try await server.publish("news", "hello")
            XCTAssertEqual(nobody, 0, "nobody subscribed")
            let a = try TestConnection(port: server.port)
            let b = try TestConnection(port: server.port)
            XCTAssertEqual(try a.call("SUBSCRIBE", "news"),
                           .array([.bulk(Array("subscribe".utf8)), .bulk(Array("news".utf8)), .integer(1)]))
            XCTAssertEqual(try b.call("PSUBSCRIBE", "n*"),
                           .array([.bulk(Array("psubscribe".utf8)), .bulk(Array("n*".utf8)), .integer(1)]))
            let receivers = try await server.publish("news", "hello")
            XCTAssertEqual(receivers, 2)
            XCTAssertEqual(try a.readFrame(), .array([.bulk(Array("message".utf8)), .bulk(Array("news".utf8)),
                                                      .bulk(Array("hello".utf8))]))
            XCTAssertEqual(try b.readFrame(), .array([.bulk(Array("pmessage".utf8)), .bulk(Array("n*".utf8)),
                                                      .bulk(Array("news".utf8)), .bulk(Array("hello".utf8))]))
            // A direct-access call: not in the command log.
            let log = await server.commandLog.map(\.name)
            XCTAssertEqual(log, ["SUBSCRIBE", "PSUBSCRIBE"])
        }
    }
}
