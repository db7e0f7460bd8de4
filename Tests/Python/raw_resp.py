"""A bare RESP connection for tests that look at replies byte by byte: it sends a command
as a multibulk and keeps what the server sends in `buf`; subclasses frame the replies
(parsed in test_differential.py, kept as raw bytes in test_scripting_differential.py)."""
import socket


class RawConnection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def close(self):
        self.sock.close()

    def send(self, args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def call(self, *args):
        self.send(args)
        return self.read()
