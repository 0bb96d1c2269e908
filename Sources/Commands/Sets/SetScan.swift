import RESP
import Storage

/// `SSCAN key cursor [MATCH pattern] [COUNT count]` (see HSCAN).
enum SetScanCommand {
    static let spec = ContainerScan.command("sscan", group: "set", summary: "Iterates over members of a set.") { c, args in
        guard let options = ContainerScan.parse(c, args, from: 2) else { return }
        c.readValue(args[1], as: SetView.self) { s in
            var found = PackedStrings()
            let next = s?.scan(cursor: options.cursor, count: options.count) { m in
                if options.matches(m) { found.append(m) }
            } ?? 0
            ContainerScan.reply(c, next: next, found)
        }
    }
}
