// set-proc-title and proc-title-template, as Redis: the process's command line (what
// ps shows) becomes the template's expansion once the server listens, and again when
// the template changes. The memory it is written to is claimed at start-up, before
// any thread could read the environment that moves out of it.
import CRedstartShims
import RedstartEngine

public enum ProcessTitle {
    /// In main, before threads start: claims the command line's memory when set-proc-title is yes.
    public static func prepare(_ config: ConfigStore) {
        guard config.bool("set-proc-title") else { return }
        _ = redstart_process_title_prepare(CommandLine.argc, CommandLine.unsafeArgv)
    }
}

extension RedstartServer {
    /// Writes the title proc-title-template makes (a no-op unless prepared).
    func applyProcessTitle() {
        let config = engine.config
        guard config.bool("set-proc-title") else { return }
        let unixSocket = config["unixsocket"]
        let title = ProcessTitleTemplate.expand(config["proc-title-template"]) { name in
            switch name {
            case "title": return CommandLine.arguments.first ?? facts.executable
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
        if let title { redstart_process_title_set(title) }
    }
}
