"""maxmemory-clients at its boundary, as Redis's unit/client-eviction "evict clients only
until below limit": ten clients holding 1 MB partial commands, a limit that fits half of
them plus the controlling client; exactly half stay, also after the controlling client's
own replies (bigger than its 1 KB reply buffer) went out. Before the fix, a reply still in
the buffer at the end of a read was counted as the controller's memory and one client
too many was evicted."""
import socket

import redis

from blocking_helpers import wait_until


def named(client, prefix):
    return {c["name"]: c for c in client.client_list() if c["name"].startswith(prefix)}


def test_eviction_stops_once_below_the_limit(server):
    control = redis.Redis(port=server.port, decode_responses=True)
    control.execute_command("CLIENT", "SETNAME", "control")
    control.execute_command("CLIENT", "NO-EVICT", "on")
    megabyte = 1 << 20
    sockets = []
    for index in range(10):
        s = socket.create_connection(("127.0.0.1", server.port))
        name = b"client%d" % index
        s.sendall(b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$%d\r\n%s\r\n" % (len(name), name))
        assert s.recv(16) == b"+OK\r\n"
        s.sendall(b"*2\r\n$%d\r\n" % megabyte + b"v" * megabyte)  # a partial command, held
        sockets.append(s)
        # All of it received (qbuf counts the partial command's bytes; tot-mem reaches a megabyte
        # as soon as the buffer for the argument is reserved, before the bytes are in).
        wait_until(lambda: int(named(control, "client%d" % index)["client%d" % index]["qbuf"]) >= megabyte,
                   "client%d's query buffer" % index)
    clients = named(control, "client")
    largest = max(int(c["tot-mem"]) for c in clients.values())
    limit = largest * 10 // 2 + int(named(control, "control")["control"]["tot-mem"])
    control.config_set("maxmemory-clients", limit)
    for _ in range(3):
        remaining = named(control, "client")
        assert len(remaining) == 5, sorted(remaining)
        assert sum(int(c["tot-mem"]) for c in control.client_list()) <= limit
    assert control.info("stats")["evicted_clients"] == 5
    for s in sockets:
        s.close()
    control.close()
