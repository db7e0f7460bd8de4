// The append-only file's pure parts: the manifest (Redis's format and errors,
// quoted names, the bookkeeping of rewrites), the record parser (truncated vs
// malformed), the checker's verdicts, and the commands form of a snapshot
// replayed into a fresh engine with the same digest.
import NIOCore
import RedstartRESP
import Testing

@testable import RedstartEngine

@Suite struct AOFTests {
    private func parse(_ text: String) -> Result<AOFManifest, AOFManifestError> {
        Result { () throws(AOFManifestError) in try AOFManifest.parse(Array(text.utf8)) }
    }

    private func failure(_ text: String) -> String? {
        if case .failure(let error) = parse(text) { return error.reason }
        return nil
    }

    @Test func manifestParsesAndFormatsAsRedis() throws {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
        let manifest = try parse(text).get()
        #expect(manifest.base?.name == "appendonly.aof.2.base.rdb")
        #expect(manifest.history.map(\.name) == ["appendonly.aof.1.incr.aof"])
        #expect(manifest.incremental.map(\.sequence) == [3])
        #expect(manifest.text == text)
        // Extra keys are kept for forward compatibility; comments are skipped.
        #expect(try parse("# made by hand\nfile a.aof seq 1 type b newkey value\n").get().base?.name == "a.aof")
    }

    @Test func manifestErrorsAreRedisErrors() {
        #expect(failure("") == "Found an empty AOF manifest")
        #expect(failure("file a seq 1 type b\n\n") == "Invalid AOF manifest file format")
        #expect(failure("file a seq 1 type i newkey\n") == "Invalid AOF manifest file format")
        #expect(failure("filx a seq 1 type b\n") == "Invalid AOF manifest file format")
        #expect(failure("file a seq 1 type x\n") == "Unknown AOF file type")
        #expect(failure("file a seq 1 type b\nfile b seq 2 type b\n") == "Found duplicate base file information")
        #expect(failure("file a seq 2 type i\nfile b seq 1 type i\n") == "Found a non-monotonic sequence number")
        #expect(failure("file dir/a seq 1 type i\n") == "File can't be a path, just a filename")
        #expect(failure("file a seq 1 type i") == "The AOF manifest file contains too long line")
        #expect(failure(String(repeating: "x", count: 1100) + "\n") == "The AOF manifest file contains too long line")
    }

    @Test func namesThatNeedQuotingAreQuotedAndReadBack() throws {
        var manifest = AOFManifest()
        _ = manifest.addBase(prefix: " file seq \n\n.aof ", rdbFormat: true)
        #expect(manifest.text == "file \" file seq \\n\\n.aof .1.base.rdb\" seq 1 type b\n")
        #expect(try parse(manifest.text).get() == manifest)
    }

