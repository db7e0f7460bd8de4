// Redis's geohash arithmetic, computed with the same double operations in the
// same order so that scores, positions and distances match redis-server to the
// last bit. A position is a 52-bit score of a sorted set: 26 bits of latitude
// (from -85.05112878 to 85.05112878, the Web Mercator limits) interleaved with
// 26 bits of longitude, latitude in the even bits. A search covers the
// geohash box around the centre at a step chosen from the radius, plus its
// eight neighbours, each box being a range of scores.
#if canImport(Glibc)
import Glibc
#endif

enum GeoHash {
    static let maxStep = 26
    static let latitudeLimits = (min: -85.05112878, max: 85.05112878)
    static let longitudeLimits = (min: -180.0, max: 180.0)
    static let earthRadius = 6372797.560856
    static let mercatorMax = 20037726.37
    private static let degreesToRadians = Double.pi / 180.0

    /// A box: its bits at a step (1...26). Bits 0 and step 0 is the "no box" value.
    struct Box: Equatable {
        var bits: UInt64
        var step: Int
        static let none = Box(bits: 0, step: 0)
        var isNone: Bool { bits == 0 && step == 0 }
    }

    /// A box's extent in degrees.
    struct Area {
        var longitude: (min: Double, max: Double)
        var latitude: (min: Double, max: Double)
    }

    // MARK: - Bits

    /// Spreads the bits of `x` into the even positions and those of `y` into the odd ones.
    static func interleave(_ x: UInt32, _ y: UInt32) -> UInt64 {
        func spread(_ value: UInt32) -> UInt64 {
            var v = UInt64(value)
            v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF
            v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF
            v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F
            v = (v | (v << 2)) & 0x3333_3333_3333_3333
            v = (v | (v << 1)) & 0x5555_5555_5555_5555
            return v
        }
        return spread(x) | (spread(y) << 1)
    }

    /// The inverse of `interleave`: even bits in the low 32 bits, odd bits in the high ones.
    static func deinterleave(_ value: UInt64) -> UInt64 {
        func gather(_ input: UInt64) -> UInt64 {
            var v = input & 0x5555_5555_5555_5555
            v = (v | (v >> 1)) & 0x3333_3333_3333_3333
            v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F
            v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF
            v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF
            v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
            return v
        }
        return gather(value) | (gather(value >> 1) << 32)
    }

    // MARK: - Encoding and decoding

    /// The box of `step` holding a position, within the given coordinate ranges; nil when
    /// the position lies outside them (or outside the Mercator limits).
    static func encode(
        longitude: Double, latitude: Double, step: Int,
        longitudeRange: (min: Double, max: Double) = longitudeLimits,
        latitudeRange: (min: Double, max: Double) = latitudeLimits
    ) -> Box? {
        guard step >= 1 && step <= 32 else { return nil }
        guard longitude <= longitudeLimits.max && longitude >= longitudeLimits.min
            && latitude <= latitudeLimits.max && latitude >= latitudeLimits.min
        else { return nil }
        guard latitude >= latitudeRange.min && latitude <= latitudeRange.max
            && longitude >= longitudeRange.min && longitude <= longitudeRange.max
        else { return nil }
        var latitudeOffset = (latitude - latitudeRange.min) / (latitudeRange.max - latitudeRange.min)
        var longitudeOffset = (longitude - longitudeRange.min) / (longitudeRange.max - longitudeRange.min)
        let scale = Double(UInt64(1) << UInt64(step))
        latitudeOffset *= scale
        longitudeOffset *= scale
        return Box(bits: interleave(UInt32(latitudeOffset), UInt32(longitudeOffset)), step: step)
    }

    /// The extent of a box (nil for the "no box" value).
    static func decode(
        _ box: Box, longitudeRange: (min: Double, max: Double) = longitudeLimits,
        latitudeRange: (min: Double, max: Double) = latitudeLimits
    ) -> Area? {
        guard !box.isNone else { return nil }
        let separated = deinterleave(box.bits)
        let latitudeScale = latitudeRange.max - latitudeRange.min
        let longitudeScale = longitudeRange.max - longitudeRange.min
        // 32-bit cells, as in C: the cell after 0xFFFFFFFF wraps to 0.
        let latitudeCell = UInt32(truncatingIfNeeded: separated)
        let longitudeCell = UInt32(truncatingIfNeeded: separated >> 32)
        let cells = Double(UInt64(1) << UInt64(box.step))
        return Area(
            longitude: (
                longitudeRange.min + (Double(longitudeCell) * 1.0 / cells) * longitudeScale,
                longitudeRange.min + (Double(longitudeCell &+ 1) * 1.0 / cells) * longitudeScale
            ),
            latitude: (
                latitudeRange.min + (Double(latitudeCell) * 1.0 / cells) * latitudeScale,
                latitudeRange.min + (Double(latitudeCell &+ 1) * 1.0 / cells) * latitudeScale
            ))
    }

