// What holds replies back until the AOF has them on disk (appendfsync always).
//
// Each loop turn's AOF bytes are written with one write(2) and numbered
// (a generation); the fdatasync runs on the AOF's fsync thread, so the event
// loop goes on reading and running commands while the disk works, and the
// next fdatasync covers everything written meanwhile (group commit across
// turns, not only within one). A reply may leave only once every AOF byte
// written before it was produced is synced: that covers the writes it
// acknowledges and the writes it lets a reader observe, as Redis promises
// for `always`. Replies produced in a turn are tagged with the generation
// they need (ConnectionHandler keeps the marks per connection) and sent when
// the fsync of that generation completes. Without `always` the gate is open
// and costs one comparison per flush.

/// The AOF generations written and synced, and the replies waiting on them.
final class DurabilityGate {
    /// Turns whose AOF bytes were written; the last one synced.
    private(set) var writtenGeneration = 0
    private(set) var syncedGeneration = 0
    /// AOF bytes are waiting in the buffer (they will be the next generation).
    var hasPendingBytes = false
    /// Connections with replies held for an fsync.
    private var held: [ObjectIdentifier: ConnectionHandler] = [:]

    /// The generation a reply produced now needs.
    var requirement: Int { writtenGeneration + (hasPendingBytes ? 1 : 0) }
    /// Whether a reply produced now may leave at once.
    var isOpen: Bool { requirement <= syncedGeneration }

    /// The buffer was written: its bytes are the next generation.
    func noteWritten() -> Int {
        writtenGeneration += 1
        hasPendingBytes = false
        return writtenGeneration
    }

    /// Everything up to `generation` is on disk: held replies that waited for it leave.
    func noteSynced(_ generation: Int) {
        guard generation > syncedGeneration else { return }
        syncedGeneration = generation
        let waiting = held
        held = [:]
        for handler in waiting.values { handler.releaseDurableReplies() }
    }

    /// All written bytes are on disk (a synchronous fsync).
    func noteAllSynced() { noteSynced(writtenGeneration) }

    /// `handler` has replies that wait for an fsync.
    func hold(_ handler: ConnectionHandler) {
        held[ObjectIdentifier(handler)] = handler
    }

    func forget(_ handler: ConnectionHandler) {
        held.removeValue(forKey: ObjectIdentifier(handler))
    }
}
