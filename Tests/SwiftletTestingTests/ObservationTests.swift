import XCTest
import SwiftletTesting
import TestSupport

/// The command log, the client list, and pub/sub's placeholders.
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

    /// `publish` forwards to the server's PUBLISH: a clear `notSupported`
    /// error while Swiftlet has none, the receiver count once it does.
    func testPublishFollowsTheServer() async throws {
        try await withTestServer { server in
            do {
                let receivers = try await server.publish("news", "hello")
                XCTAssertEqual(receivers, 0, "nobody subscribed")
            } catch let error as TestServerError where error.kind == .notSupported {
                XCTAssertEqual(error.description,
                               "publish(_:_:): Swiftlet has no pub/sub yet (PUBLISH is an unknown command)")
            }
            do {
                _ = try await server.subscribe(to: "news")
                XCTFail("subscribe(to:) is not implemented yet")
            } catch let error as TestServerError {
                XCTAssertEqual(error.kind, .notSupported)
                XCTAssertTrue(error.description.hasPrefix("subscribe(to:)"), error.description)
            }
        }
    }
}
