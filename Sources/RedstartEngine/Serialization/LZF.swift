// LZF, the compression Redis uses for strings in RDB files and DUMP payloads
// (rdbcompression) and for list chunks (list-compress-depth). The format: a
// control byte below 32 is a run of that many plus one literal bytes; otherwise
// its top three bits are a length (7 means a further length byte follows) and
// the rest, with the next byte, a distance back into the output; length + 2
// bytes are copied from there. Decompression bounds-checks every read and copy:
// bad input gives nil, never a crash. Compression finds earlier occurrences of
// the next three bytes through a small hash table of last positions.

enum LZF {
    /// `input` decompressed, which must give exactly `length` bytes; nil when it does not.
    static func decompress(_ input: UnsafeRawBufferPointer, length: Int) -> [UInt8]? {
        // LZF expands at most about 88 times: a larger claim is a lie, refused before any allocation.
        guard length >= 0, length <= input.count * 90 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(length)
        var position = 0
        while position < input.count {
            let control = Int(input[position])
            position += 1
            if control < 32 {
                let run = control + 1
                guard position + run <= input.count, output.count + run <= length else { return nil }
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[position..<(position + run)]))
                position += run
                continue
            }
            var run = control >> 5
            if run == 7 {
                guard position < input.count else { return nil }
                run += Int(input[position])
                position += 1
            }
            guard position < input.count else { return nil }
            let distance = ((control & 0x1f) << 8) + Int(input[position]) + 1
            position += 1
            run += 2
            guard distance <= output.count, output.count + run <= length else { return nil }
            // The source may overlap what is being written: copy byte by byte.
            var from = output.count - distance
            for _ in 0..<run {
                output.append(output[from])
                from += 1
            }
        }
        return output.count == length ? output : nil
    }

    /// `input` compressed, or nil when that would not be smaller than `input` itself.
    static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count >= 4 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(input.count)
        // A table about the input's size, 256 to 4096 slots: filling all 16 KB of the largest
        // for a 60-byte listpack cost more than compressing it (a third of SAVE's time for
        // small sorted sets).
        let slots = min(1 << tableBits, max(256, 1 << (Int.bitWidth - (input.count - 1).leadingZeroBitCount)))
        let fits = withUnsafeTemporaryAllocation(of: Int32.self, capacity: slots) { table in
            table.initialize(repeating: -1)
            return encode(input, into: &output, lastPositions: table)
        }
        guard fits else { return nil }
        // A copy of exactly its size: the working buffer was reserved for the whole input.
        return [UInt8](unsafeUninitializedCapacity: output.count) { buffer, initialized in
            initialized = buffer.initialize(fromContentsOf: output)
        }
    }

    private static let tableBits = 12
    private static let maxDistance = 1 << 13
    private static let maxMatch = 264  // 2 + 7 + 255

    /// Writes the compressed form of `input`; false as soon as it is not smaller.
    private static func encode(
        _ input: UnsafeRawBufferPointer, into output: inout [UInt8], lastPositions table: UnsafeMutableBufferPointer<Int32>
    ) -> Bool {
        let count = input.count
        let mask = table.count - 1
        var literalStart = 0
        var position = 0

        func flushLiterals(upTo end: Int) {
            var start = literalStart
            while start < end {
                let run = min(32, end - start)
                output.append(UInt8(run - 1))
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<(start + run)]))
                start += run
            }
            literalStart = end
        }

        while position + 2 < count {
            let key = (Int(input[position]) << 16) | (Int(input[position + 1]) << 8) | Int(input[position + 2])
            let slot = ((key &* 2_654_435_761) >> 16) & mask
            let candidate = Int(table[slot])
            table[slot] = Int32(truncatingIfNeeded: position)
            let distance = position - candidate
            guard candidate >= 0, distance <= maxDistance, input[candidate] == input[position],
                input[candidate + 1] == input[position + 1], input[candidate + 2] == input[position + 2]
            else {
                position += 1
                continue
            }
            var length = 3
            while position + length < count && length < maxMatch && input[candidate + length] == input[position + length] {
                length += 1
            }
            flushLiterals(upTo: position)
            let encodedLength = length - 2
            let back = distance - 1
            if encodedLength < 7 {
                output.append(UInt8(encodedLength << 5 | back >> 8))
            } else {
                output.append(UInt8(7 << 5 | back >> 8))
                output.append(UInt8(encodedLength - 7))
            }
            output.append(UInt8(back & 0xFF))
            position += length
            literalStart = position
            if output.count >= count { return false }
        }
        flushLiterals(upTo: count)
        return output.count < count
    }
}
