// Runs commands through the engine's dispatcher in-process, with a manual
// clock and a stand-in transport, and decodes the replies for assertions.
import NIOCore
import RedstartRESP

@testable import RedstartEngine

/// A transport that records what the engine asked of it.
final class FakeTransport: SessionTransport {
    var remoteAddress = "127.0.0.1:50000"
    var localAddress = "127.0.0.1:6379"
    var fileDescriptor = 7
    var queryBufferLength = 0
    var queryBufferFree = 0
    var pendingOutputBytes = 0
    var unsentOutputBytes = 0
    var parsedArgumentBytes = 0
    var isUnixSocket = false
    var isClosed = false
    var resumed = 0
    var outputPendingCalls = 0

    func outputPending() { outputPendingCalls += 1 }
    func close() { isClosed = true }
    func resume() { resumed += 1 }
    func releaseIdleBuffers() {}
    func enforceOutputLimit() {}
}

/// An engine plus helpers to run commands and read replies.
final class EngineHarness {
    let clock = ManualClock()
    let engine: Engine
    private var transports: [FakeTransport] = []

    init() {
        engine = Engine(config: ConfigStore(), clock: clock)
    }

    init(configure: (ConfigStore) throws -> Void) throws {
        let config = ConfigStore()
        try configure(config)
        engine = Engine(config: config, clock: clock)
    }

    /// A new client session with its own fake transport.
    func connect(address: String = "127.0.0.1:50000") -> Session {
        let transport = FakeTransport()
        transport.remoteAddress = address
        transports.append(transport)
        return engine.openSession(transport: transport)
    }

    /// Runs one command and returns every reply it wrote.
    @discardableResult
    func run(_ session: Session, _ arguments: String...) -> RESPValue {
        runAll(session, arguments).first ?? .null
    }

    /// Runs one command given as an array; returns all replies written (normally one).
    func runAll(_ session: Session, _ arguments: [String]) -> [RESPValue] {
        _ = engine.execute(CommandArguments(strings: arguments), for: session)
        return drain(session)
    }

    /// Decodes everything in the session's reply buffer.
    func drain(_ session: Session) -> [RESPValue] {
        var buffer = session.takeReplies()
        var values: [RESPValue] = []
        while let value = try? RESPValueParser().next(from: &buffer) { values.append(value) }
        return values
    }

    /// The raw reply bytes of one command.
    func raw(_ session: Session, _ arguments: String...) -> String {
        _ = engine.execute(CommandArguments(strings: arguments), for: session)
        return String(buffer: session.takeReplies())
    }
}

extension RESPValue {
    /// Shorthand for an error value in expectations.
    static func err(_ line: String) -> RESPValue { .error(line) }
}
