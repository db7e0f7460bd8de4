// redstart-check-aof [--fix [-y|--yes]] [--truncate-to-timestamp T] <file.manifest|file.aof>
//
// Says whether an append-only file is valid, and where it breaks (file, offset,
// line, what is wrong), with redis-check-aof's report: a manifest is checked
// with every file it names (base, then the incremental files; only the last
// may be cut), an old single-file AOF on its own (with its RDB preamble, if
// any). --fix truncates the last file to its last whole command or
// transaction after asking (-y/--yes answers yes for scripts);
// --truncate-to-timestamp cuts the last file at the first `#TS:` annotation
// later than T. Exit status 0 when valid (or fixed), 1 otherwise.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine
import RedstartServer

enum CheckOutcome { case valid, empty, truncated, timestampTruncated }

struct Options {
    var fix = false
    var assumeYes = false
    var timestamp: Int64?
    var path = ""
}

func usage() -> Never {
    print("Usage: \(CommandLine.arguments[0]) [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>")
    exit(1)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let path = arguments.popLast() else { usage() }
    options.path = path
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--fix": options.fix = true
        case "-y", "--yes": options.assumeYes = true
        case "--truncate-to-timestamp":
            index += 1
            guard index < arguments.count else { usage() }
            guard let value = Int64(arguments[index]) else {
                print("Invalid timestamp, aborting...")
                exit(1)
            }
            options.timestamp = value
        default: usage()
        }
        index += 1
    }
    if options.fix && options.timestamp != nil { usage() }
    return options
}

func readFile(_ path: String) -> MappedFile {
    do throws(RDBFileError) {
        guard let file = try MappedFile(path: path) else {
            print("Cannot open file \(path): \(String(cString: strerror(ENOENT))), aborting...")
            exit(1)
        }
        return file
    } catch {
        print("Cannot open file \(path): \(error.description), aborting...")
        exit(1)
    }
}

func isRDB(_ bytes: UnsafeRawBufferPointer) -> Bool {
    bytes.count >= 8 && bytes.prefix(5).elementsEqual("REDIS".utf8)
}

func isManifest(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var isManifest = false
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        if line.first == UInt8(ascii: "#") { continue }
        if line.starts(with: "file".utf8) { isManifest = true }
    }
    return isManifest
}

/// Checks one file (redis-check-aof's checkSingleAof); exits on what cannot be fixed.
func checkSingle(name: String, path: String, isLast: Bool, options: Options, preamble: Bool) -> CheckOutcome {
    let file = readFile(path)
    let bytes = file.bytes
    if bytes.isEmpty { return .empty }
    let result = AOFCheck.check(bytes, path: path, rdbPreamble: preamble, truncateAfter: options.timestamp)
    if let report = result.rdbReport {
        for line in report.lines { print(line) }
        guard report.isValid else {
            print("RDB preamble of AOF file is not sane, aborting.")
            exit(1)
        }
        print("RDB preamble is OK, proceeding with AOF tail...")
    }
    if result.invalidTimestamp {
        print("Invalid timestamp annotation")
        exit(1)
    }
    if let cut = result.timestampCut, let timestamp = options.timestamp {
        if result.nothingBeforeTimestamp {
            print("AOF \(path) has nothing before timestamp \(timestamp), aborting...")
            exit(1)
        }
        guard isLast else {
            print("Failed to truncate AOF \(path) to timestamp \(timestamp) to offset \(cut) because it is not the last file.")
            print(
                "If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redstart-check-aof."
            )
            exit(1)
        }
        file.unmap()
        guard truncate(path, off_t(cut)) == 0 else {
            print("Failed to truncate AOF \(path) to timestamp \(timestamp)")
            exit(1)
        }
        return .timestampTruncated
    }
    if result.formatError { print("AOF \(name) format error") }
    if let error = result.error { print(error) }
    let size = bytes.count
    let difference = size - result.okUpTo
    if difference == 0, let timestamp = options.timestamp {
        print("Truncate nothing in AOF \(name) to timestamp \(timestamp)")
        return .valid
    }
    print(
        "AOF analyzed: filename=\(name), size=\(size), ok_up_to=\(result.okUpTo), ok_up_to_line=\(result.okUpToLine), diff=\(difference)"
    )
    guard difference > 0 else { return .valid }
    guard options.fix else {
        print("AOF \(name) is not valid. Use the --fix option to try fixing it.")
        exit(1)
    }
    guard isLast else {
        print("Failed to truncate AOF \(name) because it is not the last file")
        exit(1)
    }
    print("This will shrink the AOF \(name) from \(size) bytes, with \(difference) bytes, to \(result.okUpTo) bytes")
    if !options.assumeYes {
        print("Continue? [y/N]: ", terminator: "")
        fflush(nil)
        guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
            print("Aborting...")
            exit(1)
        }
    }
    file.unmap()
    guard truncate(path, off_t(result.okUpTo)) == 0 else {
        print("Failed to truncate AOF \(name)")
        exit(1)
    }
    return .truncated
}

func report(_ outcome: CheckOutcome, kind: String, name: String, timestamp: Int64?) {
    switch outcome {
    case .valid: print("\(kind)\(name) is valid")
    case .empty: print("\(kind)\(name) is empty")
    case .timestampTruncated: print("Successfully truncated AOF \(name) to timestamp \(timestamp ?? 0)")
    case .truncated: print("Successfully truncated AOF \(name)")
    }
}

/// A manifest and every file it names.
func checkMultiPart(_ manifestBytes: UnsafeRawBufferPointer, manifestPath: String, options: Options) {
    print("Start checking Multi Part AOF")
    let manifest: AOFManifest
    do throws(AOFManifestError) {
        manifest = try AOFManifest.parse(Array(manifestBytes))
    } catch {
        for line in error.logLines { print(line, terminator: "") }
        exit(1)
    }
    let directory = manifestPath.contains("/") ? String(manifestPath[..<manifestPath.lastIndex(of: "/")!]) : "."
    let files = manifest.filesToLoad
    for (index, info) in files.enumerated() {
        let path = (directory.isEmpty ? "" : directory + "/") + info.name
        let isLast = index == files.count - 1
        if info.kind == .base {
            let base = readFile(path)
            let preamble = withExtendedLifetime(base) { isRDB(base.bytes) }
            print("Start to check BASE AOF (\(preamble ? "RDB" : "RESP") format).")
            let outcome = checkSingle(name: info.name, path: path, isLast: isLast, options: options, preamble: preamble)
            report(outcome, kind: "BASE AOF ", name: info.name, timestamp: options.timestamp)
        } else {
            if index == (manifest.base == nil ? 0 : 1) { print("Start to check INCR files.") }
            let outcome = checkSingle(name: info.name, path: path, isLast: isLast, options: options, preamble: false)
            report(outcome, kind: "INCR AOF ", name: info.name, timestamp: options.timestamp)
        }
    }
    print("All AOF files and manifest are valid")
}

let options = parseOptions()
let input = readFile(options.path)
if isManifest(input.bytes) {
    checkMultiPart(input.bytes, manifestPath: options.path, options: options)
} else {
    print("Start checking Old-Style AOF")
    let outcome = checkSingle(
        name: options.path, path: options.path, isLast: true, options: options, preamble: isRDB(input.bytes))
    report(outcome, kind: "AOF ", name: options.path, timestamp: options.timestamp)
}
exit(0)
