/// The extra libraries Redis 7.0 loads into its scripting Lua state, in the
/// order Redis loads them: cjson, struct, cmsgpack, bit (`luaLoadLibraries`).
extension LuaState {
    /// Installs `cjson`, `struct`, `cmsgpack` and `bit` as globals.
    public func openRedisLibraries() {
        openCJSON()
        openStruct()
        openMessagePack()
        openBit()
    }
}
