// Where the engine's propagated writes go: the append-only file and the
// replication stream, each while it is on. The engine records nothing while
// neither is (its sink is then nil), so a server without AOF or replicas pays
// nothing for propagation.
import RedstartEngine

/// The engine's propagation sink: the AOF and replication.
final class PropagationFanout: PropagationSink {
    private unowned(unsafe) let server: RedstartServer
    /// The AOF is on (or waiting for its first rewrite).
    var feedsAOF = false {
        didSet { attach() }
    }
    /// A backlog exists and this server is a primary.
    var feedsReplication = false {
        didSet { attach() }
    }

    init(server: RedstartServer) {
        self.server = server
    }

    private func attach() {
        server.engine.propagationSink = feedsAOF || feedsReplication ? self : nil
    }

    var targets: PropagationTargets {
        var targets: PropagationTargets = []
        if feedsAOF { targets.insert(.aof) }
        if feedsReplication { targets.insert(.replicas) }
        return targets
    }

    func propagate(_ unit: [PropagatedCommand]) {
        if feedsAOF { server.aof.propagate(unit) }
        if feedsReplication { server.replication.propagate(unit) }
    }
}
