// What a list was created with: list-max-listpack-size and list-compress-depth at
// the time. The engine keeps one shape per configuration and every list it creates
// points to it (8 bytes in the list object instead of 24), so the lists of one
// engine also share the shape's scratch: the inside chunks the running operation
// opened, which that operation compresses again before it returns. Operations on
// an engine's lists run one at a time on its loop.

/// The settings lists are created with.
public final class ListShape {
    /// list-max-listpack-size.
    public let fill: Int
    /// list-compress-depth: chunks kept plain at each end (0: all).
    public let compressDepth: Int
    /// Inside chunks the running operation decompressed or created.
    @exclusivity(unchecked) var opened: [ListChunk] = []

    public init(fill: Int, compressDepth: Int) {
        self.fill = fill
        self.compressDepth = max(0, compressDepth)
    }
}
