extension LuaState {
    public func openMessagePack() {}
}
