// redstart-check-rdb <file>: says whether an RDB dump is valid and, if not,
// where it breaks; lists its aux fields and key counts per database and type,
// like redis-check-rdb. Exit status 0 for a valid file, 1 otherwise.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine
import RedstartServer

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 1, !arguments[0].hasPrefix("-") else {
    print("Usage: redstart-check-rdb <rdb-file-name>")
    exit(1)
}
let path = arguments[0]
let file: MappedFile?
do throws(RDBFileError) {
    file = try MappedFile(path: path)
} catch {
    print("Cannot check RDB that is a directory or does not exist: \(path) (\(error.description))")
    exit(1)
}
guard let file else {
    print("Cannot check RDB that is a directory or does not exist: \(path)")
    exit(1)
}
let report = RDBCheck.check(file.bytes, name: path)
for line in report.lines { print(line) }
exit(report.isValid ? 0 : 1)
