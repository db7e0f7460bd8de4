// A command this server did not choose to run failed: its primary's stream or its own
// AOF being loaded. The engine reports every error reply sent to those clients (those
// of commands run by EXEC included, as Redis's afterErrorReply sees them). The
// datasets may have diverged, so Redis logs it as "== CRITICAL ==", counts it in
// unexpected_error_replies, and with propagation-error-behavior panics: `panic` for
// both, `panic-on-replicas` for a read-only replica only.
import RedstartEngine

extension RedstartServer {
    public func propagatedCommandFailed(_ session: Session, error line: String, command name: String) {
        let fromPrimary = session.replicationKind == .master
        let (from, to) = fromPrimary ? ("replica", "master") : ("server", "AOF-loading-client")
        let message = line.utf8.count > 4096 ? String(decoding: line.utf8.prefix(4096), as: UTF8.self) : line
        engine.stats.unexpectedErrorReplies += 1
        log.write(
            .warning,
            "== CRITICAL == This \(from) is sending an error to its \(to): '\(message)' after processing the command '\(name)'")
        if fromPrimary { replication.logLatestBacklog() }
        let behavior = engine.config["propagation-error-behavior"]
        let panics = fromPrimary ? behavior != "ignore" && engine.config.bool("replica-read-only") : behavior == "panic"
        if panics { serverPanic("This \(from) panicked sending an error to its \(to) after processing the command '\(name)'") }
    }
}
