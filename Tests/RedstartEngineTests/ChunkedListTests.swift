// ChunkedList against a plain array of elements: random pushes, pops, inserts,
// removals, trims and replacements, with small chunk sizes so that chunks fill,
// split and empty all the time; every step compares the whole list.
import Testing

@testable import RedstartEngine

private func contents(_ list: ChunkedList) -> [[UInt8]] {
    var all: [[UInt8]] = []
    list.scan(fromFront: true) { _, bytes in
        all.append(Array(bytes))
        return true
    }
    return all
}

private func element(_ random: inout SplitMix) -> [UInt8] {
    // Mostly short elements, some longer than a one-byte length, a few empty.
    let length = [0, 1, 3, 8, 130, 300][random.below(6)]
    return (0..<length).map { _ in UInt8(97 + random.below(4)) }
}

/// (fill, compress depth): chunk sizes from one element to 8 KB, without compression and
/// with inside chunks compressed (list-compress-depth 1 and 2).
@Test(arguments: [(-1, 0), (-2, 0), (1, 0), (4, 0), (128, 0), (4, 1), (-1, 2), (1, 1), (16, 2)])
func chunkedListMatchesAnArray(fill: Int, depth: Int) {
    var random = SplitMix(state: UInt64(bitPattern: Int64(fill &* 31 &+ depth)) &+ 7)
    let list = ChunkedList(fill: fill, compressDepth: depth)
    var model: [[UInt8]] = []
    for step in 0..<4000 {
        let value = element(&random)
        switch random.below(10) {
        case 0, 1:
            value.withUnsafeBytes { list.pushFront($0) }
            model.insert(value, at: 0)
        case 2, 3:
            value.withUnsafeBytes { list.pushBack($0) }
            model.append(value)
        case 4:
            let front = random.below(2) == 0
            let popped = list.pop(fromFront: front)
            let expected = model.isEmpty ? nil : (front ? model.removeFirst() : model.removeLast())
            #expect(popped == expected, "step \(step)")
        case 5 where !model.isEmpty:
            let pivot = model[random.below(model.count)]
            let after = random.below(2) == 0
            let inserted = value.withUnsafeBytes { v in pivot.withUnsafeBytes { list.insert(v, relativeTo: $0, after: after) } }
            #expect(inserted)
            let at = model.firstIndex(of: pivot)!
            model.insert(value, at: after ? at + 1 : at)
        case 6 where !model.isEmpty:
            let index = random.below(model.count)
            value.withUnsafeBytes { list.replace(at: index, with: $0) }
            model[index] = value
        case 7 where !model.isEmpty:
            let target = model[random.below(model.count)]
            let limit = random.below(3)
            let front = random.below(2) == 0
            let removed = target.withUnsafeBytes { list.removeAll(equalTo: $0, limit: limit, fromFront: front) }
            var expected = 0
            var kept: [[UInt8]] = []
            let ordered = front ? model : model.reversed()
            for item in ordered {
                if item == target && (limit == 0 || expected < limit) {
                    expected += 1
                } else {
                    kept.append(item)
                }
            }
            model = front ? kept : kept.reversed()
            #expect(removed == expected, "step \(step)")
        case 8 where model.count > 2 && random.below(4) == 0:
            let front = random.below(model.count / 2)
            let back = random.below(model.count / 2)
            list.removeEnds(front: front, back: back)
            model.removeFirst(front)
            model.removeLast(back)
        default:
            if !model.isEmpty {
                let index = random.below(model.count)
                #expect(list.withElement(at: index) { Array($0) } == model[index])
                let upper = min(model.count - 1, index + random.below(5))
                var range: [[UInt8]] = []
                list.forEach(in: index...upper) { range.append(Array($0)) }
                #expect(range == Array(model[index...upper]))
            }
        }
        #expect(list.count == model.count)
        if step % 50 == 0 || list.count < 5 { #expect(contents(list) == model, "step \(step)") }
    }
    #expect(contents(list) == model)
    if depth > 0 {
        // Grown long, the list keeps its inside chunks compressed, and the contents hold.
        for index in 0..<600 {
            let value = Array(repeating: UInt8(97 + index % 3), count: 60)
            value.withUnsafeBytes { list.pushBack($0) }
            model.append(value)
        }
        #expect(list.chunkCount > 2 * depth)
        #expect(list.compressedChunkCount > 0)
        #expect(contents(list) == model)
    }
    var backwards: [[UInt8]] = []
    list.scan(fromFront: false) { index, bytes in
        #expect(index == model.count - 1 - backwards.count)
        backwards.append(Array(bytes))
        return true
    }
    #expect(backwards == model.reversed())
}

@Test func chunksRespectTheSizeLimit() {
    let list = ChunkedList(fill: 4)
    for value in 0..<10 { Array("\(value)".utf8).withUnsafeBytes { list.pushBack($0) } }
    #expect(list.chunkCount == 3)
    let bytes = ChunkedList(fill: -1)
    let big = [UInt8](repeating: 120, count: 1000)
    for _ in 0..<10 { big.withUnsafeBytes { bytes.pushFront($0) } }
    // 4 KB chunks hold four 1000-byte elements.
    #expect(bytes.chunkCount == 3)
    let copy = bytes.copy()
    #expect(contents(copy) == contents(bytes))
    _ = copy.pop(fromFront: true)
    #expect(bytes.count == 10)
}

@Test func aQueueFedAtOneEndAndPoppedAtTheOtherStaysSmall() {
    for pushFront in [true, false] {
        let list = ChunkedList(fill: -2)
        let job = Array("job".utf8)
        for _ in 0..<20_000 {
            job.withUnsafeBytes { list.push($0, atFront: pushFront) }
            _ = list.pop(fromFront: pushFront == false)
        }
        #expect(list.allocatedBytes < 512)
    }
    // Alternating ends on a short list.
    let list = ChunkedList(fill: -2)
    for _ in 0..<1000 {
        Array("x".utf8).withUnsafeBytes { list.pushFront($0) }
        Array("y".utf8).withUnsafeBytes { list.pushBack($0) }
    }
    #expect(list.count == 2000)
    #expect(list.allocatedBytes < 16 * 1024)
}

@Test func compressionKeepsTheEndsPlainAndShrinksTheMiddle() {
    let element = Array(repeating: UInt8(ascii: "x"), count: 200)
    let plain = ChunkedList(fill: -2)
    let compressed = ChunkedList(fill: -2, compressDepth: 1)
    for _ in 0..<2000 {
        element.withUnsafeBytes { plain.pushBack($0) }
        element.withUnsafeBytes { compressed.pushBack($0) }
    }
    #expect(compressed.allocatedBytes * 4 < plain.allocatedBytes)
    // Reading the middle and the ends gives the same elements, and the middle is compressed again after.
    let before = compressed.allocatedBytes
    #expect(compressed.withElement(at: 1000) { Array($0) } == element)
    var all = 0
    compressed.forEach(in: 0...1999) { bytes in if bytes.elementsEqual(element) { all += 1 } }
    #expect(all == 2000)
    #expect(compressed.allocatedBytes == before)
    #expect(compressed.pop(fromFront: true) == element && compressed.pop(fromFront: false) == element)
}
