// Pausing a long script so that the server stays responsive.
//
// Redis answers other clients while a script runs past busy-reply-threshold by
// processing events from inside its Lua hook. An NIO event loop cannot be
// entered from inside one of its own callbacks, so Redstart turns it around: a
// command that runs a script runs on a fiber (a second C stack on the same
// thread, fiber.c). When the hook finds the script past the threshold, the
// fiber yields back to the event loop — the script's C and Lua frames, pcalls
// and all, stay intact on the fiber's stack — and a task scheduled on the loop
// resumes it; it pauses again after about a millisecond of work. Meanwhile the engine's
// gatekeeper answers -BUSY to everything but allow-busy commands, the cron and
// blocking timeouts stand still, and the script's client is protected. Switching
// costs ~25 ns a round trip, so every script command runs on the fiber.
import CRedstartLua
import RedstartEngine

extension Scripting {
    public func runPausable(_ command: consuming AdmittedCommand) -> Bool {
        // Without a loop to come back to (or already on the fiber) the command just runs.
        guard let fiber, redstart_fiber_is_current(fiber) == 0 else {
            engine.run(command)
            return true
        }
        // One script at a time: while one is paused the gatekeeper answers -BUSY to every
        // command that could start another (only allow-busy commands run, none of them a
        // script), so the fiber and `pausedCommand` are free here.
        precondition(engine.busyScript == nil, "a script command reached the fiber while a script is paused")
        // Handed to the fiber through `pausedCommand`: moved in here, moved out by the fiber's
        // entry, whose frame owns it for as long as the command runs, paused or not (no copy:
        // each copy of a command is four retains and four releases).
        pausedCommand.initialize(to: command)
        return redstart_fiber_run(fiber, runPausedCommand, Unmanaged.passUnretained(self).toOpaque()) != 0
    }

    /// Pauses the running script when it runs on the fiber: the server becomes busy (first
    /// time), the command's engine state is set aside, and the loop gets control until the
    /// scheduled continuation resumes the fiber.
    func pauseIfPossible(_ run: ScriptRun) {
        guard let fiber, let schedule, redstart_fiber_is_current(fiber) != 0 else { return }
        // Slices of about a millisecond: the loop serves the others between them.
        let now = engine.clock.monotonicMicroseconds
        if engine.busyScript != nil && now - run.lastResumed < 1000 { return }
        if engine.busyScript == nil { engine.enterBusyState(BusyScript(session: run.caller, isEval: run.isEval)) }
        let caller: Session = run.caller
        engine.whileCommandIsSetAside {
            schedule { [self] in continuePausedScript(of: caller) }
            redstart_fiber_yield(fiber)
        }
        run.lastResumed = engine.clock.monotonicMicroseconds
    }

    /// Runs the paused script on; when its command ends, the server is no longer busy.
    private func continuePausedScript(of caller: Session) {
        guard let fiber else { return }
        if redstart_fiber_resume(fiber) != 0 {
            engine.finishPausedCommand(caller)
        }
    }
}

/// The fiber's entry: runs the command `runPausable` was given, taking it out of
/// `pausedCommand` (the slot is free again once this starts).
private func runPausedCommand(_ context: UnsafeMutableRawPointer?) {
    // Borrowed, not retained: the subsystem and the engine outlive every command.
    Unmanaged<Scripting>.fromOpaque(context!)._withUnsafeGuaranteedRef { scripting in
        let command = scripting.pausedCommand.move()
        scripting.engineReference._withUnsafeGuaranteedRef { $0.run(command) }
    }
}
