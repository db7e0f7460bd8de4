// Runs commands in-process through an engine that has the scripting subsystem, and
// returns the raw reply text, so that tests compare replies byte for byte (RESP2 or
// RESP3 as the session chose). Paused scripts go on only when the test says so
// (`runScheduled`), so every interleaving is the test's choice.
import NIOCore
import RedstartEngine
import RedstartRESP
import RedstartScripting

/// A transport that counts what the engine asked of it.
final class TestTransport: SessionTransport {
    var remoteAddress = "127.0.0.1:50000"
    var localAddress = "127.0.0.1:6379"
    var fileDescriptor = 7
    var queryBufferLength = 0
    var queryBufferFree = 0
    var pendingOutputBytes = 0
    var unsentOutputBytes = 0
    var parsedArgumentBytes = 0
    var isUnixSocket = false
    var resumed = 0

    func outputPending() {}
    func close() {}
    func resume() { resumed += 1 }
    func releaseIdleBuffers() {}
    func enforceOutputLimit() {}
}

/// A propagation sink that records units as "db: command" lines.
final class RecordingSink: PropagationSink {
    var units: [[String]] = []

    func propagate(_ unit: [PropagatedCommand]) {
        units.append(unit.map { "\($0.database): \($0.description)" + ($0.targets == .all ? "" : " [\($0.targets.rawValue)]") })
    }
}

final class ScriptingHarness {
    let engine: Engine
    let scripting: Scripting

    private let box = ScheduledBox()

    init() {
        engine = Engine(config: ConfigStore(), table: .standard(adding: Scripting.commands))
        let box = self.box
        scripting = Scripting(engine: engine) { work in box.work.append(work) }
        engine.scripting = scripting
    }

    /// A new client.
    func connect() -> Session { engine.openSession(transport: TestTransport()) }

    /// Runs one command and returns its raw reply.
    @discardableResult
    func raw(_ session: Session, _ arguments: String...) -> String {
        rawArgs(session, arguments)
    }

    func rawArgs(_ session: Session, _ arguments: [String]) -> String {
        _ = engine.execute(CommandArguments(strings: arguments), for: session)
        return String(buffer: session.takeReplies())
    }

    /// Runs one command and returns how it ended (the reply stays in the session).
    func start(_ session: Session, _ arguments: String...) -> ExecutionResult {
        engine.execute(CommandArguments(strings: arguments), for: session)
    }

    /// Runs the continuations scheduled so far; returns how many ran.
    @discardableResult
    func runScheduled() -> Int {
        let work = box.work
        box.work.removeAll()
        work.forEach { $0() }
        return work.count
    }

    var hasScheduledWork: Bool { !box.work.isEmpty }
}

private final class ScheduledBox {
    var work: [() -> Void] = []
}
