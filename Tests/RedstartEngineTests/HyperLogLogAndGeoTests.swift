// HyperLogLog and geohash arithmetic against values redis-server 7.0.15 produced
// (the bytes of PFADD h a b c, GEOADD's score for Palermo, GEODIST, GEOHASH and
// GEOPOS), and the invariants the commands rely on: sparse and dense values
// count the same, a promotion keeps every register, corrupt codes are refused.
import Testing

@testable import RedstartEngine

@Suite struct HyperLogLogAndGeoTests {
    private func sparse(_ elements: [String], maxBytes: Int = 3000) -> HyperLogLog {
        var hll = HyperLogLog.empty()
        for element in elements {
            _ = Array(element.utf8).withUnsafeBytes { hll.add($0, sparseMaxBytes: maxBytes) }
        }
        return hll
    }

    @Test func sparseBytesMatchRedis() {
        var hll = sparse(["a", "b", "c"])
        hll.invalidateCache()
        let redis: [UInt8] = [
            72, 89, 76, 76, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 96, 243, 128, 80, 177, 132, 75, 251, 128, 66, 90,
        ]
        #expect(hll.bytes == redis)
        #expect(HyperLogLog.estimate(hll.histogram()!) == 3)
    }

    @Test func emptyCountsZeroAndDenseAgreesWithSparse() {
        #expect(HyperLogLog.estimate(HyperLogLog.empty().histogram()!) == 0)
        let elements = (0..<700).map { "element:\($0)" }
        let small = sparse(elements)
        var dense = small
        let converted = dense.convertToDense()
        #expect(converted)
        #expect(dense.isDense && !small.isDense)
        #expect(HyperLogLog.estimate(small.histogram()!) == HyperLogLog.estimate(dense.histogram()!))
        // A value past hll-sparse-max-bytes turns dense on its own, keeping its registers.
        let promoted = sparse(elements, maxBytes: 200)
        #expect(promoted.isDense)
        #expect(promoted.bytes[HyperLogLog.headerSize...] == dense.bytes[HyperLogLog.headerSize...])
    }

    @Test func corruptSparseCodesAreRefused() {
        var hll = sparse(["a"])
        hll.bytes += [0x05]  // six more zero registers than there are
        #expect(hll.histogram() == nil)
        var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        #expect(!hll.merge(into: &registers))
        let converted = hll.convertToDense()
        #expect(!converted)
    }

    @Test func geohashScorePositionAndDistanceMatchRedis() {
        let palermo = GeoHash.score(longitude: 13.361389, latitude: 38.115556)
        #expect(palermo == 3_479_099_956_230_698)
        let catania = GeoHash.score(longitude: 15.087269, latitude: 37.502669)!
        let (longitude, latitude) = GeoHash.position(ofScore: palermo!)
        #expect(formatLongDouble(Float80(longitude)) == "13.36138933897018433")
        #expect(formatLongDouble(Float80(latitude)) == "38.11555639549629859")
        let other = GeoHash.position(ofScore: catania)
        let distance = GeoHash.distance(longitude, latitude, other.longitude, other.latitude)
        #expect(GeoFamily.distanceText(distance / 1000) == "166.2742")
        #expect(GeoHash.geohashString(longitude: longitude, latitude: latitude) == "sqc8b49rny0")
        #expect(GeoHash.geohashString(longitude: other.longitude, latitude: other.latitude) == "sqdtr74hyu0")
    }

    @Test func positionsOutsideTheLimitsHaveNoScore() {
        #expect(GeoHash.score(longitude: 180.1, latitude: 0) == nil)
        #expect(GeoHash.score(longitude: 0, latitude: 85.06) == nil)
        // Any score decodes (a sorted set may hold anything), clamped into the limits.
        let (longitude, latitude) = GeoHash.position(ofScore: -1e300)
        #expect(abs(longitude) <= 180 && abs(latitude) <= 85.05112878)
    }
}
