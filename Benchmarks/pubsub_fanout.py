#!/usr/bin/env python3
"""Pub/Sub fan-out throughput: one publisher to many subscribers, messages delivered
per second, for servers already running on the given ports (Redstart and redis-server
side by side, measured in the same run; repeat a few times on a noisy machine).

Each run opens --subscribers raw connections that SUBSCRIBE to one channel, reads all
of them from one selector thread, and has redis-benchmark send --messages PUBLISH
commands (pipeline --pipeline, 16-byte payload); the clock stops when every
subscriber has received every message.
Usage: Benchmarks/pubsub_fanout.py PORT [PORT ...] [--subscribers 50] [--messages 200000] [--rounds N]
With --rounds, the ports take turns going first, and the medians (and, for two ports, the
ratio of the second to the first) are printed.
"""
import argparse
import selectors
import socket
import statistics
import subprocess
import threading
import time

PAYLOAD = b"x" * 16


def run(port, subscribers, messages, pipeline):
    connections = []
    for _ in range(subscribers):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"SUBSCRIBE ch\r\n")
        connections.append(s)
    for s in connections:
        confirmation = b""
        while confirmation.count(b"\r\n") < 6:
            confirmation += s.recv(100)
    message = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$16\r\n" + PAYLOAD + b"\r\n"
    expected = len(message) * messages
    finished = [0.0]

    def read_all():
        selector = selectors.DefaultSelector()
        received = {s: 0 for s in connections}
        for s in connections:
            s.setblocking(False)
            selector.register(s, selectors.EVENT_READ)
        remaining = subscribers
        while remaining:
            for key, _ in selector.select(timeout=30):
                s = key.fileobj
                received[s] += len(s.recv(1 << 20))
                if received[s] >= expected:
                    selector.unregister(s)
                    remaining -= 1
        finished[0] = time.time()

    reader = threading.Thread(target=read_all)
    reader.start()
    start = time.time()
    subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(messages), "-c", "1", "-P", str(pipeline),
                    "publish", "ch", PAYLOAD.decode()], stdout=subprocess.DEVNULL, check=True)
    reader.join()
    for s in connections:
        s.close()
    return messages * subscribers / (finished[0] - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ports", type=int, nargs="+")
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200000)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs per port; the order of the ports alternates between rounds")
    args = parser.parse_args()
    rates = {port: [] for port in args.ports}
    for round_number in range(args.rounds):
        order = args.ports if round_number % 2 == 0 else list(reversed(args.ports))
        for port in order:
            rate = run(port, args.subscribers, args.messages, args.pipeline)
            rates[port].append(rate)
            print("port %d: %s messages delivered/s" % (port, format(int(rate), ",")))
    if args.rounds > 1:
        medians = {port: statistics.median(values) for port, values in rates.items()}
        for port in args.ports:
            print("port %d median: %s messages delivered/s" % (port, format(int(medians[port]), ",")))
        if len(args.ports) == 2:
            first, second = args.ports
            print("ratio port %d / port %d: %.2f" % (second, first, medians[second] / medians[first]))


if __name__ == "__main__":
    main()
