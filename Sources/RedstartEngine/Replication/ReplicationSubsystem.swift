// The seam between the engine and replication (RedstartServer/Replication): what
// the gatekeeper, the keyspace, INFO and HELLO need to know about the server's
// role. The subsystem keeps everything else (the backlog, the replicas, the link
// to a primary) and registers its own commands (REPLICAOF, PSYNC, WAIT, ...).

/// The replication subsystem, as the engine sees it.
public protocol ReplicationSubsystem: AnyObject {
    /// INFO's `replication` section.
    func infoFields() -> [(String, String)]
    /// A session's connection closed (an attached replica, a client in WAIT).
    func sessionClosed(_ session: Session)
    /// CLIENT UNBLOCK of a client in WAIT: it gets `error`, or (nil) what its timeout would
    /// have given. False when the session is not in WAIT.
    func unblock(_ session: Session, with error: ReplyError?) -> Bool
    /// Clients in WAIT (INFO blocked_clients counts them).
    var waitingClientCount: Int { get }
    /// Writes a command into the replication stream as it is (DEBUG REPLICATE).
    func replicate(_ arguments: [[UInt8]])
    /// What an RDB file records of the replication stream, when this server is in one.
    var saveInfo: RDBReplicationInfo? { get }
    /// Stream bytes the backlog holds for `session`, a replica that is behind (CLIENT LIST omem).
    func streamBytesHeld(for session: Session) -> Int
    /// The replication buffers' memory (INFO memory, MEMORY STATS, eviction).
    var memory: ReplicationMemory { get }
}

/// Memory of the replication stream, as Redis 7.0 reports it.
public struct ReplicationMemory: Sendable, Equatable {
    /// The backlog's blocks, shared by the backlog and the replicas (mem_total_replication_buffers).
    public var buffers: Int
    /// The part that is the backlog's: up to repl-backlog-size (mem_replication_backlog).
    public var backlog: Int
    /// The replicas' part: the blocks beyond that, held for replicas that are behind, and
    /// what their connections hold (mem_clients_slaves; not counted for eviction).
    public var replicas: Int

    public init(buffers: Int = 0, backlog: Int = 0, replicas: Int = 0) {
        self.buffers = buffers
        self.backlog = backlog
        self.replicas = replicas
    }
}

/// Where a dataset saved to RDB stands in its replication stream: the aux fields
/// repl-stream-db, repl-id and repl-offset, which let a restarted server continue with
/// PSYNC instead of a full copy.
public struct RDBReplicationInfo: Sendable, Equatable {
    public var streamDatabase: Int
    public var id: String
    public var offset: Int64

    public init(streamDatabase: Int, id: String, offset: Int64) {
        self.streamDatabase = streamDatabase
        self.id = id
        self.offset = offset
    }

    /// Read from an RDB file's aux fields; nil unless all three are there and valid.
    public init?(aux: [(String, String)]) {
        var database: Int?
        var id: String?
        var offset: Int64?
        for (key, value) in aux {
            switch key {
            case "repl-stream-db": database = Int(value)
            case "repl-id": id = value
            case "repl-offset": offset = Int64(value)
            default: break
            }
        }
        guard let database, database != -1, let id, id.utf8.count == 40, let offset, offset != -1 else { return nil }
        self.init(streamDatabase: database, id: id, offset: offset)
    }
}

/// What the gatekeeper and the keyspace check on every command (kept in the engine so
/// the checks cost a field read).
public struct ReplicationGate: Sendable {
    /// Following a primary: keys never expire by themselves (the primary sends DEL), and
    /// with `readOnly` clients may not write.
    public var isReplica = false
    /// replica-read-only.
    public var readOnly = true
    /// The link to the primary is up (master_link_status:up).
    public var linkUp = false
    /// replica-serve-stale-data.
    public var serveStale = true
    /// min-replicas-to-write is set and fewer replicas than that are good: writes get
    /// -NOREPLICAS.
    public var lacksGoodReplicas = false

    public init() {}
}

extension ReplyError {
    static let readOnlyReplica = ReplyError(code: "READONLY", "You can't write against a read only replica.")
    static let noReplicas = ReplyError(code: "NOREPLICAS", "Not enough good replicas to write.")
    /// CLIENT UNBLOCK ... ERROR.
    public static let unblockedByClient = ReplyError(code: "UNBLOCKED", "client unblocked via CLIENT UNBLOCK")
    /// What blocked clients (BLPOP, WAIT, ...) get when the server becomes a replica.
    public static let unblockedByRoleChange = ReplyError(
        code: "UNBLOCKED", "force unblock from blocking operation, instance state changed (master -> replica?)")
    static let masterDown = ReplyError(
        code: "MASTERDOWN", "Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
}

extension Engine {
    /// The replication refusal for a command with `flags` from `session`, if any (Redis's
    /// processCommand order: -NOREPLICAS, -READONLY, then -MASTERDOWN).
    func replicationRefusal(_ flags: CommandFlags, _ session: Session) -> ReplyError? {
        let gate = replicationGate
        guard session.replicationKind != .master else { return nil }
        let writes = flags.contains(.write)
        if writes && gate.lacksGoodReplicas && !gate.isReplica { return .noReplicas }
        if writes && gate.isReplica && gate.readOnly { return .readOnlyReplica }
        if gate.isReplica && !gate.linkUp && !gate.serveStale && !flags.contains(.stale) { return .masterDown }
        return nil
    }

    /// Blocks `session` until the replication subsystem answers it (WAIT): its command
    /// returns `.blocked` and the session runs nothing else meanwhile.
    public func holdForReplication(_ session: Session) {
        session.isBlocked = true
    }

    /// Ends a hold: the reply is already written; the session goes on with its input.
    public func releaseFromReplication(_ session: Session) {
        guard session.isBlocked else { return }
        session.isBlocked = false
        session.transport?.resume()
    }
}

extension Engine {
    /// FAILOVER, and a shutdown waiting for its replicas: holds every client's writes (as
    /// CLIENT PAUSE WRITE) until `endWritePause`.
    public func pauseWritesUntilEnded() {
        pauseClients(.write, until: .max)
    }

    /// The failover or shutdown wait ended (done or aborted): held clients go on.
    public func endWritePause() {
        unpauseClients()
    }
}
