// redstart-fuzz: the fuzz targets of RedstartFuzzing. Built by Fuzz/run.sh with
// -sanitize=fuzzer,address and -DFUZZING it is a libFuzzer binary (the target named by
// REDSTART_FUZZ_TARGET); built plainly it replays inputs: `redstart-fuzz TARGET PATH...`.
import RedstartFuzzing

#if FUZZING
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var selectedTarget: (@Sendable (UnsafeRawBufferPointer) -> Void)?

/// libFuzzer's driver (its own `main` is not the one SwiftPM links for an executable).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// The executable's entry point, as SwiftPM names it for this target.
@_cdecl("redstart_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if selectedTarget == nil {
        let name = getenv("REDSTART_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTargets.all[name] else {
            print("set REDSTART_FUZZ_TARGET to one of: \(FuzzTargets.all.keys.sorted())")
            exit(2)
        }
        selectedTarget = target
    }
    selectedTarget!(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
struct FuzzReplayCommand {
    static func main() {
        exit(FuzzReplay.main(Array(CommandLine.arguments.dropFirst())))
    }
}

#if canImport(Glibc)
import Glibc
#endif
#endif
