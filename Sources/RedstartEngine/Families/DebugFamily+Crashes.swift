// DEBUG's ways of ending the process, as Redis's suite and operators use them:
// SEGFAULT (a real SIGSEGV), PANIC and ASSERT (a software failure and a failed
// assertion, with Redis's report), OOM (an allocation that cannot be served, which
// the server treats as Redis does: a report and the end), LEAK (memory never
// freed), and RESTART / CRASH-AND-RECOVER (the same executable started again in
// this process, after a clean shutdown or without one).
import CRedstartShims
import RedstartRESP

#if canImport(Glibc)
import Glibc
#endif

extension DebugFamily {
    /// Runs the subcommand if it is one of these; false otherwise.
    static func crashOrRestart(_ cmd: CommandContext) throws(ReplyError) -> Bool {
        let count = cmd.args.count
        if cmd.argument(1, is: "segfault") {
            redstart_crash_segfault()
            cmd.reply.ok()  // Not reached: the write above ends the process.
        } else if cmd.argument(1, is: "panic") {
            redstart_crash_panic("DEBUG PANIC called at Unix time \(time(nil)) #DebugFamily+Crashes.swift:\(#line)")
        } else if cmd.argument(1, is: "assert") {
            logClientContext(cmd)
            redstart_crash_assertion("1 == 2", "DebugFamily+Crashes.swift", #line)
        } else if cmd.argument(1, is: "oom") {
            // An allocation no heap can serve: the server's answer to running out of memory.
            let size = Int.max / 2
            guard let block = malloc(size) else {
                cmd.engine.log(.warning, "Out Of Memory allocating \(size) bytes!")
                redstart_crash_panic("Redstart aborting for OUT OF MEMORY. Allocating \(size) bytes!")
            }
            free(block)
            cmd.reply.ok()
        } else if cmd.argument(1, is: "leak") && count == 3 {
            // A copy of the string that nothing frees (tests of memory reporting).
            let bytes = cmd.args.bytes(at: 2)
            let block = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            bytes.withUnsafeBytes { block.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            cmd.reply.ok()
        } else if cmd.argument(1, is: "restart") || cmd.argument(1, is: "crash-and-recover") {
            var delay = 0
            if count >= 3 { delay = Int(clamping: max(0, try cmd.integer(2))) }
            cmd.engine.host?.restart(graceful: cmd.argument(1, is: "restart"), delayMilliseconds: delay)
            throw ReplyError("failed to restart the server. Check server logs.")
        } else {
            return false
        }
        return true
    }

    /// The client whose command failed an assertion, logged before the report as Redis does.
    private static func logClientContext(_ cmd: CommandContext) {
        cmd.engine.log(.warning, "=== ASSERTION FAILED CLIENT CONTEXT ===")
        cmd.engine.log(.warning, "client->argc = \(cmd.args.count)")
        for index in 0..<cmd.args.count {
            cmd.engine.log(.warning, "client->argv[\(index)] = \"\(cmd.args.string(at: index))\"")
        }
    }
}
