import RESP
import Storage

/// `HDEL key field [field ...]`
///
/// Replies with the number of fields removed; the key goes with its last field.
enum HashDelCommand {
    static let spec = CommandSpec(
        "hdel", arity: -3, flags: [.write, .fast], acl: ["@write", "@hash", "@fast"], keys: (1, 1, 1),
        group: "hash", since: "2.0.0", summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
        arguments: [ArgumentSpec("key", .key, keySpecIndex: 0), ArgumentSpec("field", .string, multiple: true)],
        handler: { c, args in
            c.removeElements(args, as: HashView.self, notify: .hash, event: "hdel") { h, field in h.remove(field) }
        })
}
