import RESP
import Storage

/// FUNCTION DUMP and RESTORE's payload, Redis's: each library as the RDB
/// opcode FUNCTION2 (245) and its code as an RDB string (LZF-compressed
/// under `rdbcompression` when longer than 20 bytes), then the RDB
/// version and a CRC-64, as DUMP's key payloads end.
enum FunctionPayload {
    static let function2: UInt8 = 245
    /// Redis 7.0's release candidates' form: name, engine, an optional
    /// description, then code without the metadata line.
    static let function1: UInt8 = 246

    static func dump(_ c: Client, _ args: Arguments) {
        let engine = c.server.scripts
        var w = RDBWriter(compress: c.server.config.string("rdbcompression") != "no")
        engine.lock.withLock { _ in
            for library in engine.libraries.libraries {
                w.bytes.append(function2)
                w.string(library.code)
            }
        }
        var payload = w.bytes
        RDB.sealPayload(&payload)
        c.reply.bulk(payload)
    }

    enum Policy { case flush, append, replace }

    static func restore(_ c: Client, _ args: Arguments) {
        if args.count > 4 {
            c.fail("ERR unknown subcommand or wrong number of arguments for '\(args[1].string)'. Try FUNCTION HELP.")
            return
        }
        var policy = Policy.append
        if args.count == 4 {
            if args[3].equalsIgnoringCase("flush") { policy = .flush }
            else if args[3].equalsIgnoringCase("append") { policy = .append }
            else if args[3].equalsIgnoringCase("replace") { policy = .replace }
            else { c.fail("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."); return }
        }
        let payload = args[2]
        guard RDB.payloadIsSound(payload) else { c.fail("ERR DUMP payload version or checksum are wrong"); return }
        // The libraries, each created as FUNCTION LOAD would, into a set
        // of their own first: all of them or none.
        // As Redis reads it: the footer is not part of what is read, but a
        // truncated library reads on into it (and fails there).
        var reader = RDBReader(payload)
        let end = payload.count - 10
        let engine = c.server.scripts
        engine.lock.withLock { _ in
            var restored = FunctionLibraries()
            while reader.position < end {
                let code: [UInt8]
                switch reader.byte() {
                case function2:
                    guard let s = reader.string() else { c.fail("ERR Failed loading library payload"); return }
                    code = s
                case function1:
                    guard let name = reader.string() else { c.fail("ERR Failed loading library name"); return }
                    guard let engineName = reader.string() else { c.fail("ERR Failed loading engine name"); return }
                    guard let hasDescription = reader.length(bounded: false) else {
                        c.fail("ERR Failed loading library description indicator"); return
                    }
                    if hasDescription != 0 {
                        guard reader.string() != nil else { c.fail("ERR Failed loading library description"); return }
                    }
                    guard let body = reader.string() else { c.fail("ERR Failed loading library blob"); return }
                    code = Array("#!".utf8) + engineName + Array(" name=".utf8) + name + [10] + body
                default:
                    c.fail("ERR given type is not a function")
                    return
                }
                // (No time limit here: Redis loads restored libraries without one.)
                switch FunctionLoader.create(code, replace: false, libraries: restored, engine: engine, server: c.server,
                                             timeLimited: false) {
                case .failure(let error): c.fail(error.message); return
                case .success(let library): restored.add(library)
                }
            }
            switch policy {
            case .flush:
                engine.libraries = restored
            case .append, .replace:
                var joined = engine.libraries
                for library in restored.libraries where joined.library(named: library.name) != nil {
                    guard policy == .replace else {
                        c.fail("ERR Library \(String(decoding: library.name, as: UTF8.self)) already exists")
                        return
                    }
                    joined.remove(library.name)
                }
                for library in restored.libraries {
                    if let taken = joined.collision(library, replacing: nil) {
                        c.fail("ERR Function \(String(decoding: taken.name, as: UTF8.self)) already exists")
                        return
                    }
                }
                for library in restored.libraries { joined.add(library) }
                engine.libraries = joined
            }
            engine.librariesChanged()
            c.reply.ok()
        }
    }
}
