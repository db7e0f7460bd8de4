// CLIENT PAUSE: holds commands of every client (ALL) or only those that may
// write (WRITE) until a deadline or CLIENT UNPAUSE. Held clients run their
// command, in arrival order, when the pause ends.

/// An active CLIENT PAUSE.
struct ClientPause {
    enum Kind { case all, write }

    var kind: Kind
    /// Unix milliseconds when the pause ends.
    var deadline: Int64

    /// Whether this pause holds a command with `flags`.
    func holds(flags: CommandFlags) -> Bool {
        switch kind {
        case .all: return true
        // Redis holds "may replicate" commands: writes, and a few like PUBLISH and EVAL.
        case .write: return flags.contains(.write) || flags.contains(.mayReplicate)
        }
    }
}

/// A shutdown waiting for lagging replicas, as INFO reports it.
public struct ShutdownWait: Sendable {
    /// When it goes on whatever the replicas (unix ms).
    public var deadline: Int64
    /// SHUTDOWN callers waiting for it (counted in blocked_clients).
    public var clients: Int

    public init(deadline: Int64, clients: Int) {
        self.deadline = deadline
        self.clients = clients
    }
}

extension Engine {
    /// Clients waiting for something: blocked on keys, in WAIT, or held by CLIENT PAUSE
    /// (Redis counts these as blocked too).
    public var blockedClientsCount: Int {
        pausedSessions.count + keyBlockedClientsCount + (replication?.waitingClientCount ?? 0)
            + (shutdownWait?.clients ?? 0)
    }

    /// Starts a pause or changes it: the new kind replaces the old one, the later deadline wins
    /// (Redis's pauseClients). Held sessions are re-examined, since WRITE may release some.
    func pauseClients(_ kind: ClientPause.Kind, until deadline: Int64) {
        let newDeadline = max(pause?.deadline ?? deadline, deadline)
        pause = ClientPause(kind: kind, deadline: newDeadline)
        if kind == .write && !pausedSessions.isEmpty { releaseHeldSessions() }
    }

    /// Lets every held session try its command again.
    private func releaseHeldSessions() {
        let held = pausedSessions
        pausedSessions.removeAll()
        for session in held {
            session.isPaused = false
            session.transport?.resume()
        }
    }

    /// Ends the pause and lets the held sessions go on.
    func unpauseClients() {
        pause = nil
        releaseHeldSessions()
    }

    /// Ends the pause when its time is up (called from cron).
    func checkPauseDeadline() {
        if let pause, pause.deadline <= clock.wallMilliseconds { unpauseClients() }
    }
}
