// LZF decompression, for strings Redis stores compressed in RDB files and DUMP
// payloads (rdbcompression). The format: a control byte below 32 is a run of
// that many plus one literal bytes; otherwise its top three bits are a length
// (7 means a further length byte follows) and the rest, with the next byte, a
// distance back into the output; length + 2 bytes are copied from there.
// Every read and copy is bounds-checked: bad input gives nil, never a crash.

enum LZF {
    /// `input` decompressed, which must give exactly `length` bytes; nil when it does not.
    static func decompress(_ input: UnsafeRawBufferPointer, length: Int) -> [UInt8]? {
        guard length >= 0 else { return nil }
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
}
