// Replay mode: runs a fuzz target over files and directories of inputs (a corpus, the
// inputs that once crashed), so a plain build checks them without libFuzzer.
#if canImport(Glibc)
import Glibc
#endif

public enum FuzzReplay {
    /// `redstart-fuzz TARGET PATH...`: every file under the paths through the target; prints
    /// how many ran. Exit status 2 for a bad command line.
    public static func main(_ arguments: [String]) -> Int32 {
        guard arguments.count >= 2, let target = FuzzTargets.all[arguments[0]] else {
            print("usage: redstart-fuzz TARGET PATH...  (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))")
            return 2
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(under: path) {
                guard let bytes = read(file) else { continue }
                bytes.withUnsafeBytes { target($0) }
                count += 1
            }
        }
        print("\(arguments[0]): \(count) inputs replayed")
        return 0
    }

    private static func files(under path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var found: [String] = []
        while let entry = readdir(directory) {
            // Read in place up to its NUL: a dirent is only as long as its name, so copying the
            // 256-byte d_name field reads past it (valgrind: uninitialised bytes).
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            found += files(under: path + "/" + name)
        }
        return found.sorted()
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk[0..<count] }
            if count < chunk.count { break }
        }
        return bytes
    }
}
