/// `CLUSTER <subcommand> [arguments ...]`, `READONLY`, `READWRITE`, `ASKING`
///
/// Swiftlet is a standalone server, like Redis with `cluster-enabled no`.
/// Clients probe for cluster mode (redis-py and ioredis send CLUSTER INFO or
/// CLUSTER SLOTS) and expect Redis's answer to that probe, so every
/// subcommand exists with Redis 7.0's arity and flags, and each answers
/// "ERR This instance has cluster support disabled" once its arity is right
/// (Redis checks arity first, then cluster mode, even for HELP).
/// An unknown subcommand gets the usual "unknown subcommand" error.
enum ClusterCommand {
    static let disabled = "ERR This instance has cluster support disabled"

    private static let refuse: CommandHandler = { c, _ in c.fail(disabled) }

    /// A subcommand that reads cluster state.
    private static func info(_ name: String, arity: Int, since: String = "3.0.0", _ summary: String) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: name == "help" ? [.loading, .stale] : [.stale], acl: ["@slow"],
                    group: "cluster", since: since, summary: summary, handler: refuse)
    }

    /// A subcommand that changes cluster state.
    private static func admin(_ name: String, arity: Int, since: String = "3.0.0", extraFlags: CommandFlags = [.noAsyncLoading],
                              _ summary: String) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: CommandFlags([.admin, .stale]).union(extraFlags),
                    acl: ["@admin", "@slow", "@dangerous"], group: "cluster", since: since, summary: summary, handler: refuse)
    }

    static let spec = CommandSpec(
        "cluster", arity: -2, flags: [], acl: ["@slow"], group: "cluster", since: "3.0.0",
        summary: "Cluster commands (Swiftlet runs standalone: all of them answer that cluster support is disabled).",
        complexity: "Depends on subcommand.",
        subcommands: [
            info("nodes", arity: 2, "The node table of the cluster."),
            info("myid", arity: 2, "This node's id."),
            info("slots", arity: 2, "Which nodes serve which hash slots (deprecated by CLUSTER SHARDS)."),
            admin("delslotsrange", arity: -4, since: "7.0.0", "Unassigns ranges of hash slots from this node."),
            admin("replicas", arity: 3, since: "5.0.0", extraFlags: [], "The replicas of a primary node."),
            info("getkeysinslot", arity: 4, "Keys of this node in one hash slot."),
            info("info", arity: 2, "The cluster's state as seen by this node."),
            admin("setslot", arity: -4, "Changes how a hash slot is bound to nodes."),
            admin("count-failure-reports", arity: 3, extraFlags: [], "How many failure reports stand against a node."),
            admin("saveconfig", arity: 2, "Writes the cluster configuration to disk."),
            admin("reset", arity: -2, extraFlags: [.noscript], "Resets this node's cluster state."),
            admin("forget", arity: 3, "Removes a node from this node's node table."),
            info("help", arity: 2, "Help on the CLUSTER subcommands."),
            info("links", arity: 2, since: "7.0.0", "This node's links to its peers."),
            admin("slaves", arity: 3, extraFlags: [], "The replicas of a primary node (old name of CLUSTER REPLICAS)."),
            admin("addslotsrange", arity: -4, since: "7.0.0", "Assigns ranges of hash slots to this node."),
            info("countkeysinslot", arity: 3, "How many keys of this node are in one hash slot."),
            admin("meet", arity: -4, "Connects this node to another cluster node."),
            admin("bumpepoch", arity: 2, "Advances this node's configuration epoch."),
            admin("delslots", arity: -3, "Unassigns hash slots from this node."),
            info("shards", arity: 2, since: "7.0.0", "The cluster's shards and their nodes."),
            info("keyslot", arity: 3, "The hash slot of a key."),
            admin("replicate", arity: 3, "Makes this node a replica of another."),
            admin("flushslots", arity: 2, "Unassigns every hash slot of this node."),
            admin("failover", arity: -2, "Makes this replica take over from its primary."),
            admin("addslots", arity: -3, "Assigns hash slots to this node."),
            admin("set-config-epoch", arity: 3, "Sets this node's configuration epoch."),
        ], handler: nil)

    /// READONLY / READWRITE / ASKING: per-connection cluster routing modes.
    private static func connectionMode(_ name: String, flags: CommandFlags, _ summary: String) -> CommandSpec {
        CommandSpec(name, arity: 1, flags: flags, acl: ["@fast", "@connection"], group: "cluster", since: "3.0.0",
                    summary: summary, handler: refuse)
    }

    static let readonly = connectionMode("readonly", flags: [.loading, .stale, .fast], "Lets this connection read from a cluster replica.")
    static let readwrite = connectionMode("readwrite", flags: [.loading, .stale, .fast], "Ends READONLY for this connection.")
    static let asking = connectionMode("asking", flags: [.fast], "Lets the next command reach a slot being imported.")
}
