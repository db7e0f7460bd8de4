// TLS over an already connected socket (--tls, rediss://), with swift-nio-ssl: NIO
// adopts the descriptor, and the blocking read/write calls the rest of the tool makes
// are bridged to the channel through a lock and condition. Certificate checks follow
// redis-cli's (hiredis's): the chain is verified against --cacert/--cacertdir (or the
// system's roots) unless --insecure, the host name is not; SNI is sent only with --sni.
// Error texts are swift-nio-ssl's, not OpenSSL's.
import Glibc
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

final class TLSTransport: CLITransport, @unchecked Sendable {
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let inbox: Inbox

    private init(channel: any Channel, group: MultiThreadedEventLoopGroup, inbox: Inbox) {
        self.channel = channel
        self.group = group
        self.inbox = inbox
    }

    /// Starts TLS on `plain` and waits for the handshake.
    static func wrap(_ plain: any CLITransport, _ options: CLIOptions) throws(CLIIOError) -> TLSTransport {
        guard let socket = plain as? SocketTransport, let descriptor = socket.releaseDescriptor() else {
            throw CLIIOError(message: "TLS needs a socket")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = Inbox()
        do {
            let context = try NIOSSLContext(configuration: try configuration(options.tls))
            let serverName = options.tls.sni
            let channel = try ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(tls)
                        try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
                    }
                }
                .withConnectedSocket(descriptor).wait()
            try inbox.waitForHandshake()
            return TLSTransport(channel: channel, group: group, inbox: inbox)
        } catch let error as CLIIOError {
            try? group.syncShutdownGracefully()
            throw error
        } catch {
            try? group.syncShutdownGracefully()
            throw CLIIOError(message: "\(error)")
        }
    }

    private static func configuration(_ options: CLIOptions.TLSOptions) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if options.insecure {
            tls.certificateVerification = .none
        } else {
            tls.certificateVerification = .noHostnameVerification
        }
        if let file = options.caCertificateFile {
            tls.trustRoots = .file(file)
        } else if let directory = options.caCertificateDirectory {
            tls.trustRoots = .certificates(certificates(in: directory))
        }
        if let certificate = options.certificateFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
        }
        if let key = options.keyFile {
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        if let ciphers = options.ciphers {
            tls.cipherSuites = ciphers
        }
        return tls
    }

    /// The PEM certificates of every readable file in `directory`.
    private static func certificates(in directory: String) -> [NIOSSLCertificate] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var found: [NIOSSLCertificate] = []
        while let entry = readdir(handle) {
            // Read in place up to its NUL: a dirent is only as long as its name, so copying the
            // 256-byte d_name field reads past it (valgrind: uninitialised bytes).
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name.hasPrefix(".") { continue }
            found += (try? NIOSSLCertificate.fromPEMFile(directory + "/" + name)) ?? []
        }
        return found
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(CLIIOError) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        do {
            try channel.writeAndFlush(buffer).wait()
        } catch {
            throw CLIIOError(message: "\(error)")
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CLIIOError) -> Int {
        try inbox.take(into: buffer)
    }

    func waitReadable(milliseconds: Int32) -> Bool {
        inbox.waitReadable(milliseconds: milliseconds)
    }

    func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

extension SocketTransport {
    /// Hands the descriptor over (to NIO); this transport no longer owns it.
    func releaseDescriptor() -> Int32? {
        let descriptor = takeDescriptor()
        return descriptor >= 0 ? descriptor : nil
    }
}

/// Bytes decrypted by the channel, waiting for the blocking reader.
private final class Inbox: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var bytes: [UInt8] = []
    private var offset = 0
    private var isClosed = false
    private var failure: String?
    private var isHandshakeDone = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer {
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
        return body()
    }

    func append(_ buffer: ByteBuffer) {
        locked { bytes.append(contentsOf: buffer.readableBytesView) }
    }

    func handshakeDone() { locked { isHandshakeDone = true } }
    func close() { locked { isClosed = true } }
    func fail(_ error: any Error) { locked { if failure == nil { failure = "\(error)" } } }

    /// Waits until the condition holds or the deadline (absolute, nil: none) passes.
    private func wait(until ready: () -> Bool, deadline: timespec? = nil) -> Bool {
        while !ready() {
            if var deadline {
                if pthread_cond_timedwait(&condition, &mutex, &deadline) == ETIMEDOUT { return ready() }
            } else {
                pthread_cond_wait(&condition, &mutex)
            }
        }
        return true
    }

    func waitForHandshake() throws(CLIIOError) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        _ = wait(until: { isHandshakeDone || failure != nil || isClosed })
        if !isHandshakeDone { throw CLIIOError(message: failure ?? "connection closed during the handshake") }
    }

    func take(into out: UnsafeMutableRawBufferPointer) throws(CLIIOError) -> Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        _ = wait(until: { offset < bytes.count || isClosed || failure != nil })
        if offset < bytes.count {
            let count = min(out.count, bytes.count - offset)
            bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            if offset == bytes.count {
                bytes.removeAll(keepingCapacity: true)
                offset = 0
            }
            return count
        }
        if let failure { throw CLIIOError(message: failure) }
        return 0
    }

    func waitReadable(milliseconds: Int32) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var nanoseconds = Int(now.tv_nsec) + Int(milliseconds % 1000) * 1_000_000
        var deadline = timespec(tv_sec: now.tv_sec + Int(milliseconds / 1000) + nanoseconds / 1_000_000_000, tv_nsec: 0)
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return wait(until: { offset < bytes.count || isClosed || failure != nil }, deadline: deadline)
    }
}

/// Passes the channel's decrypted bytes and events to the inbox.
private final class InboxHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let inbox: Inbox

    init(inbox: Inbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.append(unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            inbox.handshakeDone()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.close()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.fail(error)
        context.close(promise: nil)
    }
}
