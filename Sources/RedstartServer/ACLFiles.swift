// The server's side of ACL users: the config file's `user` lines and the ACL
// file loaded at start-up (an error stops the server, as Redis does), and the
// file access ACL LOAD and ACL SAVE ask for.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

extension RedstartServer {
    /// Loads the `user` lines of the configuration, then the ACL file if one is set.
    func loadUsersAtStartup() throws(ServerStartError) {
        let aclFile = engine.config["aclfile"]
        if !aclFile.isEmpty && !configuredUsers.isEmpty {
            log.write(
                .warning,
                "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
            )
            throw ServerStartError("Aborting: users in both the configuration and an ACL file")
        }
        if let problem = engine.applyConfiguredUsers(configuredUsers) {
            log.write(.warning, problem)
            throw ServerStartError("Critical error while loading ACLs. Exiting.")
        }
        guard !aclFile.isEmpty else { return }
        do throws(ReplyError) {
            switch readACLFile(aclFile) {
            case .success(let text): try engine.installACLFile(text, fileName: aclFile)
            case .failure(let failure):
                throw ReplyError("Error loading ACLs, opening file '\(aclFile)': \(failure.reason)")
            }
        } catch {
            throw ServerStartError("Aborting Redis startup because of ACL errors: \(error.line.dropFirst(4))")
        }
    }

    public func readACLFile(_ path: String) -> Result<[UInt8], HostFileError> {
        guard let bytes = readWholeFile(path) else {
            return .failure(HostFileError(reason: String(cString: strerror(errno))))
        }
        return .success(bytes)
    }

    public func writeACLFile(_ path: String, _ contents: [UInt8]) -> Bool {
        let temporary = path + ".tmp-\(getpid())-\(engine.clock.wallMilliseconds)"
        let handle = open(temporary, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard handle >= 0 else {
            log.write(.warning, "Opening temp ACL file for ACL SAVE: \(String(cString: strerror(errno)))")
            return false
        }
        let written = writeAll(handle, contents)
        let reason = String(cString: strerror(errno))
        close(handle)
        guard written else {
            log.write(.warning, "Writing ACL file for ACL SAVE: \(reason)")
            unlink(temporary)
            return false
        }
        guard rename(temporary, path) == 0 else {
            log.write(.warning, "Renaming ACL file for ACL SAVE: \(String(cString: strerror(errno)))")
            unlink(temporary)
            return false
        }
        return true
    }
}
