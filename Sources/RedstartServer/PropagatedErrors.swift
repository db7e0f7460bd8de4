// A command this server did not choose to run failed: its primary's stream or its
// own AOF being loaded. The datasets may have diverged, so Redis logs it as
// "== CRITICAL ==", counts it in unexpected_error_replies, and with
// propagation-error-behavior panics: `panic` for both, `panic-on-replicas` for a
// read-only replica only.
import NIOCore
import RedstartEngine
import RedstartRESP

enum PropagatedErrors {
    enum Source {
        case primary, appendOnlyFile

        /// Who sends the error and to whom, in Redis's words.
        var parties: (from: String, to: String) {
            self == .primary ? ("replica", "master") : ("server", "AOF-loading-client")
        }
    }

    /// The first line of the error `session` was just sent, or nil when it was no error.
    static func errorLine(_ session: Session) -> String? {
        let buffer = session.reply.buffer
        guard buffer.readableBytes > 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "-") else {
            return nil
        }
        let text = buffer.getString(at: buffer.readerIndex + 1, length: min(buffer.readableBytes - 1, 4096)) ?? ""
        return text.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? text
    }

    /// The command's name as the log shows it.
    static func name(of command: CommandArguments, engine: Engine) -> String {
        command.count > 0 && engine.knowsCommand(command)
            ? String(decoding: command.bytes(at: 0), as: UTF8.self).lowercased() : "<unknown>"
    }

    /// Logs the failure of the command `name` with `message` and counts it.
    static func report(_ message: String, of name: String, from source: Source, engine: Engine, log: ServerLog) {
        let (from, to) = source.parties
        engine.stats.unexpectedErrorReplies += 1
        log.write(
            .warning,
            "== CRITICAL == This \(from) is sending an error to its \(to): '\(message)' after processing the command '\(name)'")
    }

    /// Ends the process when propagation-error-behavior asks for it.
    static func panicIfConfigured(after name: String, from source: Source, engine: Engine) {
        let behavior = engine.config["propagation-error-behavior"]
        let panics =
            switch source {
            case .primary: behavior != "ignore" && engine.config.bool("replica-read-only")
            case .appendOnlyFile: behavior == "panic"
            }
        guard panics else { return }
        let (from, to) = source.parties
        serverPanic("This \(from) panicked sending an error to its \(to) after processing the command '\(name)'")
    }
}
