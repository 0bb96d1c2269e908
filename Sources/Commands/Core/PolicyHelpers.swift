extension Configuration {
    /// The policy name as CONFIG GET and INFO print it.
    public var maxmemoryPolicyName: String { "\(maxmemoryPolicy)" }
    public var maxmemoryPolicyUsesLFU: Bool { maxmemoryPolicyName.hasSuffix("lfu") }
    public var maxmemoryPolicyUsesLRUOrLFU: Bool { maxmemoryPolicyName.hasSuffix("lfu") || maxmemoryPolicyName.hasSuffix("lru") }
}
