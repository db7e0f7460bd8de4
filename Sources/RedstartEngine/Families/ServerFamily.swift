// Server commands: INFO, DBSIZE, TIME, LASTSAVE, MONITOR, SHUTDOWN. CONFIG,
// COMMAND, DEBUG, SLOWLOG, LATENCY, MEMORY and SAVE/BGSAVE have files of
// their own.
#if canImport(Glibc)
import Glibc
#endif
import RedstartRESP

enum ServerFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("info", arity: -1, flags: [.loading, .stale], acl: [.dangerous], group: "server", run: info),
            .init("dbsize", arity: 1, flags: [.readonly, .fast], acl: [.keyspace], group: "server", run: dbsize),
            .init("time", arity: 1, flags: [.loading, .stale, .fast], group: "server", run: time),
            .init("lastsave", arity: 1, flags: [.loading, .stale, .fast], acl: [.admin, .dangerous], group: "server", run: lastsave),
            .init("monitor", arity: 1, flags: [.admin, .noScript, .loading, .stale], group: "server", run: monitor),
            .init(
                "shutdown", arity: -1, flags: [.admin, .noScript, .loading, .stale, .noMulti, .allowBusy],
                group: "server", run: shutdown),
        ]
    }

    /// INFO [section ...] → verbatim string.
    static func info(_ cmd: CommandContext) throws(ReplyError) {
        let sections = (1..<cmd.args.count).map { cmd.args.string(at: $0) }
        cmd.reply.verbatim(InfoReport(engine: cmd.engine).text(sections: sections))
    }

    /// DBSIZE → integer: keys in the selected database.
    static func dbsize(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.db.count)
    }

    /// TIME → [unix seconds, microseconds] as bulk strings.
    static func time(_ cmd: CommandContext) throws(ReplyError) {
        // Read from the system, not derived from the TSC: what clients compare with their
        // own clocks (job schedulers, lock leases) is never behind them.
        let now = cmd.engine.clock.exactWallMicroseconds
        cmd.reply.arrayHeader(2)
        cmd.reply.bulk(decimal: now / 1_000_000)
        cmd.reply.bulk(decimal: now % 1_000_000)
    }

    /// LASTSAVE → integer: unix time of the last successful save.
    static func lastsave(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.engine.persistence.lastSaveTime)
    }

    /// MONITOR → +OK, then one status line per command the server runs.
    static func monitor(_ cmd: CommandContext) throws(ReplyError) {
        // Inside EXEC the client expects one reply per command.
        if cmd.engine.isExecutingTransaction { throw ReplyError("MONITOR isn't allowed for DENY BLOCKING client") }
        guard !cmd.session.isMonitor else { return }  // a second MONITOR is ignored, as in Redis
        cmd.engine.startMonitoring(cmd.session)
        cmd.reply.ok()
    }

    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] → no reply on success (the server exits).
    static func shutdown(_ cmd: CommandContext) throws(ReplyError) {
        var mode = ShutdownMode.standard
        var now = false
        var force = false
        var abort = false
        for index in 1..<cmd.args.count {
            if cmd.argument(index, is: "nosave") {
                mode = .noSave
            } else if cmd.argument(index, is: "save") {
                mode = .save
            } else if cmd.argument(index, is: "now") {
                now = true
            } else if cmd.argument(index, is: "force") {
                force = true
            } else if cmd.argument(index, is: "abort") {
                abort = true
            } else {
                throw .syntax
            }
        }
        // While a paused script holds the server, only SHUTDOWN NOSAVE may end it.
        if let busy = cmd.engine.busyScript, mode != .noSave { throw busy.error }
        if abort {
            guard cmd.args.count == 2 else { throw .syntax }
            // A shutdown a signal asked for, until the cron acts on it, or one waiting for
            // lagging replicas.
            guard cmd.engine.host?.abortPendingShutdown() == true else { throw ReplyError("No shutdown in progress.") }
            cmd.reply.ok()
            return
        }
        guard let host = cmd.engine.host else { throw ReplyError("Errors trying to SHUTDOWN. Check logs.") }
        switch host.shutdown(mode: mode, now: now, force: force, for: cmd.session) {
        case .exiting: break
        case .waiting: cmd.engine.holdForReplication(cmd.session)
        case .refused(let message): throw ReplyError(message)
        }
    }
}
