// The picks of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER with a count: a positive
// count gives that many distinct positions (all of them, in order, when it is
// the size or more); a negative count gives |count| positions with repeats,
// made one at a time as the reply is written, never as an array (a count of
// -999999999 is a valid request, not 8 GB of positions). As Redis does, the
// picking stops once the client's output passes its hard output-buffer limit:
// that client is closed after the command anyway.

/// Random positions in a collection of `size` elements for a `count` argument.
struct RandomPicks {
    let size: Int
    let count: Int64

    /// How many positions the reply will hold (its array length).
    var total: Int { count < 0 ? Int(-count) : min(Int(count), size) }

    /// Calls `body` with every picked position; `wholeInReverse` walks the whole
    /// collection from its end when the count covers it (sorted sets, highest first).
    func forEach(_ cmd: CommandContext, wholeInReverse: Bool = false, _ body: (Int) -> Void) {
        if count < 0 {
            for pick in 0..<Int(-count) {
                if pick & 1023 == 1023 && cmd.replyPassedOutputLimit { return }
                body(Int.random(in: 0..<size, using: &cmd.engine.random))
            }
        } else if count >= Int64(size) {
            if wholeInReverse {
                for position in (0..<size).reversed() { body(position) }
            } else {
                for position in 0..<size { body(position) }
            }
        } else if count * 3 > Int64(size) {
            var all = Array(0..<size)
            all.shuffle(using: &cmd.engine.random)
            for position in all.prefix(Int(count)) { body(position) }
        } else {
            var chosen = Set<Int>()
            chosen.reserveCapacity(Int(count))
            while chosen.count < Int(count) { chosen.insert(Int.random(in: 0..<size, using: &cmd.engine.random)) }
            for position in chosen { body(position) }
        }
    }
}

extension CommandContext {
    /// The reply so far (with what still waits to be sent) has reached the client's hard
    /// output-buffer limit: a command making a long reply may stop early.
    var replyPassedOutputLimit: Bool {
        let hard = engine.outputLimits.limit(for: session.kind).hard
        guard hard > 0, let transport = session.transport else { return false }
        return session.reply.buffer.readableBytes + transport.pendingOutputBytes >= hard
    }
}
