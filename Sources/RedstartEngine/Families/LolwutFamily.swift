// LOLWUT [VERSION v] [...]: Redis's piece of computer art per version. Version 5
// draws Georg Nees's "Schotter" (squares that tumble more the lower they are)
// in Braille characters, two by four pixels each; version 6 a city skyline
// in four terminal colours; any other version (the default is the server's, 7)
// just names the version.
import RedstartRESP

#if canImport(Glibc)
import Glibc
#endif

enum LolwutFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [.init("lolwut", arity: -1, flags: [.readonly, .fast], group: "server", run: lolwut)]
    }

    static func lolwut(_ cmd: CommandContext) throws(ReplyError) {
        var version = Engine.redisVersion
        var first = 1
        if cmd.args.count >= 3 && cmd.argument(1, is: "version") {
            version = "\(UInt32(truncatingIfNeeded: try cmd.integer(2))).0.0"
            first = 3
        }
        // The art's options (sizes) follow; the plain version takes none and ignores any.
        func options(_ count: Int) throws(ReplyError) -> [Int64] {
            try (first..<min(cmd.args.count, first + count)).map { (index) throws(ReplyError) in try cmd.integer(index) }
        }
        if (version.hasPrefix("5.") && !version.hasPrefix("5.9")) || version.hasPrefix("4.9") {
            cmd.reply.verbatim(schotter(try options(3)))
        } else if (version.hasPrefix("6.") && !version.hasPrefix("6.9")) || version.hasPrefix("5.9") {
            cmd.reply.verbatim(skyline(try options(2)))
        } else {
            cmd.reply.verbatim("Redis ver. \(Engine.redisVersion)\n")
        }
    }

    private static func option(_ options: [Int64], _ index: Int, default value: Int, range: ClosedRange<Int>) -> Int {
        let given = index < options.count ? Int(clamping: options[index]) : value
        return min(max(given, range.lowerBound), range.upperBound)
    }

    // MARK: - Version 5: Schotter

    /// Terminal columns (66), squares per row (8) and per column (12).
    static func schotter(_ options: [Int64]) -> String {
        let columns = option(options, 0, default: 66, range: 1...1000)
        let perRow = option(options, 1, default: 8, range: 1...200)
        let perColumn = option(options, 2, default: 12, range: 1...200)
        let width = columns * 2
        let padding = width > 4 ? 2 : 0
        let side = Float(width - padding * 2) / Float(perRow)
        var canvas = Canvas(width: width, height: Int(side * Float(perColumn)) + padding * 2, background: 0)
        var random = FastRandom()
        func unit() -> Float { Float(random.next() >> 40) / Float(1 << 24) }
        for row in 0..<perColumn {
            for column in 0..<perRow {
                var x = Int(Float(column) * side + side / 2) + padding
                var y = Int(Float(row) * side + side / 2) + padding
                var angle: Float = 0
                if row > 1 {
                    // The disorder grows with the row.
                    let scale = Float(row) / Float(perColumn)
                    var turns = (unit() * scale, unit() * scale, unit() * scale)
                    if random.next() & 1 == 1 { turns.0 = -turns.0 }
                    if random.next() & 1 == 1 { turns.1 = -turns.1 }
                    if random.next() & 1 == 1 { turns.2 = -turns.2 }
                    angle = turns.0
                    x += Int(turns.1 * side / 3)
                    y += Int(turns.2 * side / 3)
                }
                canvas.square(x: x, y: y, size: side, angle: angle, color: 1)
            }
        }
        return canvas.braille() + "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. \(Engine.redisVersion)\n"
    }

    // MARK: - Version 6: skyline

    /// Terminal columns (80) and rows (20).
    static func skyline(_ options: [Int64]) -> String {
        let columns = option(options, 0, default: 80, range: 1...1000)
        let rows = option(options, 1, default: 20, range: 1...1000)
        var canvas = Canvas(width: columns, height: rows, background: 3)
        var random = FastRandom()
        func roll(_ bound: Int) -> Int { bound > 0 ? Int(random.next() % UInt64(bound)) : 0 }
        // Two rows of grey buildings behind (the lighter ones farthest), then dark ones with lit windows.
        for color: UInt8 in [2, 1] {
            var offset = -10
            while offset < columns {
                offset += roll(8)
                let width = 10 + roll(9)
                let height = rows / 2 + roll(color == 2 ? rows / 2 : rows / 3)
                canvas.building(x: offset, width: width, height: height, color: color, windows: false, random: &random)
                offset += color == 2 ? width / 2 : width + 1
            }
        }
        var offset = -10
        while offset < columns {
            offset += roll(8)
            var width = 5 + roll(14)
            if width % 4 != 0 { width += width % 3 }
            canvas.building(x: offset, width: width, height: rows / 3 + roll(rows / 2), color: 0, windows: true, random: &random)
            offset += width + 5
        }
        return canvas.colored()
            + "\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. \(Engine.redisVersion)\n"
    }
}

