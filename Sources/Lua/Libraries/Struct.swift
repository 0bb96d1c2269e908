extension LuaState {
    public func openStruct() {}
}
