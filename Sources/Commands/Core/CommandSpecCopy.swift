extension CommandSpec {
    /// A copy of the spec and its subcommands. Each `CommandTable` registers
    /// copies, because registering assigns `id` (and `rename-command`
    /// renumbers): the catalog's specs are process-wide `static let`s, and
    /// several servers in one process (the test fixture) must not share them.
    /// Every container's HELP subcommand: usable while loading or stale, nothing more.
    public static let helpFlags: CommandFlags = [.loading, .stale]

    func copy() -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, acl: aclCategories, keys: (firstKey, lastKey, keyStep),
                    group: group, since: since, summary: summary, complexity: complexity, arguments: arguments,
                    subcommands: subcommands.map { $0.copy() }, handler: handler)
    }
}
