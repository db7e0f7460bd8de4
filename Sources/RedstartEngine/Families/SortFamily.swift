// SORT and SORT_RO: the elements of a list, set or sorted set, ordered as
// numbers (or with ALPHA as bytes), by the elements themselves or by the
// values of other keys named by a BY pattern (`weight_*`, `hash_*->field`),
// returned as they are or through GET patterns, sliced by LIMIT, optionally
// stored as a list (STORE). Redis's rules: a BY pattern without `*` means
// "do not sort" (lists and sorted sets keep their order, DESC reverses it; a
// set being stored is sorted as ALPHA so that replicas agree), missing BY
// values count as 0 (or sort first with ALPHA), equal numbers fall back to
// comparing the elements, and a value that is not a number fails the whole
// command. ALPHA compares bytes (Redis's strcoll in the C locale).
import RedstartRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum SortFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "sort", arity: -2, flags: [.write, .denyOOM, .movableKeys], keys: .first, acl: [.set, .sortedSet, .list, .dangerous],
                group: "generic", findKeys: sortKeys, run: sort),
            .init(
                "sort_ro", arity: -2, flags: [.readonly, .movableKeys], keys: .first,
                acl: [.set, .sortedSet, .list, .dangerous], group: "generic",
                findKeys: { _ in [KeyReference(position: 1, flags: ["RO", "access"])] }, run: sortReadOnly),
        ]
    }

    /// SORT's keys as Redis's sortGetKeys finds them: the sorted key, and the key after the
    /// last STORE (the arguments of LIMIT, GET and BY are skipped).
    static func sortKeys(_ arguments: CommandArguments) -> [KeyReference]? {
        var keys = [KeyReference(position: 1, flags: ["RO", "access"])]
        var store: Int?
        var index = 2
        while index < arguments.count {
            if arguments.isEqual(at: index, toLowercase: "limit") {
                index += 2
            } else if arguments.isEqual(at: index, toLowercase: "get") || arguments.isEqual(at: index, toLowercase: "by") {
                index += 1
            } else if arguments.isEqual(at: index, toLowercase: "store") && index + 1 < arguments.count {
                store = index + 1
            }
            index += 1
        }
        if let store { keys.append(KeyReference(position: store, flags: ["OW", "update"])) }
        return keys
    }

    static func sort(_ cmd: CommandContext) throws(ReplyError) { try run(cmd, readOnly: false) }
    static func sortReadOnly(_ cmd: CommandContext) throws(ReplyError) { try run(cmd, readOnly: true) }

    /// The options of one SORT, as parsed.
    private struct Options {
        var descending = false
        var alpha = false
        var limit: (offset: Int64, count: Int64) = (0, -1)
        var storeArgument: Int?
        /// The BY pattern's argument, nil without BY.
        var byArgument: Int?
        /// BY names no key pattern (no `*`): the elements keep their order.
        var dontSort = false
        var getArguments: [Int] = []
    }

    private static func parseOptions(_ cmd: CommandContext, readOnly: Bool) throws(ReplyError) -> Options {
        var options = Options()
        var index = 2
        while index < cmd.args.count {
            let remaining = cmd.args.count - index - 1
            if cmd.argument(index, is: "asc") {
                options.descending = false
            } else if cmd.argument(index, is: "desc") {
                options.descending = true
            } else if cmd.argument(index, is: "alpha") {
                options.alpha = true
            } else if cmd.argument(index, is: "limit") && remaining >= 2 {
                options.limit = (try cmd.integer(index + 1), try cmd.integer(index + 2))
                index += 2
            } else if !readOnly && cmd.argument(index, is: "store") && remaining >= 1 {
                options.storeArgument = index + 1
                index += 1
            } else if cmd.argument(index, is: "by") && remaining >= 1 {
                options.byArgument = index + 1
                // Once a BY without '*' was given, Redis does not sort, whatever BY follows.
                let isPattern = cmd.args.bytes(at: index + 1).contains(UInt8(ascii: "*"))
                options.dontSort = options.dontSort || !isPattern
                // A pattern reads keys no key spec names: the user must be able to read any key.
                if isPattern && !cmd.engine.hasUnrestrictedReadAccess(cmd.session.aclUser, cmd.spec, cmd.args) {
                    throw ReplyError("BY option of SORT denied due to insufficient ACL permissions.")
                }
                index += 1
            } else if cmd.argument(index, is: "get") && remaining >= 1 {
                if !cmd.engine.hasUnrestrictedReadAccess(cmd.session.aclUser, cmd.spec, cmd.args) {
                    throw ReplyError("GET option of SORT denied due to insufficient ACL permissions.")
                }
                options.getArguments.append(index + 1)
                index += 1
            } else {
                throw .syntax
            }
            index += 1
        }
        return options
    }

    /// One element to sort, with what it is compared by.
    private struct Item {
        let element: [UInt8]
        var score: Double = 0
        /// The BY value for ALPHA with BY; nil when the key is missing.
        var byValue: [UInt8]?
    }

    private static func run(_ cmd: CommandContext, readOnly: Bool) throws(ReplyError) {
        var options = try parseOptions(cmd, readOnly: readOnly)
        let db = cmd.db
        let engine = cmd.engine
        var elements: [[UInt8]] = []
        var keepsOrder = false  // a list or sorted set, whose own order DESC can reverse
        if let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) {
            let value = db.value(at: index).pointee
            if let list = value.list {
                if list.count > 0 { list.forEach(in: 0...(list.count - 1)) { elements.append(Array($0)) } }
                keepsOrder = true
            } else if let set = value.set {
                set.forEach { elements.append(Array($0)) }
                // Without sorting, a stored set (or a script's view of one) would differ between
                // servers: sort it by bytes.
                if options.dontSort && (options.storeArgument != nil || cmd.session.isScriptClient) {
                    options.dontSort = false
                    options.alpha = true
                    options.byArgument = nil
                }
            } else if let zset = value.sortedSet {
                if zset.count > 0 { zset.forEach(in: 0...(zset.count - 1), reverse: false) { member, _ in elements.append(member.bytes) } }
                keepsOrder = true
            } else {
                throw .wrongType
            }
        }
        let range = selectedRange(count: elements.count, options.limit)
        var items = elements.map { Item(element: $0) }
        if options.dontSort {
            if keepsOrder && options.descending { items.reverse() }
        } else if try !sortItems(&items, cmd, options) {
            throw ReplyError("One or more scores can't be converted into double")
        }
        let selected = range.map { Array(items[$0]) } ?? []
        if let storeArgument = options.storeArgument {
            store(cmd, selected, options, at: storeArgument)
        } else {
            reply(cmd, selected, options)
        }
    }

    /// The positions LIMIT selects, as Redis clamps them; nil for none.
    private static func selectedRange(count: Int, _ limit: (offset: Int64, count: Int64)) -> ClosedRange<Int>? {
        let size = Int64(count)
        let start = min(max(limit.offset, 0), size)
        let wanted = min(max(limit.count, -1), size)
        var end = wanted < 0 ? size - 1 : start + wanted - 1
        if end >= size { end = size - 1 }
        guard start < size, start <= end else { return nil }
        return Int(start)...Int(end)
    }

    /// Loads what each item is compared by and sorts; false when a value is not a number.
    private static func sortItems(_ items: inout [Item], _ cmd: CommandContext, _ options: Options) throws(ReplyError) -> Bool {
        let pattern = options.byArgument.map { cmd.args.bytes(at: $0) }
        var converted = true
        for position in items.indices {
            let byValue: [UInt8]
            if let pattern {
                guard let found = lookUp(pattern, for: items[position].element, cmd) else { continue }
                byValue = found
            } else {
                byValue = items[position].element
            }
            if options.alpha {
                if pattern != nil { items[position].byValue = byValue }
            } else if let score = sortScore(byValue) {
                items[position].score = score
            } else {
                converted = false
            }
        }
        guard converted else { return false }
        let byPattern = pattern != nil
        let order = items.indices.sorted { a, b in
            var result = compare(items[a], items[b], alpha: options.alpha, byPattern: byPattern)
            if options.descending { result = -result }
            // Equal items keep their order, as Redis's (merge-sorting) qsort does.
            return result != 0 ? result < 0 : a < b
        }
        items = order.map { items[$0] }
        return true
    }

    /// Redis's sortCompare before DESC: -1, 0 or 1.
    private static func compare(_ a: Item, _ b: Item, alpha: Bool, byPattern: Bool) -> Int {
        if !alpha {
            if a.score != b.score { return a.score < b.score ? -1 : 1 }
            return compareBytes(a.element, b.element)
        }
        guard byPattern else { return compareBytes(a.element, b.element) }
        switch (a.byValue, b.byValue) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let x?, let y?): return compareBytes(x, y)
        }
    }

    private static func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1)
    }

    /// A value as SORT reads it (strtod on the text up to its end; spaces before it allowed,
    /// "" is 0); nil when it is not a number, overflows or is NaN.
    static func sortScore(_ bytes: [UInt8]) -> Double? {
        var text = bytes.prefix { $0 != 0 }.map { CChar(bitPattern: $0) }
        text.append(0)
        return text.withUnsafeBufferPointer { chars -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = strtod(chars.baseAddress!, &end)
            guard let end, end.pointee == 0, errno != ERANGE, !value.isNaN else { return nil }
            return value
        }
    }

    /// The value a BY or GET pattern names for `element`: `#` is the element itself; the
    /// first `*` is replaced by it, and `key->field` reads a hash field; a missing key, a
    /// key of another type or a pattern without `*` give nil.
    private static func lookUp(_ pattern: [UInt8], for element: [UInt8], _ cmd: CommandContext) -> [UInt8]? {
        if pattern == [UInt8(ascii: "#")] { return element }
        guard let star = pattern.firstIndex(of: UInt8(ascii: "*")) else { return nil }
        var keyEnd = pattern.count
        var field: ArraySlice<UInt8>?
        if let arrow = findArrow(pattern, after: star), arrow + 2 < pattern.count {
            keyEnd = arrow
            field = pattern[(arrow + 2)...]
        }
        let key = Array(pattern[..<star]) + element + Array(pattern[(star + 1)..<keyEnd])
        let db = cmd.db
        guard let index = key.withUnsafeBytes({ cmd.engine.lookupRead(db, $0) }) else { return nil }
        let value = db.value(at: index).pointee
        if let field {
            guard let hash = value.hash else { return nil }
            return Array(field).withUnsafeBytes { name in hash.withValue(of: name) { Array($0) } }
        }
        switch value {
        case .string, .longString, .integer: return value.withStringBytes { Array($0) }
        default: return nil
        }
    }

    /// The position of the first "->" after the `*` at `star`.
    private static func findArrow(_ pattern: [UInt8], after star: Int) -> Int? {
        var index = star + 1
        while index + 1 < pattern.count {
            if pattern[index] == UInt8(ascii: "-") && pattern[index + 1] == UInt8(ascii: ">") { return index }
            index += 1
        }
        return nil
    }

    private static func reply(_ cmd: CommandContext, _ items: [Item], _ options: Options) {
        let patterns = options.getArguments.map { cmd.args.bytes(at: $0) }
        cmd.reply.arrayHeader(patterns.isEmpty ? items.count : items.count * patterns.count)
        for item in items {
            if patterns.isEmpty { cmd.reply.bulk(item.element) }
            for pattern in patterns {
                if let value = lookUp(pattern, for: item.element, cmd) { cmd.reply.bulk(value) } else { cmd.reply.null() }
            }
        }
    }

    /// STORE: the result becomes a list at the destination (missing GET values as empty
    /// strings), or the destination is deleted when the result is empty; replies the length.
    private static func store(_ cmd: CommandContext, _ items: [Item], _ options: Options, at argument: Int) {
        let patterns = options.getArguments.map { cmd.args.bytes(at: $0) }
        let list = ChunkedList(shape: cmd.engine.listShape)
        for item in items {
            if patterns.isEmpty { item.element.withUnsafeBytes { list.pushBack($0) } }
            for pattern in patterns {
                (lookUp(pattern, for: item.element, cmd) ?? []).withUnsafeBytes { list.pushBack($0) }
            }
        }
        cmd.storeResult(.list(list), isEmpty: list.count == 0, at: argument, event: .list, "sortstore")
        cmd.reply.integer(list.count)
    }
}
