// What the engine needs from the connection a session runs on. The server's
// connection handler implements it; in-process tests use a stub. The engine
// never touches sockets: it writes into the session's reply buffer and asks
// the transport to flush or close.

/// The connection behind a session, as the engine sees it.
public protocol SessionTransport: AnyObject {
    /// `ip:port` of the client (`addr=` in CLIENT LIST).
    var remoteAddress: String { get }
    /// `ip:port` of our end (`laddr=`).
    var localAddress: String { get }
    /// The socket's file descriptor, or -1 (`fd=`).
    var fileDescriptor: Int { get }
    /// Bytes of unparsed input held for this client (`qbuf=`).
    var queryBufferLength: Int { get }
    /// The arguments of a partly received command already parsed, added up: Redis moves
    /// them out of the query buffer into the arguments (`argv-mem=`, not `qbuf=`).
    var parsedArgumentBytes: Int { get }
    /// Free space in the input buffer (`qbuf-free=`).
    var queryBufferFree: Int { get }
    /// Memory the input buffers hold (what `tot-mem=` and client eviction count): their
    /// size, whatever part the running command's bytes take.
    var queryBufferMemory: Int { get }
    /// Memory that reply output handed on but not yet sent to the socket holds (`omem=`,
    /// `tot-mem=`, the output limits): whole buffers, as Redis counts its reply blocks.
    var pendingOutputBytes: Int { get }
    /// The bytes themselves of that output, one by one: what replication's flow control and
    /// backlog count, which are positions in the stream, not memory.
    var unsentOutputBytes: Int { get }
    /// True for a connection over a Unix socket.
    var isUnixSocket: Bool { get }

    /// The engine wrote to this session's reply buffer outside its own
    /// command (MONITOR feed, pub/sub message): send it soon.
    func outputPending()
    /// Closes the connection once pending replies are sent (CLIENT KILL, timeout).
    func close()
    /// The session may run commands again (a CLIENT PAUSE ended).
    func resume()
    /// The client has been idle for a while: give back buffer memory it is not using.
    func releaseIdleBuffers()
    /// Closes the connection if its waiting output has stayed over the soft
    /// output-buffer limit for too long, though nothing new was written to it.
    func enforceOutputLimit()
}

extension SessionTransport {
    public var queryBufferMemory: Int { queryBufferLength + queryBufferFree }
}
