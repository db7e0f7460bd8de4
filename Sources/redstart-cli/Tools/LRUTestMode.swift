// `--lru-test <keys>`: redis-cli's cache simulation, to try a maxmemory policy. Each
// second, cycles of 250 pipelined SETs then 250 pipelined GETs of keys `lru:<n>`, n drawn
// from 1...keys by a power law (alpha 6.2: 20% of the keys take 80% of the accesses),
// values five random letters; then one line, as redis-cli 7.0.15 prints it:
// `<gets> Gets/sec | Hits: <h> (<h%>%) | Misses: <m> (<m%>%)`. Error replies to GET are
// printed to stderr; a broken connection ends it ("I/O error during LRU test", exit 1).
import Glibc

enum LRUTestMode {
    static let cycleMilliseconds: Int64 = 1000
    static let pipelineSize = 250

    static func run(_ connection: CLIConnection, keys: Int64) -> Never {
        // libc's generator, seeded as redis-cli seeds it: a draw costs no system call, so
        // Gets/sec measures the server (the system generator is a getrandom(2) per draw).
        srand(UInt32(truncatingIfNeeded: Int(time(nil)) ^ Int(getpid())))
        while true {
            let start = WallClock.milliseconds
            var hits: Int64 = 0
            var misses: Int64 = 0
            while WallClock.milliseconds - start < cycleMilliseconds {
                do throws(CLIReadFailure) {
                    let writes = (0..<pipelineSize).map { _ in
                        [Array("SET".utf8), key(keys), value()]
                    }
                    try connection.send(batch: writes)
                    for _ in 0..<pipelineSize { _ = try connection.readReply() }
                    try connection.send(batch: (0..<pipelineSize).map { _ in [Array("GET".utf8), key(keys)] })
                    for _ in 0..<pipelineSize {
                        switch try connection.readReply() {
                        case .error(let text): CLIOutput.error(Array(text.cString) + [0x0A])
                        case .null: misses += 1
                        default: hits += 1
                        }
                    }
                } catch {
                    CLIOutput.error("I/O error during LRU test\n")
                    CLIOutput.exit(1)
                }
            }
            let total = hits + misses
            CLIOutput.write(
                "\(total) Gets/sec | Hits: \(hits) (\(CFormat.string("%.2f", Double(hits) / Double(total) * 100))%) | "
                    + "Misses: \(misses) (\(CFormat.string("%.2f", Double(misses) / Double(total) * 100))%)\n")
            CLIOutput.flush()
        }
    }

    /// `lru:<n>`, n in 1...keys with the 80-20 power law redis-cli uses.
    private static func key(_ keys: Int64) -> [UInt8] {
        Array("lru:\(powerLaw(1, keys, alpha: 6.2, Double(rand()) / Double(RAND_MAX)))".utf8)
    }

    /// The inverse of a power-law distribution's CDF over min...max at `uniform`; small
    /// numbers come out rarely, large ones often, so the result is flipped (as redis-cli's
    /// powerLawRand) to make the low numbers the hot ones.
    static func powerLaw(_ minimum: Int64, _ maximum: Int64, alpha: Double, _ uniform: Double) -> Int64 {
        let top = Double(maximum + 1)
        let bottom = Double(minimum)
        let drawn = pow((pow(top, alpha + 1) - pow(bottom, alpha + 1)) * uniform + pow(bottom, alpha + 1), 1 / (alpha + 1))
        return maximum - Int64(drawn) + minimum
    }

    /// Five letters from 'A' to 'y', as redis-cli's `'A' + rand() % ('z' - 'A')`.
    private static func value() -> [UInt8] {
        (0..<5).map { _ in UInt8(ascii: "A") + UInt8(rand() % Int32(UInt8(ascii: "z") - UInt8(ascii: "A"))) }
    }
}
