// set-proc-title and proc-title-template, as Redis: the process's command line (what
// ps shows) becomes the template's expansion once the server listens, and again when
// the template changes; a snapshot's child process takes the expansion with its own
// name (`redstart-rdb-bgsave`, `redstart-aof-rewrite`), as Redis's fork children do.
// The memory it is written to is claimed at start-up, before any thread could read the
// environment that moves out of it.
import CRedstartShims
import RedstartEngine

public enum ProcessTitle {
    /// In main, before threads start: claims the command line's memory when set-proc-title is yes.
    public static func prepare(_ config: ConfigStore) {
        guard config.bool("set-proc-title") else { return }
        _ = redstart_process_title_prepare(CommandLine.argc, CommandLine.unsafeArgv)
    }

    /// In a snapshot's child, first thing: `title` as its command line.
    static func set(_ title: String) {
        guard redstart_process_title_prepare(CommandLine.argc, CommandLine.unsafeArgv) == 0 else { return }
        redstart_process_title_set(title)
    }
}

extension RedstartServer {
    /// Writes the title proc-title-template makes (a no-op unless prepared).
    func applyProcessTitle() {
        if let title = processTitle(naming: CommandLine.arguments.first ?? facts.executable) {
            redstart_process_title_set(title)
        }
    }

    /// proc-title-template expanded with `{title}` as `name` (the server's own argv[0], or a
    /// snapshot child's name as Redis names its children); nil when set-proc-title is no.
    func processTitle(naming name: String) -> String? {
        let config = engine.config
        guard config.bool("set-proc-title") else { return nil }
        let unixSocket = config["unixsocket"]
        return ProcessTitleTemplate.expand(config["proc-title-template"]) { variable in
            switch variable {
            case "title": return name
            case "listen-addr":
                guard tcpPort != 0 || tlsPort != 0 else { return "unixsocket:\(unixSocket)" }
                let firstAddress = config["bind"].split(separator: " ").first.map(String.init) ?? "*"
                return "\(firstAddress):\(tcpPort != 0 ? tcpPort : tlsPort)"
            case "server-mode": return ""
            case "config-file": return facts.configFile.isEmpty ? "-" : facts.configFile
            case "port": return String(tcpPort)
            case "tls-port": return String(tlsPort)
            case "unixsocket": return unixSocket
            default: return nil
            }
        }
    }
}
