import RESP
import Storage

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`
///
/// A packed hash is returned whole in one call (cursor 0), as Redis does
/// with listpacks; a table is walked in hash order, so every field present
/// for a whole iteration is returned at least once.
enum HashScanCommand {
    static let spec = ContainerScan.command("hscan", group: "hash", summary: "Iterates over fields and values of a hash.", run)

    static func run(_ c: Client, _ args: Arguments) {
        guard let options = ContainerScan.parse(c, args, from: 2) else { return }
        c.readValue(args[1], as: HashView.self) { h in
            var found = PackedStrings()
            let next = h?.scan(cursor: options.cursor, count: options.count) { field, value in
                if options.matches(field) { found.append(field); found.append(value) }
            } ?? 0
            ContainerScan.reply(c, next: next, found)
        }
    }
}
