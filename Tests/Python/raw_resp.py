"""A bare RESP connection for tests that look at replies byte by byte: it sends a command
as a multibulk and keeps what the server sends in `buf`; subclasses frame the replies
(parsed in test_differential.py, kept as raw bytes by RawClient below, for the differential tests of scripts and streams)."""
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


class RawClient(RawConnection):
    """Frames one reply at a time and keeps its raw bytes."""

    def _line_end(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _skip(self, pos):
        """The offset just past the reply that starts at pos (reading more as needed).
        Iterative: a count of replies still owed, so deep nesting needs no recursion."""
        owed = 1
        while owed:
            owed -= 1
            end = self._line_end(pos)
            kind, header, pos = self.buf[pos:pos + 1], bytes(self.buf[pos + 1:end]), end + 2
            if kind in b"+-:,(#_":
                continue
            if kind in b"$=!":  # bulk, verbatim, blob error; $-1 is the RESP2 null
                n = int(header)
                if n >= 0:
                    while len(self.buf) < pos + n + 2:
                        self._fill()
                    if self.buf[pos + n:pos + n + 2] != b"\r\n":
                        raise ValueError("bulk of %d bytes not followed by CRLF" % n)
                    pos += n + 2
            elif kind in b"*~>":  # array (*-1 is the RESP2 null array), set, push
                owed += max(int(header), 0)
            elif kind in b"%|":  # map; an attribute is followed by the reply it describes
                owed += 2 * int(header) + (kind == b"|")
            else:
                raise ValueError("bad RESP type byte %r" % bytes(kind))
        return pos

    def read(self):
        end = self._skip(0)
        reply = bytes(self.buf[:end])
        del self.buf[:end]
        return reply
