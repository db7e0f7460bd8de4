// SegmentedArray against a Swift Array: appends, removals of the last element and
// overwrites, growing through the first segment's doublings and many whole segments,
// shrinking back across segment boundaries (where emptied segments are freed) and
// growing again; elements are heap-held byte strings, so a wrong move or a missed
// deinitialization shows as a wrong value (or a crash), not only as a leak.
import Testing

@testable import RedstartEngine

@Suite struct SegmentedArrayTests {
    @Test func agreesWithAnArrayThroughGrowthAndShrinking() {
        var random = SplitMix(state: 42)
        var array = SegmentedArray<ByteString>()
        defer { array.deallocate() }
        var model: [ByteString] = []
        func element(_ n: Int) -> ByteString {
            // Long enough to live on the heap (a short one is stored inline).
            ByteString(Array("member-\(n)-".utf8) + Array(repeating: UInt8(n & 0x7f), count: 40))
        }
        let segment = SegmentedArray<ByteString>.segmentSize
        // Phases: grow past several segments, shrink to below one, grow again.
        for (target, steps) in [(5 * segment + 17, 14_000), (segment / 3, 14_000), (3 * segment, 10_000)] {
            for step in 0..<steps {
                let roll = random.below(10)
                let growing = model.count < target
                if (growing && roll < 8) || model.isEmpty {
                    let value = element(step)
                    array.append(value)
                    model.append(value)
                } else if roll < 8 || !growing {
                    if roll < 7 {
                        array.removeLast()
                        model.removeLast()
                    } else {
                        let position = random.below(model.count)
                        let value = element(step + 1_000_000)
                        array[position] = value
                        model[position] = value
                    }
                } else {
                    let position = random.below(model.count)
                    array[position] = array[model.count - 1]
                    model[position] = model[model.count - 1]
                }
                #expect(array.count == model.count)
            }
            #expect(Array(array) == model)
            #expect(array.capacity >= array.count)
        }
    }

    @Test func aSmallArrayHoldsLittleAndGrowthNeverCopiesMoreThanASegment() {
        var array = SegmentedArray<ByteString>()
        defer { array.deallocate() }
        for n in 0..<5 { array.append(ByteString(Array("m\(n)".utf8))) }
        #expect(array.capacity == 8)
        let segment = SegmentedArray<ByteString>.segmentSize
        for n in 5..<(3 * segment) { array.append(ByteString(Array("m\(n)".utf8))) }
        // Whole segments only: no doubling of the whole array.
        #expect(array.capacity == 3 * segment)
        array.append(ByteString(Array("one more".utf8)))
        #expect(array.capacity == 4 * segment)
        // Emptying the last segment frees it once the one before is half empty.
        array.removeLast()
        #expect(array.capacity == 4 * segment)
        for _ in 0..<(segment / 2) { array.removeLast() }
        #expect(array.capacity == 3 * segment)
        #expect(array[0] == ByteString(Array("m0".utf8)))
        #expect(array[array.count - 1] == ByteString(Array("m\(3 * segment - segment / 2 - 1)".utf8)))
    }

    /// A table made from a packed set reserves room for 129: the first segment's doublings
    /// from there stop at the segment's size, not past it.
    @Test func growthFromAnOddReservationStopsAtTheSegmentSize() {
        var array = SegmentedArray<ByteString>()
        defer { array.deallocate() }
        array.reserveCapacity(129)
        let segment = SegmentedArray<ByteString>.segmentSize
        for n in 0..<(2 * segment + 1) { array.append(ByteString(Array("m\(n)".utf8))) }
        #expect(array.capacity == 3 * segment)
        #expect((0..<array.count).allSatisfy { array[$0] == ByteString(Array("m\($0)".utf8)) })
    }
}
