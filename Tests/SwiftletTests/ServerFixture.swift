import XCTest
import Swiftlet
import Commands
import TestSupport

extension XCTestCase {
    /// A server on an ephemeral port, configured with `redis-server`-style
    /// arguments (`["--io-threads", "4"]`). The caller stops it.
    func startServer(_ arguments: [String] = []) throws -> SwiftletServer {
        let config = Configuration()
        try config.load(arguments: arguments, readFile: Configuration.readFileFromDisk, standardInput: Configuration.readStandardInput)
        let s = SwiftletServer(configuration: config)
        try s.start(port: 0, bind: ["127.0.0.1"])
        return s
    }
}

extension TestConnection {
    /// Sends every command in one write and reads (and drops) their replies.
    func pipeline(_ commands: [[String]]) throws {
        try send(commands.flatMap { TestConnection.encode($0.map { Array($0.utf8) }) })
        for _ in commands { _ = try readFrame() }
    }

    /// One numeric field of an INFO section (`info("memory", "used_memory")`).
    func info(_ section: String, _ field: String) throws -> Int? {
        let text = try call("INFO", section).string ?? ""
        let prefix = field + ":"
        return text.split(separator: "\r\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
    }
}