    /// The centre of an area, clamped into the coordinate limits.
    static func center(of area: Area) -> (longitude: Double, latitude: Double) {
        var longitude = (area.longitude.min + area.longitude.max) / 2
        longitude = min(max(longitude, longitudeLimits.min), longitudeLimits.max)
        var latitude = (area.latitude.min + area.latitude.max) / 2
        latitude = min(max(latitude, latitudeLimits.min), latitudeLimits.max)
        return (longitude, latitude)
    }

    /// The score of a position: its 26-step box's bits (already 52 bits long).
    static func score(longitude: Double, latitude: Double) -> Double? {
        guard let box = encode(longitude: longitude, latitude: latitude, step: maxStep) else { return nil }
        return Double(aligned52(box))
    }

    /// The position a score stands for (any score decodes; as in C, the score is converted
    /// to a 64-bit integer the way x86-64 does).
    static func position(ofScore score: Double) -> (longitude: Double, latitude: Double) {
        let bits: UInt64
        if score >= 0 && score < 18_446_744_073_709_551_616.0 {
            bits = UInt64(score)
        } else if score < 0 && score > -9_223_372_036_854_775_808.0 {
            bits = UInt64(bitPattern: Int64(score))
        } else {
            bits = 1 << 63
        }
        return center(of: decode(Box(bits: bits, step: maxStep))!)
    }

    /// A box's bits shifted to 52 bits: the lowest score inside it.
    static func aligned52(_ box: Box) -> UInt64 {
        box.bits << UInt64(52 - box.step * 2)
    }

    // MARK: - Neighbours

    /// Moves a box one cell along the bits of `axis` (0xAAAA… longitude, 0x5555…
    /// latitude): +1 or -1, wrapping around, the other axis's bits unchanged.
    private static func move(_ box: inout Box, along axis: UInt64, by direction: Int) {
        let moving = box.bits & axis
        let fixed = box.bits & ~axis
        // The other axis's bits set in the moving one's gaps, so that carries cross them.
        let gaps: UInt64 = ~axis >> UInt64(64 - box.step * 2)
        let moved = direction > 0 ? moving &+ (gaps &+ 1) : (moving | gaps) &- (gaps &+ 1)
        box.bits = (moved & (axis >> UInt64(64 - box.step * 2))) | fixed
    }

    /// A neighbouring box: `dx` east (+1) or west (-1), `dy` north (+1) or south (-1).
    static func neighbor(of box: Box, dx: Int, dy: Int) -> Box {
        var result = box
        if dx != 0 { move(&result, along: 0xAAAA_AAAA_AAAA_AAAA, by: dx) }
        if dy != 0 { move(&result, along: 0x5555_5555_5555_5555, by: dy) }
        return result
    }

    // MARK: - Distances

    /// Metres between two latitudes along a meridian.
    static func latitudeDistance(_ latitude1: Double, _ latitude2: Double) -> Double {
        earthRadius * abs(latitude2 * degreesToRadians - latitude1 * degreesToRadians)
    }

    /// The haversine distance in metres between two positions.
    static func distance(_ longitude1: Double, _ latitude1: Double, _ longitude2: Double, _ latitude2: Double) -> Double {
        let lon1 = longitude1 * degreesToRadians
        let lon2 = longitude2 * degreesToRadians
        let v = sin((lon2 - lon1) / 2)
        if v == 0.0 { return latitudeDistance(latitude1, latitude2) }
        let lat1 = latitude1 * degreesToRadians
        let lat2 = latitude2 * degreesToRadians
        let u = sin((lat2 - lat1) / 2)
        let a = u * u + cos(lat1) * cos(lat2) * v * v
        return 2.0 * earthRadius * asin(a.squareRoot())
    }

    // MARK: - Search areas

    /// The shape of a search: a circle of `radius` or a `width` x `height` box, in the
    /// request's unit (`conversion` metres per unit), around a centre.
    struct Shape {
        enum Kind {
            case radius(Double)
            case box(width: Double, height: Double)
        }
        var kind: Kind
        var conversion: Double
        var longitude: Double
        var latitude: Double

        /// Whether a position is inside; its distance from the centre in metres when it is.
        func distanceIfInside(_ longitude: Double, _ latitude: Double) -> Double? {
            switch kind {
            case .radius(let radius):
                let distance = GeoHash.distance(self.longitude, self.latitude, longitude, latitude)
                return distance > radius * conversion ? nil : distance
            case .box(let width, let height):
                let widthMeters = width * conversion
                let heightMeters = height * conversion
                if GeoHash.latitudeDistance(latitude, self.latitude) > heightMeters / 2 { return nil }
                if GeoHash.distance(longitude, latitude, self.longitude, latitude) > widthMeters / 2 { return nil }
                return GeoHash.distance(self.longitude, self.latitude, longitude, latitude)
            }
        }

