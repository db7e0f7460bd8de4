// Where the interactive mode keeps its files, as redis-cli finds its own: the path in
// an environment variable when it is set and not empty ("/dev/null" meaning no file),
// otherwise a file in $HOME. Ours are named after redstart-cli so the two tools do not
// share them: ~/.redstartcli_history (REDISCLI_HISTFILE) and ~/.redstartclirc
// (REDISCLI_RCFILE).
import Glibc

enum DotFiles {
    static var history: String? { path(environment: "REDISCLI_HISTFILE", default: ".redstartcli_history") }
    static var preferences: String? { path(environment: "REDISCLI_RCFILE", default: ".redstartclirc") }

    private static func path(environment name: String, default file: String) -> String? {
        if let value = getenv(name), value.pointee != 0 {
            let path = String(cString: value)
            return path == "/dev/null" ? nil : path
        }
        guard let home = getenv("HOME"), home.pointee != 0 else { return nil }
        return String(cString: home) + "/" + file
    }
}
