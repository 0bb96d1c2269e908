import FuzzHarness
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer binary for both targets; `FUZZ_TARGET` (parser or
/// commands) picks the body, so the driver glue exists once.
nonisolated(unsafe) var body: (UnsafeRawBufferPointer) -> Void = FuzzHarness.parser

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    body(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM links an executable's entry point as `<Target>_main`, so libFuzzer's
// own `main` is never used: start its driver from here instead.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("Fuzz_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    switch getenv("FUZZ_TARGET").map({ String(cString: $0) }) ?? "parser" {
    case "parser": body = FuzzHarness.parser
    case "commands": body = FuzzHarness.commands
    case let other:
        fputs("unknown FUZZ_TARGET \(other): use parser or commands\n", stderr)
        return 2
    }
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments, fuzzOne)
}
