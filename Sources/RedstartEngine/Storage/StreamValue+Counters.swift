// The stream's logical counters as Redis 7.0 keeps them for consumer groups:
// entries-added counts every entry ever added, a group's entries-read counts
// the entries it has read, and the lag (entries not yet delivered to the
// group) is their difference, when it can be known: deletions (tombstones) in
// the range after the group's last ID make it unknowable, and then XINFO
// answers null.

extension StreamValue {
    /// Finds the first live ID again (after loading an RDB of before 7.0).
    func refreshFirstID() {
        firstIDValue = edgeID(last: false) ?? .zero
    }

    /// The last live entry's ID, or 0-0 (Redis's streamLastValidID).
    var lastLiveID: StreamID { edgeID(last: true) ?? .zero }

    /// Whether `start...end` may hold an entry deleted by XDEL (Redis's streamRangeHasTombstones).
    func rangeHasTombstones(from start: StreamID, to end: StreamID = .max) -> Bool {
        if length == 0 || maxDeletedID == .zero { return false }
        if firstID > maxDeletedID { return false }
        return start <= maxDeletedID && maxDeletedID <= end
    }

    /// The logical read counter of `id`, or -1 when it cannot be known (Redis's
    /// streamEstimateDistanceFromFirstEverEntry).
    func estimatedEntriesRead(upTo id: StreamID) -> Int64 {
        if entriesAdded == 0 { return 0 }
        let added = Int64(bitPattern: entriesAdded)
        if length == 0 && id <= lastID { return added }
        if id == lastID { return added }
        if id > lastID { return StreamConsumerGroup.invalidEntriesRead }
        if maxDeletedID == .zero || maxDeletedID < firstID {
            if id < firstID { return added - Int64(length) }
            if id == firstID { return added - Int64(length) + 1 }
        }
        return StreamConsumerGroup.invalidEntriesRead
    }

    /// Entries not yet delivered to `group`, or nil when unknown (XINFO's lag).
    func lag(of group: StreamConsumerGroup) -> Int64? {
        if entriesAdded == 0 { return 0 }
        let added = Int64(bitPattern: entriesAdded)
        if group.entriesRead != StreamConsumerGroup.invalidEntriesRead && !rangeHasTombstones(from: group.lastID) {
            return added - group.entriesRead
        }
        let estimate = estimatedEntriesRead(upTo: group.lastID)
        return estimate == StreamConsumerGroup.invalidEntriesRead ? nil : added - estimate
    }

    /// Moves `group`'s last delivered ID to `id` (an entry XREADGROUP delivers), keeping its
    /// read counter as Redis does.
    func advance(_ group: StreamConsumerGroup, to id: StreamID) {
        if group.entriesRead != StreamConsumerGroup.invalidEntriesRead && !rangeHasTombstones(from: id) {
            group.entriesRead += 1
        } else if entriesAdded != 0 {
            group.entriesRead = estimatedEntriesRead(upTo: id)
        }
        group.lastID = id
    }
}