    @Test func rewritesMoveFilesToHistoryInRedisOrder() {
        var manifest = AOFManifest()
        _ = manifest.addBase(prefix: "a", rdbFormat: true)
        _ = manifest.addIncremental(prefix: "a")
        _ = manifest.addIncremental(prefix: "a")
        _ = manifest.addIncremental(prefix: "a")
        _ = manifest.addBase(prefix: "a", rdbFormat: false)
        manifest.markRewrittenIncrementalsAsHistory(keepingLast: true)
        #expect(manifest.text.split(separator: "\n") == [
            "file a.2.base.aof seq 2 type b", "file a.1.incr.aof seq 1 type h", "file a.2.incr.aof seq 2 type h",
            "file a.1.base.rdb seq 1 type h", "file a.3.incr.aof seq 3 type i",
        ])
    }

    @Test func recordsAreCommandsAnnotationsTruncatedOrMalformed() {
        func record(_ text: String) -> AOFRecord {
            Array(text.utf8).withUnsafeBytes { AOFRecordParser.record(in: $0, at: 0) }
        }
        guard case .command(let arguments, let end, let lines) = record("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nrest") else {
            Issue.record("not a command")
            return
        }
        #expect(arguments.map(\.length) == [3, 1] && end == 20 && lines == 5)
        #expect(record("#TS:12\r\n*1") == .annotation(text: Array("TS:12".utf8), end: 8))
        // Lengths past Int's range saturate instead of trapping (found by fuzzing).
        guard case .incomplete = record("*1\r\n$9999999999999999999\r\nx\r\n"),
            case .incomplete = record("*9999999999999999999\r\n$1\r\nx\r\n")
        else {
            Issue.record("an overlong length should read as a truncated record")
            return
        }
        for cut in ["*", "*2", "*2\r", "*2\r\n$3\r\nGE", "*2\r\n$3\r\nGET\r\n", "*2\r\n$3\r\nGET\r\n$1\r"] {
            guard case .incomplete = record(cut) else {
                Issue.record("\(cut.debugDescription) should be incomplete")
                continue
            }
        }
        for bad in ["!!!", "*2\r\nGET\r\n", "*1\r\n$3\r\nGETxx", "*x\r\n"] {
            guard case .malformed = record(bad) else {
                Issue.record("\(bad.debugDescription) should be malformed")
                continue
            }
        }
    }

    @Test func checkerStopsBeforeAnUnfinishedTransaction() {
        let unit = "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        let text = "*1\r\n$4\r\nPING\r\n" + unit
        let result = Array(text.utf8).withUnsafeBytes { AOFCheck.check($0, path: "f", rdbPreamble: false) }
        #expect(result.okUpTo == 14)
        #expect(result.error?.hasSuffix("Reached EOF before reading EXEC for MULTI") == true)
        let whole = Array((text + "*1\r\n$4\r\nEXEC\r\n").utf8).withUnsafeBytes {
            AOFCheck.check($0, path: "f", rdbPreamble: false)
        }
        #expect(whole.error == nil && whole.okUpTo == text.utf8.count + 14)
    }

    @Test func commandsFormReplaysToTheSameDataset() {
        let harness = EngineHarness()
        let session = harness.connect()
        for index in 0..<150 { harness.run(session, "RPUSH", "list", "item \(index)") }
        harness.run(session, "HSET", "hash", "f", "v", "g", "7")
        harness.run(session, "SADD", "ints", "1", "2", "3")
        harness.run(session, "SADD", "strings", "a", "b")
        harness.run(session, "ZADD", "zset", "1.5", "a", "-inf", "b", "3", "c")
        harness.run(session, "SET", "counter", "42")
        harness.run(session, "SET", "expiring", "v", "PX", "100000")
        harness.run(session, "XADD", "stream", "1-1", "f", "v")
        harness.run(session, "XADD", "stream", "2-1", "f", "w")
        harness.run(session, "XGROUP", "CREATE", "stream", "g", "0")
        harness.run(session, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "stream", ">")
        harness.run(session, "XGROUP", "CREATECONSUMER", "stream", "g", "bob")
        harness.run(session, "XADD", "empty", "1-1", "f", "v")
        harness.run(session, "XDEL", "empty", "1-1")
        harness.run(session, "SELECT", "5")
        harness.run(session, "SET", "in-five", "5")
        let expected = DatasetDigest.hex(DatasetDigest.dataset(harness.engine.databases))

        var bytes: [UInt8] = []
        let snapshot = DatasetSnapshot(engine: harness.engine, format: .commands(timestamp: 1234)) { bytes += $0 }
        while !snapshot.step(until: .max) {}
        snapshot.finish()
        #expect(bytes.starts(with: Array("#TS:1234\r\n".utf8)))

        let fresh = EngineHarness()
        let replayer = fresh.connect()
        var position = 0
        bytes.withUnsafeBytes { raw in
            while position < raw.count {
                switch AOFRecordParser.record(in: raw, at: position) {
                case .command(let spans, let end, _):
                    var buffer = ByteBufferAllocator().buffer(capacity: end - position)
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[position..<end]))
                    let local = spans.map { ArgumentSpan(offset: $0.offset - position, length: $0.length) }
                    _ = fresh.engine.execute(CommandArguments(storage: buffer, base: 0, spans: local), for: replayer)
                    position = end
                case .annotation(_, let end):
                    position = end
                default:
                    Issue.record("bad record at \(position)")
                    return
                }
            }
        }
        #expect(DatasetDigest.hex(DatasetDigest.dataset(fresh.engine.databases)) == expected)
    }
}
