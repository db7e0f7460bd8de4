"""A consumer-group worker process for test_stream_consumer_crash.py.

    python3 stream_worker.py PORT CONSUMER survivor|victim

A survivor loops: XREADGROUP a batch, process it (HINCRBY processed <job> 1 for each
entry) and XACK it in one MULTI/EXEC, so processing and acknowledgement happen
together; when nothing new arrives it XAUTOCLAIMs entries idle for CLAIM_IDLE_MS (left
by a dead consumer) and processes those. It stops once the key `stop` exists and there
is nothing left to do.

A victim reads one batch, records that it holds it (SET victim:holding <count>), and then
waits forever without acknowledging: the test SIGKILLs it."""
import sys

import redis

STREAM, GROUP = "jobs", "workers"
CLAIM_IDLE_MS = 1500


def process(r, entries):
    if not entries:
        return
    pipe = r.pipeline(transaction=True)
    for _, fields in entries:
        pipe.hincrby("processed", fields["job"], 1)
    pipe.xack(STREAM, GROUP, *[entry_id for entry_id, _ in entries])
    pipe.execute()


def survivor(r, name):
    while True:
        reply = r.xreadgroup(GROUP, name, {STREAM: ">"}, count=100, block=50)
        entries = reply[0][1] if reply else []
        process(r, entries)
        if entries:
            continue
        cursor = "0-0"
        while True:
            cursor, claimed, _deleted = r.xautoclaim(STREAM, GROUP, name, CLAIM_IDLE_MS, cursor, count=100)
            process(r, claimed)
            if cursor == "0-0":
                break
        if r.exists("stop"):
            return


def victim(r, name):
    reply = r.xreadgroup(GROUP, name, {STREAM: ">"}, count=100)
    held = reply[0][1] if reply else []
    r.set("victim:holding", len(held))
    r.blpop("never", 0)  # killed while waiting here, holding `held`


if __name__ == "__main__":
    port, name, role = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    connection = redis.Redis(port=port, decode_responses=True)
    (survivor if role == "survivor" else victim)(connection, name)
