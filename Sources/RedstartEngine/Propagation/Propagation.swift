// Propagation: the write commands the engine ran, in the order they ran, for
// whatever replays them (the AOF and replicas plug in as a PropagationSink).
// A command that changed the dataset is recorded after it runs; an expired key
// is recorded as DEL (UNLINK with lazyfree-lazy-expire) when it is removed. At
// the end of the outermost command (a whole EXEC) the records leave as one
// unit, wrapped in MULTI … EXEC when there are several (Redis's
// propagatePendingCommands). Read-only commands, writes that changed nothing,
// and EXEC itself are never recorded. With no sink nothing is recorded at all.
import RedstartRESP

/// Where a propagated command goes (a script's redis.set_repl narrows it).
public struct PropagationTargets: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The append-only file (Redis's PROPAGATE_AOF).
    public static let aof = PropagationTargets(rawValue: 1)
    /// Replicas (PROPAGATE_REPL).
    public static let replicas = PropagationTargets(rawValue: 2)
    public static let all: PropagationTargets = [.aof, .replicas]
}

/// One command to replay, with the database it ran in. It is kept as the RESP array the
/// AOF and replicas write (encoded once, when the command is recorded).
public struct PropagatedCommand: Sendable, Equatable, CustomStringConvertible {
    public let database: Int
    /// `*<n>` and each argument as a bulk string.
    public internal(set) var encoded: [UInt8]
    /// Where it goes; everything but a script's writes after redis.set_repl goes everywhere.
    public let targets: PropagationTargets

    public init(database: Int, arguments: [[UInt8]], targets: PropagationTargets = .all) {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(arguments.reduce(16) { $0 + $1.count + 16 })
        AOFEncoding.appendCommand(arguments, to: &encoded)
        self.init(database: database, encoded: encoded, targets: targets)
    }

    init(database: Int, encoded: [UInt8], targets: PropagationTargets) {
        self.database = database
        self.encoded = encoded
        self.targets = targets
    }

    /// The arguments, decoded from `encoded`.
    public var arguments: [[UInt8]] {
        encoded.withUnsafeBytes { raw in
            guard case .command(let spans, _, _) = AOFRecordParser.record(in: raw, at: 0) else { return [] }
            return spans.map { Array(raw[$0.offset..<($0.offset + $0.length)]) }
        }
    }

    public var description: String {
        arguments.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }
}

/// Receives propagated commands.
public protocol PropagationSink: AnyObject {
    /// One unit to apply atomically, in order; the sink emits SELECT where the database changes.
    func propagate(_ unit: [PropagatedCommand])
    /// Where its commands go: a command for no target of its is not recorded at all (a
    /// PUBLISH while only the AOF is on).
    var targets: PropagationTargets { get }
}

extension PropagationSink {
    public var targets: PropagationTargets { .all }
}

extension Engine {
    static let delName = Array("DEL".utf8)
    static let unlinkName = Array("UNLINK".utf8)
    static let multiName = Array("MULTI".utf8)
    static let execName = Array("EXEC".utf8)
    static let setName = Array("SET".utf8)
    static let pxatName = Array("PXAT".utf8)
    static let keepTTLName = Array("KEEPTTL".utf8)
    static let pexpireatName = Array("PEXPIREAT".utf8)
    static let persistName = Array("PERSIST".utf8)

    /// DEL, or UNLINK when the deletion was lazy: how a removal propagates.
    static func deletion(lazily: Bool) -> [UInt8] { lazily ? unlinkName : delName }

    /// Records `arguments` to propagate when the running command ends.
    func alsoPropagate(database: Int, _ arguments: [[UInt8]], narrowedTo narrowing: PropagationTargets = .all) {
        guard let sink = propagationSink else { return }
        let targets = propagationTargets.intersection(narrowing)
        guard !targets.isDisjoint(with: sink.targets) else { return }
        pendingPropagation.append(PropagatedCommand(database: database, arguments: arguments, targets: targets))
    }

    /// Makes the running command propagate as `arguments` instead of as called (a served
    /// BLPOP as LPOP, Redis's rewriteClientCommandVector). Free when nothing listens.
    func propagateRunningCommand(as arguments: @autoclosure () -> [[UInt8]]) {
        guard propagationSink != nil else { return }
        rewrittenCommand = arguments()
    }

    /// Makes the running command propagate even when it changed nothing, to `targets` (FLUSHDB
    /// of an empty database; PUBLISH, to replicas only: Redis's forceCommandPropagation).
    func forceRunningCommandPropagation(to targets: PropagationTargets = .all) {
        guard propagationSink != nil else { return }
        forcedPropagationTargets.formUnion(targets)
    }

    /// Keeps the running command from propagating as called: it recorded its effects itself
    /// with alsoPropagate (Redis's preventCommandPropagation).
    func preventRunningCommandPropagation() {
        guard propagationSink != nil else { return }
        rewrittenCommand = []
    }

    /// Records a command that ran, as it was called (encoded straight from the request).
    func propagate(_ args: CommandArguments, database: Int, narrowedTo narrowing: PropagationTargets = .all) {
        guard let sink = propagationSink else { return }
        let targets = propagationTargets.intersection(narrowing)
        guard !targets.isDisjoint(with: sink.targets) else { return }
        var encoded = spareEncodings.popLast() ?? []
        encoded.removeAll(keepingCapacity: true)
        encoded.reserveCapacity(args.byteCount + 16 * (args.count + 1))
        AOFEncoding.appendHeader(args.count, to: &encoded)
        for index in 0..<args.count { args.withBytes(at: index) { AOFEncoding.appendBulk($0, to: &encoded) } }
        pendingPropagation.append(PropagatedCommand(database: database, encoded: encoded, targets: targets))
    }

    /// Sends what the finished command recorded, as one unit (Redis's propagatePendingCommands).
    /// `wrap`: several records are wrapped in MULTI … EXEC.
    func flushPropagation(wrap: Bool = true) {
        guard !pendingPropagation.isEmpty else { return }
        if wrap && pendingPropagation.count > 1 {
            pendingPropagation.insert(PropagatedCommand(database: pendingPropagation[0].database, arguments: [Self.multiName]), at: 0)
            pendingPropagation.append(
                PropagatedCommand(database: pendingPropagation[pendingPropagation.count - 1].database, arguments: [Self.execName]))
        }
        // Handed over as it is and emptied in place afterwards (no copy per command); the sinks
        // run no commands, so nothing is recorded meanwhile.
        propagationSink?.propagate(pendingPropagation)
        // The small buffers go back for the next commands' encodings (the sinks copied the
        // bytes; one a sink kept is not reused in place: the array copies on write).
        // Swapped out rather than copied: no retain and release for each.
        for index in pendingPropagation.indices
        where spareEncodings.count < Self.spareEncodingCount
            && pendingPropagation[index].encoded.capacity <= Self.spareEncodingCapacity
        {
            spareEncodings.append([])
            swap(&spareEncodings[spareEncodings.count - 1], &pendingPropagation[index].encoded)
        }
        pendingPropagation.removeAll(keepingCapacity: true)
    }

    /// At most this many spare encoding buffers of at most this many bytes are kept (16 KB).
    static let spareEncodingCount = 32
    static let spareEncodingCapacity = 512
}