        /// The bounding box in degrees: (min longitude, min latitude, max longitude, max latitude).
        var bounds: (Double, Double, Double, Double) {
            let height: Double
            let width: Double
            switch kind {
            case .radius(let radius):
                height = conversion * radius
                width = conversion * radius
            case .box(let boxWidth, let boxHeight):
                height = conversion * (boxHeight / 2)
                width = conversion * (boxWidth / 2)
            }
            let latitudeDelta = height / GeoHash.earthRadius / GeoHash.degreesToRadians
            let longitudeDeltaTop =
                width / GeoHash.earthRadius / cos((latitude + latitudeDelta) * GeoHash.degreesToRadians)
                / GeoHash.degreesToRadians
            let longitudeDeltaBottom =
                width / GeoHash.earthRadius / cos((latitude - latitudeDelta) * GeoHash.degreesToRadians)
                / GeoHash.degreesToRadians
            let southern = latitude < 0
            return (
                southern ? longitude - longitudeDeltaBottom : longitude - longitudeDeltaTop,
                latitude - latitudeDelta,
                southern ? longitude + longitudeDeltaBottom : longitude + longitudeDeltaTop,
                latitude + latitudeDelta
            )
        }

        /// The radius in metres that covers the shape.
        var coveringRadius: Double {
            switch kind {
            case .radius(let radius): return radius * conversion
            case .box(let width, let height):
                return ((width / 2) * (width / 2) + (height / 2) * (height / 2)).squareRoot() * conversion
            }
        }
    }

    /// The step whose boxes are about as large as `meters` at `latitude`.
    static func step(forRadius meters: Double, latitude: Double) -> Int {
        if meters == 0 { return 26 }
        var range = meters
        var step = 1
        while range < mercatorMax {
            range *= 2
            step += 1
        }
        step -= 2
        if latitude > 66 || latitude < -66 {
            step -= 1
            if latitude > 80 || latitude < -80 { step -= 1 }
        }
        return min(max(step, 1), 26)
    }

    /// The boxes to scan for a shape, in Redis's order: the centre's box, then north, south,
    /// east, west, north-east, north-west, south-east, south-west; neighbours entirely
    /// outside the bounding box are `.none`.
    static func searchBoxes(for shape: Shape) -> [Box] {
        let (minLongitude, minLatitude, maxLongitude, maxLatitude) = shape.bounds
        var step = self.step(forRadius: shape.coveringRadius, latitude: shape.latitude)
        func boxes(at step: Int) -> (Box, [Box], Area?) {
            let center = encode(longitude: shape.longitude, latitude: shape.latitude, step: step) ?? Box(bits: 0, step: step)
            let around = [
                neighbor(of: center, dx: 0, dy: 1), neighbor(of: center, dx: 0, dy: -1),
                neighbor(of: center, dx: 1, dy: 0), neighbor(of: center, dx: -1, dy: 0),
                neighbor(of: center, dx: 1, dy: 1), neighbor(of: center, dx: -1, dy: 1),
                neighbor(of: center, dx: 1, dy: -1), neighbor(of: center, dx: -1, dy: -1),
            ]
            return (center, around, decode(center))
        }
        var (center, around, area) = boxes(at: step)
        // A step whose neighbours do not reach the bounding box's edges is one too fine.
        var decrease = false
        if let north = decode(around[0]), north.latitude.max < maxLatitude { decrease = true }
        if let south = decode(around[1]), south.latitude.min > minLatitude { decrease = true }
        if let east = decode(around[2]), east.longitude.max < maxLongitude { decrease = true }
        if let west = decode(around[3]), west.longitude.min > minLongitude { decrease = true }
        if step > 1 && decrease {
            step -= 1
            (center, around, area) = boxes(at: step)
        }
        if step >= 2, let area {
            // Indexes into `around`: 0 N, 1 S, 2 E, 3 W, 4 NE, 5 NW, 6 SE, 7 SW.
            if area.latitude.min < minLatitude { for i in [1, 7, 6] { around[i] = .none } }
            if area.latitude.max > maxLatitude { for i in [0, 4, 5] { around[i] = .none } }
            if area.longitude.min < minLongitude { for i in [3, 7, 5] { around[i] = .none } }
            if area.longitude.max > maxLongitude { for i in [2, 6, 4] { around[i] = .none } }
        }
        return [center] + around
    }

    /// The scores inside a box: from its aligned bits up to (not including) the next box's.
    static func scoreRange(of box: Box) -> (min: Double, max: Double) {
        var next = box
        next.bits += 1
        return (Double(aligned52(box)), Double(aligned52(next)))
    }

    // MARK: - GEOHASH strings

    /// The standard 11-character geohash of a position (latitude range -90...90; the 11th
    /// character stands for bits Redis does not have and is always "0").
    static func geohashString(longitude: Double, latitude: Double) -> String {
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz".utf8)
        let bits =
            encode(
                longitude: longitude, latitude: latitude, step: 26, longitudeRange: (-180, 180),
                latitudeRange: (-90, 90))?.bits ?? 0
        var characters: [UInt8] = []
        for i in 0..<11 {
            let index = i == 10 ? 0 : Int((bits >> UInt64(52 - (i + 1) * 5)) & 0x1F)
            characters.append(alphabet[index])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
