extension Configuration {
    /// The policy name as CONFIG GET and INFO print it.
    public var maxmemoryPolicyName: String { maxmemoryPolicy.rawValue }
    public var maxmemoryPolicyUsesLRUOrLFU: Bool { maxmemoryPolicyName.hasSuffix("lfu") || maxmemoryPolicyName.hasSuffix("lru") }
}
