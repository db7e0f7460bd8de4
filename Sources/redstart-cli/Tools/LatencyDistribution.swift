// `--latency-dist [-i seconds] [--mono]`: PINGs every 10 ms and, every interval
// (default 1 s), prints one row of coloured cells, one per latency bucket, each cell's
// background as dark or bright as the share of samples that fell in it (a 256-colour
// palette, or grey levels with --mono); a legend every 20 rows. Buckets, characters,
// palettes and texts are redis-cli 7.0.15's, so the two draw the same spectrum.
import Glibc

enum LatencyDistribution {
    /// Upper bounds in microseconds and their characters; the last bucket takes the rest.
    static let buckets: [(limit: Int64, symbol: Character)] = [
        (10, "."), (125, "-"), (250, "*"), (500, "#"),
        (1000, "1"), (2000, "2"), (3000, "3"), (4000, "4"), (5000, "5"), (6000, "6"), (7000, "7"), (8000, "8"),
        (9000, "9"), (10000, "A"), (20000, "B"), (30000, "C"), (40000, "D"), (50000, "E"),
        (100_000, "F"), (200_000, "G"), (300_000, "H"), (400_000, "I"), (500_000, "J"),
        (1_000_000, "K"), (2_000_000, "L"), (4_000_000, "M"), (8_000_000, "N"), (16_000_000, "O"),
        (30_000_000, "P"), (60_000_000, "Q"), (Int64.max, "?"),
    ]
    static let colourPalette = [
        0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 144, 143, 142, 184, 226, 214, 208, 202, 196,
    ]
    static let monochromePalette = [0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 249, 251, 253]

    static func run(_ connection: CLIConnection, _ options: CLIOptions) -> Never {
        let palette = options.tools.monochrome ? monochromePalette : colourPalette
        let interval = options.intervalMicroseconds != 0 ? options.intervalMicroseconds / 1000 : 1000
        var command = ReconnectingCommand(connection, options)
        var counts = [Int64](repeating: 0, count: buckets.count)
        var total: Int64 = 0
        var rows = 0
        var rowStart = WallClock.microseconds
        while true {
            let start = WallClock.microseconds
            _ = command.call([Array("PING".utf8)])
            let latency = WallClock.microseconds - start
            total += 1
            counts[buckets.firstIndex { latency <= $0.limit }!] += 1
            if total > 0 && (WallClock.microseconds - rowStart) / 1000 > interval {
                if rows % 20 == 0 { CLIOutput.write(legend(palette)) }
                rows += 1
                CLIOutput.write(row(counts, total: total, palette: palette))
                CLIOutput.flush()
                counts = counts.map { _ in 0 }
                total = 0
                rowStart = WallClock.microseconds
            }
            usleep(LatencyMode.sampleIntervalMicroseconds)
        }
    }

    /// One row: black text on a background from the palette, by share of samples.
    static func row(_ counts: [Int64], total: Int64, palette: [Int]) -> String {
        var out = "\u{1B}[38;5;0m"
        for (index, count) in counts.enumerated() {
            let level = Int((Double(count) / Double(total) * Double(palette.count - 1)).rounded(.up))
            out += "\u{1B}[48;5;\(palette[level])m\(buckets[index].symbol)"
        }
        return out + "\u{1B}[0m\n"
    }

    static func legend(_ palette: [Int]) -> String {
        var out = "---------------------------------------------\n"
        out += ". - * #          .01 .125 .25 .5 milliseconds\n"
        out += "1,2,3,...,9      from 1 to 9     milliseconds\n"
        out += "A,B,C,D,E        10,20,30,40,50  milliseconds\n"
        out += "F,G,H,I,J        .1,.2,.3,.4,.5       seconds\n"
        out += "K,L,M,N,O,P,Q,?  1,2,4,8,16,30,60,>60 seconds\n"
        out += "From 0 to 100%: "
        for colour in palette { out += "\u{1B}[48;5;\(colour)m " }
        out += "\u{1B}[0m\n"
        out += "---------------------------------------------\n"
        return out
    }
}