/// A grid of pixels with small colour numbers.
private struct Canvas {
    let width: Int
    let height: Int
    private var pixels: [UInt8]

    init(width: Int, height: Int, background: UInt8) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: background, count: width * height)
    }

    subscript(x: Int, y: Int) -> UInt8 {
        get { x < 0 || x >= width || y < 0 || y >= height ? 0 : pixels[x + y * width] }
        set { if x >= 0 && x < width && y >= 0 && y < height { pixels[x + y * width] = newValue } }
    }

    /// Bresenham's line.
    mutating func line(_ from: (Int, Int), _ to: (Int, Int), color: UInt8) {
        var (x, y) = from
        let dx = abs(to.0 - x)
        let dy = abs(to.1 - y)
        let stepX = x < to.0 ? 1 : -1
        let stepY = y < to.1 ? 1 : -1
        var error = dx - dy
        while true {
            self[x, y] = color
            if x == to.0 && y == to.1 { break }
            let doubled = error * 2
            if doubled > -dy {
                error -= dy
                x += stepX
            }
            if doubled < dx {
                error += dx
                y += stepY
            }
        }
    }

    /// A square of side `size` centred on (x, y), turned by `angle` radians.
    mutating func square(x: Int, y: Int, size: Float, angle: Float, color: UInt8) {
        let radius = (size / 1.4142135623).rounded()
        var corners: [(Int, Int)] = []
        var k = Float.pi / 4 + angle
        for _ in 0..<4 {
            corners.append((Int((sin(k) * radius + Float(x)).rounded()), Int((cos(k) * radius + Float(y)).rounded())))
            k += Float.pi / 2
        }
        for index in 0..<4 { line(corners[index], corners[(index + 1) % 4], color: color) }
    }

    /// A building standing on the bottom row; windows two pixels wide, lit at random.
    mutating func building(x left: Int, width: Int, height: Int, color: UInt8, windows: Bool, random: inout FastRandom) {
        let bottom = self.height - 1
        let top = bottom - height + 1
        guard top <= bottom else { return }
        for y in stride(from: bottom, through: top, by: -1) {
            for x in left..<left + width {
                if y == top && (x <= left + 1 || x >= left + width - 2) { continue }  // a narrower roof
                var pixel = color
                if windows && x > left + 1 && x < left + width - 2 && y > top + 1 && y < bottom - 1 {
                    let column = x - (left + 1)
                    let row = y - (top + 1)
                    if (column / 2) % 2 == 1 && row % 2 == 1 {
                        repeat { pixel = UInt8(1 + random.next() % 2) } while pixel == color
                        if column % 2 == 1 { pixel = self[x - 1, y] }
                    }
                }
                self[x, y] = pixel
            }
        }
    }

    /// Braille characters, each two pixels wide and four tall (lit pixels are dots).
    func braille() -> String {
        var text = ""
        for y in stride(from: 0, to: height, by: 4) {
            var scalars = String.UnicodeScalarView()
            for x in stride(from: 0, to: width, by: 2) {
                var dots: UInt32 = 0
                let order = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
                for (bit, (dx, dy)) in order.enumerated() where self[x + dx, y + dy] != 0 { dots |= 1 << UInt32(bit) }
                scalars.append(Unicode.Scalar(0x2800 + dots)!)
            }
            text += String(scalars)
            // As Redis: a newline after every band but one ending on the last pixel row.
            if y != height - 1 { text += "\n" }
        }
        return text
    }

    /// One space per pixel in the pixel's colour (black, two greys, white), ANSI escapes.
    func colored() -> String {
        let escapes = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"]
        var lines: [String] = []
        for y in 0..<height {
            var line = ""
            for x in 0..<width { line += "\u{1B}[\(escapes[Int(min(self[x, y], 3))]) \u{1B}[0m" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
