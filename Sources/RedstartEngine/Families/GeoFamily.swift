// GEO commands over sorted sets whose scores are 52-bit geohashes
// (Storage/GeoHash.swift): GEOADD (ZADD underneath, as in Redis), GEOPOS,
// GEODIST, GEOHASH, and the searches GEOSEARCH/GEOSEARCHSTORE and the older
// GEORADIUS/GEORADIUSBYMEMBER with their _RO forms, which share one parser and
// one search with Redis's argument rules, errors and reply shapes.
import RedstartRESP

enum GeoFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("geoadd", arity: -5, flags: [.write, .denyOOM], keys: .first, acl: [.geo], group: "geo", run: geoadd),
            .init("geodist", arity: -4, flags: [.readonly], keys: .first, acl: [.geo], group: "geo", run: geodist),
            .init("geohash", arity: -2, flags: [.readonly], keys: .first, acl: [.geo], group: "geo", run: geohash),
            .init("geopos", arity: -2, flags: [.readonly], keys: .first, acl: [.geo], group: "geo", run: geopos),
            .init(
                "georadius", arity: -6, flags: [.write, .denyOOM, .movableKeys], keys: .first, acl: [.geo], group: "geo",
                findKeys: { radiusKeys($0, from: 6) }, run: georadius),
            .init(
                "georadius_ro", arity: -6, flags: [.readonly], keys: .first, acl: [.geo], group: "geo",
                run: georadiusReadOnly),
            .init(
                "georadiusbymember", arity: -5, flags: [.write, .denyOOM, .movableKeys], keys: .first, acl: [.geo],
                group: "geo", findKeys: { radiusKeys($0, from: 5) }, run: georadiusByMember),
            .init(
                "georadiusbymember_ro", arity: -5, flags: [.readonly], keys: .first, acl: [.geo], group: "geo",
                run: georadiusByMemberReadOnly),
            .init(
                "geosearch", arity: -7, flags: [.readonly], keys: .first, acl: [.geo], group: "geo",
                run: geosearch),
            .init(
                "geosearchstore", arity: -8, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: 2, step: 1),
                acl: [.geo], group: "geo", run: geosearchstore),
        ]
    }

    /// GEORADIUS(BYMEMBER)'s keys: the source, then the keys after the first STORE and the
    /// first STOREDIST at or after argument `from` (its key specs' keyword searches).
    static func radiusKeys(_ arguments: CommandArguments, from start: Int) -> [KeyReference]? {
        var keys = [KeyReference(position: 1, flags: ["RO", "access"])]
        for keyword: StaticString in ["store", "storedist"] {
            var index = start
            while index < arguments.count && !arguments.isEqual(at: index, toLowercase: keyword) { index += 1 }
            if index + 1 < arguments.count { keys.append(KeyReference(position: index + 1, flags: ["OW", "update"])) }
        }
        return keys
    }

    static let unsupportedUnit = ReplyError("unsupported unit provided. please use M, KM, FT, MI")
    static let undecodableMember = ReplyError("could not decode requested zset member")

    // MARK: - Argument parsing

    /// A double argument as Redis's getDoubleFromObjectOrReply reads it.
    static func double(_ cmd: CommandContext, _ index: Int, error: ReplyError = .notFloat) throws(ReplyError) -> Double {
        guard let value = cmd.args.withBytes(at: index, { SortedSetFamily.parseScore($0) }) else { throw error }
        return value
    }

    /// A longitude, latitude pair at `index` and `index + 1`, inside the geohash limits.
    static func position(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> (longitude: Double, latitude: Double) {
        let longitude = try double(cmd, index)
        let latitude = try double(cmd, index + 1)
        guard longitude >= GeoHash.longitudeLimits.min && longitude <= GeoHash.longitudeLimits.max
            && latitude >= GeoHash.latitudeLimits.min && latitude <= GeoHash.latitudeLimits.max
        else {
            throw ReplyError(
                "invalid longitude,latitude pair \(formatWithC("%f", longitude)),\(formatWithC("%f", latitude))")
        }
        return (longitude, latitude)
    }

    /// Metres per unit for M, KM, FT or MI (any case).
    static func unit(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> Double {
        if cmd.argument(index, is: "m") { return 1 }
        if cmd.argument(index, is: "km") { return 1000 }
        if cmd.argument(index, is: "ft") { return 0.3048 }
        if cmd.argument(index, is: "mi") { return 1609.34 }
        throw unsupportedUnit
    }

    /// A radius and its unit at `index`: (radius, metres per unit).
    static func radius(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> (Double, Double) {
        let radius = try double(cmd, index, error: ReplyError("need numeric radius"))
        if radius < 0 { throw ReplyError("radius cannot be negative") }
        return (radius, try unit(cmd, index + 1))
    }

    /// The position a member's score stands for, or nil when it is not in the set.
    static func position(of member: UnsafeRawBufferPointer, in zset: SortedSetValue) -> (longitude: Double, latitude: Double)? {
        zset.score(of: ByteString(member)).map { GeoHash.position(ofScore: $0) }
    }

    // MARK: - Reply formats

    /// A distance with four decimals, rounded as Redis's fixedpoint_d2string (llrint).
    static func distanceText(_ distance: Double) -> String {
        if distance == 0 { return "0.0000" }
        let scaled = (distance * 10000).rounded(.toNearestOrEven)
        let magnitude: UInt64 = abs(scaled) < 9.2e18 ? UInt64(abs(scaled)) : 1 << 63
        var digits = String(magnitude)
        if digits.count < 5 { digits = String(repeating: "0", count: 5 - digits.count) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -4))
        return (scaled < 0 ? "-" : "") + digits
    }

    /// A coordinate as Redis's addReplyHumanLongDouble writes it.
    static func replyCoordinate(_ cmd: CommandContext, _ value: Double) {
        cmd.reply.double(text: formatLongDouble(Float80(value)))
    }

    // MARK: - GEOADD, GEOPOS, GEODIST, GEOHASH

    /// GEOADD key [NX|XX] [CH] longitude latitude member [...] → ZADD with the members'
    /// geohash scores: members added (or changed, with CH).
    static func geoadd(_ cmd: CommandContext) throws(ReplyError) {
        var first = 2
        var nx = false
        var xx = false
        while first < cmd.args.count {
            if cmd.argument(first, is: "nx") { nx = true }
            else if cmd.argument(first, is: "xx") { xx = true }
            else if !cmd.argument(first, is: "ch") { break }
            first += 1
        }
        let remaining = cmd.args.count - first
        guard remaining > 0 && remaining % 3 == 0 && !(nx && xx) else { throw .syntax }
        var zaddArguments: [[UInt8]] = (0..<first).map { cmd.args.bytes(at: $0) }
        zaddArguments[0] = Array("zadd".utf8)
        for triple in stride(from: first, to: cmd.args.count, by: 3) {
            let (longitude, latitude) = try position(cmd, triple)
            let score = GeoHash.score(longitude: longitude, latitude: latitude) ?? 0
            zaddArguments.append(Array(String(Int64(score)).utf8))
            zaddArguments.append(cmd.args.bytes(at: triple + 2))
        }
        let zadd = CommandContext(
            engine: cmd.engine, session: cmd.session, args: CommandArguments(zaddArguments), spec: cmd.spec)
        try SortedSetFamily.zadd(zadd)
    }

    /// The sorted set at argument `index` for reading, nil when missing, else WRONGTYPE.
    private static func readSortedSet(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> SortedSetValue? {
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: index, { cmd.engine.lookupRead(db, $0) }) else { return nil }
        return try cmd.sortedSetValue(db, entry)
    }

    /// GEOPOS key [member ...] → for each member [longitude, latitude], or null.
    static func geopos(_ cmd: CommandContext) throws(ReplyError) {
        let zset = try readSortedSet(cmd, 1)
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for argument in 2..<cmd.args.count {
            guard let zset, let point = cmd.args.withBytes(at: argument, { position(of: $0, in: zset) }) else {
                cmd.reply.nullArray()
                continue
            }
            cmd.reply.arrayHeader(2)
            replyCoordinate(cmd, point.longitude)
            replyCoordinate(cmd, point.latitude)
        }
    }

    /// GEODIST key member1 member2 [M|KM|FT|MI] → the distance as a string, or null.
    static func geodist(_ cmd: CommandContext) throws(ReplyError) {
        var metresPerUnit = 1.0
        if cmd.args.count == 5 {
            metresPerUnit = try unit(cmd, 4)
        } else if cmd.args.count > 5 {
            throw .syntax
        }
        guard let zset = try readSortedSet(cmd, 1),
            let from = cmd.args.withBytes(at: 2, { position(of: $0, in: zset) }),
            let to = cmd.args.withBytes(at: 3, { position(of: $0, in: zset) })
        else {
            cmd.reply.null()
            return
        }
        let distance = GeoHash.distance(from.longitude, from.latitude, to.longitude, to.latitude) / metresPerUnit
        cmd.reply.bulk(distanceText(distance))
    }

    /// GEOHASH key [member ...] → for each member its 11-character geohash, or null.
    static func geohash(_ cmd: CommandContext) throws(ReplyError) {
        let zset = try readSortedSet(cmd, 1)
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for argument in 2..<cmd.args.count {
            guard let zset, let point = cmd.args.withBytes(at: argument, { position(of: $0, in: zset) }) else {
                cmd.reply.null()
                continue
            }
            cmd.reply.bulk(GeoHash.geohashString(longitude: point.longitude, latitude: point.latitude))
        }
    }

    // MARK: - Searches

    /// Which search command runs (Redis's georadiusGeneric flags).
    struct SearchKind: OptionSet {
        let rawValue: Int
        /// GEORADIUS(_RO): centre and radius are the first arguments.
        static let coordinates = SearchKind(rawValue: 1 << 0)
        /// GEORADIUSBYMEMBER(_RO): centre is a member.
        static let member = SearchKind(rawValue: 1 << 1)
        /// The _RO forms: no STORE/STOREDIST.
        static let noStore = SearchKind(rawValue: 1 << 2)
        /// GEOSEARCH and GEOSEARCHSTORE: FROMMEMBER/FROMLONLAT and BYRADIUS/BYBOX.
        static let search = SearchKind(rawValue: 1 << 3)
        /// GEOSEARCHSTORE: the destination is the first argument; STOREDIST is a flag.
        static let searchStore = SearchKind(rawValue: 1 << 4)
    }

    /// One member found by a search.
    struct Found {
        var member: ByteString
        var longitude: Double
        var latitude: Double
        /// Metres from the centre, later in the request's unit.
        var distance: Double
        var score: Double
    }

    private enum Order { case none, ascending, descending }

    static func georadius(_ cmd: CommandContext) throws(ReplyError) { try search(cmd, source: 1, [.coordinates]) }
    static func georadiusReadOnly(_ cmd: CommandContext) throws(ReplyError) {
        try search(cmd, source: 1, [.coordinates, .noStore])
    }
    static func georadiusByMember(_ cmd: CommandContext) throws(ReplyError) { try search(cmd, source: 1, [.member]) }
    static func georadiusByMemberReadOnly(_ cmd: CommandContext) throws(ReplyError) {
        try search(cmd, source: 1, [.member, .noStore])
    }
    static func geosearch(_ cmd: CommandContext) throws(ReplyError) { try search(cmd, source: 1, [.search]) }
    static func geosearchstore(_ cmd: CommandContext) throws(ReplyError) {
        try search(cmd, source: 2, [.search, .searchStore])
    }

    /// The search commands, as Redis's georadiusGeneric: the centre and shape, options in
    /// any order, then the members inside the shape, in the boxes' score order or sorted by
    /// distance, replied or stored.
    static func search(_ cmd: CommandContext, source: Int, _ kind: SearchKind) throws(ReplyError) {
        let zset = try readSortedSet(cmd, source)
        var shape = GeoHash.Shape(kind: .radius(0), conversion: 0, longitude: 0, latitude: 0)
        var storeKey: Int?
        var storeDistance = false
        let base: Int
        if kind.contains(.coordinates) {
            base = 6
            (shape.longitude, shape.latitude) = try position(cmd, 2)
            let (radius, conversion) = try self.radius(cmd, 4)
            shape.kind = .radius(radius)
            shape.conversion = conversion
        } else if kind.contains(.member) && zset == nil {
            base = 5
        } else if kind.contains(.member) {
            base = 5
            guard let zset, let center = cmd.args.withBytes(at: 2, { position(of: $0, in: zset) }) else {
                throw undecodableMember
            }
            (shape.longitude, shape.latitude) = center
            let (radius, conversion) = try self.radius(cmd, 3)
            shape.kind = .radius(radius)
            shape.conversion = conversion
        } else {
            base = kind.contains(.searchStore) ? 3 : 2
            if kind.contains(.searchStore) { storeKey = 1 }
        }

        var withDistance = false, withHash = false, withCoordinates = false
        var fromMember = false, fromPosition = false, byRadius = false, byBox = false
        var order = Order.none
        var any = false
        var count = 0
        var argument = base
        let total = cmd.args.count
        let isSearch = kind.contains(.search)
        let mayStore = !kind.contains(.noStore) && !isSearch
        while argument < total {
            let left = total - argument - 1  // arguments after this one
            if cmd.argument(argument, is: "withdist") {
                withDistance = true
            } else if cmd.argument(argument, is: "withhash") {
                withHash = true
            } else if cmd.argument(argument, is: "withcoord") {
                withCoordinates = true
            } else if cmd.argument(argument, is: "any") {
                any = true
            } else if cmd.argument(argument, is: "asc") {
                order = .ascending
            } else if cmd.argument(argument, is: "desc") {
                order = .descending
            } else if cmd.argument(argument, is: "count") && left >= 1 {
                let value = try cmd.integer(argument + 1)
                if value <= 0 { throw ReplyError("COUNT must be > 0") }
                count = Int(value)
                argument += 1
            } else if cmd.argument(argument, is: "store") && left >= 1 && mayStore {
                storeKey = argument + 1
                storeDistance = false
                argument += 1
            } else if cmd.argument(argument, is: "storedist") && left >= 1 && mayStore {
                storeKey = argument + 1
                storeDistance = true
                argument += 1
            } else if cmd.argument(argument, is: "storedist") && isSearch && kind.contains(.searchStore) {
                storeDistance = true
            } else if cmd.argument(argument, is: "frommember") && left >= 1 && isSearch && !fromPosition {
                fromMember = true
                if let zset {
                    guard let center = cmd.args.withBytes(at: argument + 1, { position(of: $0, in: zset) }) else {
                        throw undecodableMember
                    }
                    (shape.longitude, shape.latitude) = center
                }
                argument += 1
            } else if cmd.argument(argument, is: "fromlonlat") && left >= 2 && isSearch && !fromMember {
                (shape.longitude, shape.latitude) = try position(cmd, argument + 1)
                fromPosition = true
                argument += 2
            } else if cmd.argument(argument, is: "byradius") && left >= 2 && isSearch && !byBox {
                let (radius, conversion) = try self.radius(cmd, argument + 1)
                shape.kind = .radius(radius)
                shape.conversion = conversion
                byRadius = true
                argument += 2
            } else if cmd.argument(argument, is: "bybox") && left >= 3 && isSearch && !byRadius {
                let width = try double(cmd, argument + 1, error: ReplyError("need numeric width"))
                let height = try double(cmd, argument + 2, error: ReplyError("need numeric height"))
                if height < 0 || width < 0 { throw ReplyError("height or width cannot be negative") }
                shape.kind = .box(width: width, height: height)
                shape.conversion = try unit(cmd, argument + 3)
                byBox = true
                argument += 3
            } else {
                throw .syntax
            }
            argument += 1
        }

        if storeKey != nil && (withDistance || withHash || withCoordinates) {
            let what = kind.contains(.searchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"
            throw ReplyError("\(what) is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
        }
        if isSearch && !(fromMember || fromPosition) {
            throw ReplyError("exactly one of FROMMEMBER or FROMLONLAT can be specified for \(cmd.args.string(at: 0))")
        }
        if isSearch && !(byRadius || byBox) {
            throw ReplyError("exactly one of BYRADIUS and BYBOX can be specified for \(cmd.args.string(at: 0))")
        }
        if any && count == 0 { throw ReplyError("the ANY argument requires COUNT argument") }

        guard let zset else {
            if let storeKey {
                cmd.storeResult(.sortedSet(SortedSetValue()), isEmpty: true, at: storeKey, event: .zset, "georadiusstore")
                cmd.reply.integer(0)
            } else {
                cmd.reply.arrayHeader(0)
            }
            return
        }
        if count != 0 && order == .none && !any { order = .ascending }

        var found = members(of: zset, inside: shape, limit: any ? count : 0)
        if found.isEmpty && storeKey == nil {
            cmd.reply.arrayHeader(0)
            return
        }
        let returned = count == 0 || found.count < count ? found.count : count
        switch order {
        case .none: break
        case .ascending: found.sort { $0.distance < $1.distance }
        case .descending: found.sort { $0.distance > $1.distance }
        }
        for i in 0..<returned { found[i].distance /= shape.conversion }

        if let storeKey {
            var result = SortedSetValue()
            for point in found[0..<returned] {
                result.insertNew(point.member, score: storeDistance ? point.distance : point.score, limits: cmd.engine.zsetLimits)
            }
            cmd.storeSortedSet(result, at: storeKey, event: isSearch ? "geosearchstore" : "georadiusstore")
            cmd.reply.integer(returned)
            return
        }
        let extras = (withDistance ? 1 : 0) + (withHash ? 1 : 0) + (withCoordinates ? 1 : 0)
        cmd.reply.arrayHeader(returned)
        for point in found[0..<returned] {
            if extras > 0 { cmd.reply.arrayHeader(extras + 1) }
            point.member.withUnsafeBytes { cmd.reply.bulk($0) }
            if withDistance { cmd.reply.bulk(distanceText(point.distance)) }
            if withHash { cmd.reply.integer(Int64(point.score)) }
            if withCoordinates {
                cmd.reply.arrayHeader(2)
                replyCoordinate(cmd, point.longitude)
                replyCoordinate(cmd, point.latitude)
            }
        }
    }

    /// The members inside `shape`, box by box (the centre's box, then its neighbours) in
    /// score order; with `limit` > 0 the search stops once it has that many.
    static func members(of zset: SortedSetValue, inside shape: GeoHash.Shape, limit: Int) -> [Found] {
        var found: [Found] = []
        let boxes = GeoHash.searchBoxes(for: shape)
        var lastScanned = 0
        for (index, box) in boxes.enumerated() where !box.isNone {
            // Huge radii make neighbours coincide: a neighbour equal to the one scanned last
            // is skipped (as in Redis, not when that was the centre's box).
            if lastScanned > 0 && boxes[lastScanned] == box { continue }
            if limit > 0 && found.count >= limit { break }
            lastScanned = index
            let (low, high) = GeoHash.scoreRange(of: box)
            let first = zset.countLeading { _, score in score < low }
            let end = zset.countLeading { _, score in score < high }
            guard first < end else { continue }
            zset.forEach(in: first...(end - 1), reverse: false) { member, score in
                if limit > 0 && found.count >= limit { return }
                let (longitude, latitude) = GeoHash.position(ofScore: score)
                guard let distance = shape.distanceIfInside(longitude, latitude) else { return }
                found.append(Found(member: member, longitude: longitude, latitude: latitude, distance: distance, score: score))
            }
        }
        return found
    }
}
