// The grey hint after a typed command: the syntax of the arguments still to type.
// Typed words are matched against the command's argument tree, so what is shown
// shrinks as arguments are typed ("SET k v EX 10 " leaves "[NX|XX] [GET]"):
// - a word equal to the token of an option still open is that option, in any order
//   (options between two positional arguments can come in any order, as Redis takes
//   them), then the words of its value;
// - otherwise the word fills the next required argument; the optional ones before it
//   are then behind us and leave the hint;
// - otherwise it fills an optional argument with no token, or one more repetition of
//   a multiple argument (`[key ...]` stays in the hint after `DEL a `);
// - a word that fits nothing is skipped.
// When the words run out inside an argument (`SET k v EX `), the hint starts with the
// rest of it ("seconds"). This goes further than redis-cli 7.0, which drops one word of
// the syntax per typed word and stops at the first "[".
import RedstartRESP

enum ArgumentHint {
    /// The hint for `line`: the command's remaining syntax, after a space when the line
    /// does not end with one; nil when there is none.
    static func hint(for line: String, catalog: CommandCatalog) -> String? {
        var bytes = Array(line.utf8)
        bytes.append(0)
        guard let split = bytes.withUnsafeBytes({ splitInlineArguments($0) }), !split.isEmpty else { return nil }
        let words = split.map { String(decoding: $0, as: UTF8.self) }
        guard let entry = catalog.command(startingWith: words) else { return nil }
        let remaining = remainingSyntax(entry.arguments, typed: Array(words.dropFirst(entry.words.count)))
        guard !remaining.isEmpty else { return nil }
        let endsWithSpace = line.utf8.last.map { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) } ?? false
        return endsWithSpace ? remaining : " " + remaining
    }

    /// The syntax of what `arguments` still expect once `words` are typed.
    static func remainingSyntax(_ arguments: [CommandArgument], typed words: [String]) -> String {
        switch matchSequence(arguments, words, from: 0, isBlock: false) {
        case .complete(_, let remaining), .partial(let remaining): return remaining.joined(separator: " ")
        case .mismatch: return ""
        }
    }

    private enum Outcome {
        /// The argument (or sequence) took words up to `next`; `remaining` is what the
        /// sequence could still take.
        case complete(next: Int, remaining: [String])
        /// The words ran out inside it; what is left to type.
        case partial([String])
        case mismatch
    }

    private enum State {
        case untouched, done, repeating, passed
    }

    /// Matches `words[start...]` against a sequence of arguments (a command's, or a
    /// block's). A block ends at the first word none of its arguments takes.
    private static func matchSequence(
        _ arguments: [CommandArgument],
        _ words: [String],
        from start: Int,
        isBlock: Bool
    ) -> Outcome {
        var states = [State](repeating: .untouched, count: arguments.count)
        func isOpen(_ index: Int) -> Bool { states[index] == .untouched || states[index] == .repeating }
        func remaining(skipping skipped: Int?) -> [String] {
            arguments.indices.compactMap { index in
                guard index != skipped else { return nil }
                switch states[index] {
                case .untouched: return arguments[index].syntax
                case .repeating: return arguments[index].repetitionSyntax
                case .done, .passed: return nil
                }
            }
        }
        var position = start
        while position < words.count {
            let word = words[position]
            // Arguments after the next required one cannot come yet.
            let limit =
                arguments.indices.first { states[$0] == .untouched && !arguments[$0].isOptional } ?? arguments.count
            var taken: (index: Int, outcome: Outcome, positional: Bool)?
            // 1. An open argument, up to that required one, that starts with this word.
            for index in arguments.indices where index <= limit && isOpen(index) && arguments[index].startsWith(word) {
                let outcome = consume(arguments[index], words, position, withToken: true)
                if isProgress(outcome, from: position) {
                    taken = (index, outcome, false)
                    break
                }
            }
            // 2. The next required argument, by position.
            if taken == nil, limit < arguments.count, !arguments[limit].hasLeadingToken {
                let outcome = consume(arguments[limit], words, position, withToken: true)
                if isProgress(outcome, from: position) { taken = (limit, outcome, true) }
            }
            // 3. An optional argument with no token, or another repetition.
            if taken == nil {
                for index in arguments.indices where index < limit && isOpen(index) {
                    let argument = arguments[index]
                    let repeats = states[index] == .repeating
                    let eligible =
                        repeats
                        ? !(argument.isMultipleToken && argument.token != nil)
                        : argument.isOptional && !argument.hasLeadingToken
                    guard eligible else { continue }
                    let outcome = consume(argument, words, position, withToken: !repeats || argument.isMultipleToken)
                    if isProgress(outcome, from: position) {
                        taken = (index, outcome, true)
                        break
                    }
                }
            }
            guard let (index, outcome, positional) = taken else {
                if isBlock {
                    return limit < arguments.count ? .mismatch : .complete(next: position, remaining: [])
                }
                position += 1  // a word we cannot place: skip it
                continue
            }
            // Typing an argument by position, or a required one, closes those before it.
            if positional || !arguments[index].isOptional {
                for earlier in 0..<index where isOpen(earlier) { states[earlier] = .passed }
            }
            switch outcome {
            case .complete(let next, _):
                position = next
                states[index] = arguments[index].isMultiple ? .repeating : .done
            case .partial(let rest):
                let again = arguments[index].isMultiple ? [arguments[index].repetitionSyntax] : []
                return .partial(rest + again + remaining(skipping: index))
            case .mismatch:
                break
            }
        }
        if isBlock, arguments.indices.contains(where: { states[$0] == .untouched && !arguments[$0].isOptional }) {
            return .partial(remaining(skipping: nil))
        }
        return .complete(next: position, remaining: remaining(skipping: nil))
    }

    /// One occurrence of `argument` at `words[position]`.
    private static func consume(
        _ argument: CommandArgument,
        _ words: [String],
        _ position: Int,
        withToken: Bool
    ) -> Outcome {
        var next = position
        if withToken, let token = argument.token {
            guard next < words.count, token.caseInsensitiveEquals(words[next]) else { return .mismatch }
            next += 1
        }
        switch argument.kind {
        case .pureToken:
            return .complete(next: next, remaining: [])
        case .value:
            guard next < words.count else { return .partial([argument.valuePart]) }
            return .complete(next: next + 1, remaining: [])
        case .oneOf:
            guard next < words.count else { return .partial([argument.valuePart]) }
            // A choice that starts with this word beats one that takes any word.
            let ordered = argument.children.filter(\.hasLeadingToken) + argument.children.filter { !$0.hasLeadingToken }
            for child in ordered {
                let outcome = consume(child, words, next, withToken: true)
                if case .mismatch = outcome { continue }
                return outcome
            }
            return .mismatch
        case .block:
            guard next < words.count else { return .partial([argument.valuePart]) }
            return matchSequence(argument.children, words, from: next, isBlock: true)
        }
    }

    /// Whether `outcome` took at least one word (a block that took none is no match).
    private static func isProgress(_ outcome: Outcome, from position: Int) -> Bool {
        switch outcome {
        case .complete(let next, _): return next > position
        case .partial: return true
        case .mismatch: return false
        }
    }
}
