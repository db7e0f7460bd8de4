// The wire protocol against the real binary: pipelining, frames split at any
// byte, inline commands, protocol errors that close the connection, a client
// that disconnects mid-command, RESP3 after HELLO 3.
import Foundation
import NIOCore
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ProtocolTests {
    @Test func hundredThousandPipelinedCommandsReplyInOrder() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        let count = 100_000
        var commands: [[[UInt8]]] = []
        commands.reserveCapacity(count)
        for index in 0..<count {
            if index % 2 == 0 {
                commands.append([Array("SET".utf8), Array("key:\(index)".utf8), Array("\(index)".utf8)])
            } else {
                commands.append([Array("GET".utf8), Array("key:\(index - 1)".utf8)])
            }
        }
        let replies = try await connection.pipeline(commands)
        #expect(replies.count == count)
        for index in stride(from: 0, to: count, by: 2) {
            #expect(replies[index] == .simpleString("OK"))
            #expect(replies[index + 1] == .bulk("\(index)"))
        }
        #expect(try await connection.send("DBSIZE") == .integer(Int64(count / 2)))
        try await connection.close()
    }

    @Test func framesSplitAtEveryByteGiveTheSameReplies() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let request = Array("*3\r\n$3\r\nSET\r\n$4\r\nsplt\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$4\r\nsplt\r\nPING\r\n".utf8)
        let socket = try RawSocket(port: server.port)
        for byte in request {
            try socket.send([byte])
        }
        let text = try socket.receive(until: "+PONG\r\n")
        #expect(text == "+OK\r\n$5\r\nvalue\r\n+PONG\r\n")
    }

    @Test func inlineCommandsWork() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        try socket.send(Array("SET inline \"a b\"\r\nGET inline\nPING\r\n".utf8))
        #expect(try socket.receive(until: "+PONG\r\n") == "+OK\r\n$3\r\na b\r\n+PONG\r\n")
    }

    @Test(arguments: [
        ("*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        ("*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        ("*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"),
        ("SET \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
    ])
    func protocolErrorRepliesThenCloses(request: String, reply: String) async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        try socket.send(Array(("PING\r\n" + request + "PING\r\n").utf8))
        // The reply to the first PING, the error, then the connection closes: no third reply.
        #expect(try socket.receiveUntilClosed() == "+PONG\r\n" + reply)
        // The server itself is fine.
        let connection = try await server.connect()
        #expect(try await connection.send("PING") == .simpleString("PONG"))
        try await connection.close()
    }

    @Test func clientDisconnectingMidCommandLeavesTheServerHealthy() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        for _ in 0..<20 {
            let socket = try RawSocket(port: server.port)
            try socket.send(Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly part of it".utf8))
            socket.close()
        }
        let connection = try await server.connect()
        #expect(try await connection.send("EXISTS", "k") == .integer(0))
        let info = try await connection.send("INFO", "clients").string ?? ""
        #expect(info.contains("connected_clients:1\r\n"))
        try await connection.close()
    }

    @Test func bigValuesRoundTrip() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let connection = try await server.connect()
        let value = (0..<(8 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try await connection.send([Array("SET".utf8), Array("big".utf8), value]) == .simpleString("OK"))
        #expect(try await connection.send([Array("GET".utf8), Array("big".utf8)]) == .bulkString(value))
        try await connection.close()
    }

    @Test func helloThreeSwitchesTheConnectionToRESP3() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        try socket.send(Array("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n".utf8))
        let hello = try socket.receive(until: "$7\r\nmodules\r\n*0\r\n")
        #expect(hello.hasPrefix("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"))
        try socket.send(Array("*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n".utf8))
        #expect(try socket.receive(until: "\r\n") == "_\r\n")
    }

    @Test func quitClosesAfterTheReply() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let socket = try RawSocket(port: server.port)
        try socket.send(Array("QUIT\r\nPING\r\n".utf8))
        #expect(try socket.receiveUntilClosed() == "+OK\r\n")
    }
}
