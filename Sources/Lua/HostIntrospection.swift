/// What a host builtin may ask about the Lua code that called it (Redis
/// puts the calling line into the errors its `redis.call` raises).
extension LuaState {
    /// The line the Lua function `level` calls up is executing (1: the
    /// builtin's caller), or nil when that frame is not a Lua function.
    public func currentLine(level: Int) -> Int? {
        let index = depth - level
        guard index > 0, callInfos[index].function?.proto != nil else { return nil }
        return Int(callInfos[index].line)
    }

    /// The line of the innermost Lua frame at `depth` (a builtin's caller
    /// when a builtin raised), for `lastErrorLine`.
    func innermostLine() -> Int? {
        var index = depth
        while index > 0 {
            if callInfos[index].function?.proto != nil { return Int(callInfos[index].line) }
            index -= 1
        }
        return nil
    }
}
