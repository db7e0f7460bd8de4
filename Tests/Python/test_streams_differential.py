"""Stream commands, byte for byte against redis-server, in RESP2 and RESP3.

Each case starts from FLUSHALL (with the node size it sets) and sends the same commands
to a real redis-server and to Redstart over raw connections; every reply must be the
same bytes. The cases cover XADD (explicit, `<ms>-*` and `*` IDs, NOMKSTREAM, MAXLEN and
MINID with `=`/`~` and LIMIT, every ID and option error), XRANGE/XREVRANGE (`-`/`+`,
incomplete IDs, `(` bounds, COUNT), XLEN, XDEL, XTRIM, XSETID, XINFO, consumer groups
(XGROUP, XREADGROUP with `>` and history, NOACK, XACK, XPENDING, XCLAIM, XAUTOCLAIM),
XREAD, wrong types and arities, and MULTI/EXEC around stream commands; plus seeded
random sequences of writes, trims, reads and group operations on small nodes.

Times cannot match between two servers: replies that carry them (XPENDING's entries,
XINFO CONSUMERS and XINFO STREAM FULL) are compared with every integer masked; the same
commands' shape, strings and IDs still must match. A `*` ID makes a different ID on
each server, so those cases compare only what does not depend on it.

REDSTART_DIFF_SELFTEST=1 compares redis-server with a second redis-server, to check the
cases themselves."""
import os
import random
import re
import warnings

import pytest
from conftest import ReferenceServer
from raw_resp import RawClient

SELFTEST = os.environ.get("REDSTART_DIFF_SELFTEST") == "1"


class Masked(tuple):
    """A command whose replies are compared with their integers masked (they hold times)."""


class Unchecked(tuple):
    """A command sent to both servers whose replies are not compared (an ID made by `*`)."""


def C(line):
    return tuple(line.split())


def M(line):
    return Masked(line.split())


CASES = []


def case(name, *commands, node_entries=100):
    CASES.append((name, node_entries, [c if isinstance(c, tuple) else C(c) for c in commands]))


# --------------------------------------------------------------------------- XADD

case("xadd ids",
     "XADD s 1-1 a 1", "XADD s 1-1 a 1", "XADD s 1-0 a 1", "XADD s 1-2 a 1 b 2", "XADD s 2 f v",
     "XADD s 2-* f v", "XADD s 2-* f v", "XADD s 3-* f v", "XADD s 1-* f v", "XRANGE s - +", "XLEN s",
     "XADD s 0-0 f v", "XADD t 0-0 f v", "EXISTS t", "XADD t 0-* f v", "XADD t 0-1 f v",
     "XADD s 18446744073709551615-18446744073709551615 f v", "XADD s 18446744073709551615-* f v",
     "XADD s * f v", "XADD s 5-5 f v")
for bad in ["1-", "-1", "abc", "18446744073709551616", "1-18446744073709551616", "+", "-", "1--1", "1-2-3",
            "1-*-", "*-1", "0x10", "1.5", "", "1-a", " 1", "+5-0"]:
    case("xadd bad id %r" % bad, ("XADD", "s", bad, "f", "v"), "XLEN s", "EXISTS s")
case("xadd arity and options",
     "XADD s", "XADD s 1-1", "XADD s 1-1 f", "XADD s 1-1 f v g", "XADD s NOMKSTREAM 1-1 f v", "EXISTS s",
     "XADD s 1-1 f v", "XADD s NOMKSTREAM 2-1 f v", "XADD s MAXLEN", "XADD s MAXLEN x 3-1 f v",
     "XADD s MAXLEN -1 3-1 f v", "XADD s MAXLEN 1 MINID 0 3-1 f v", "XADD s MINID 1 MAXLEN 1 3-1 f v",
     "XADD s LIMIT 10 3-1 f v", "XADD s MAXLEN 5 LIMIT 10 3-1 f v", "XADD s MAXLEN ~ 5 LIMIT -1 3-1 f v",
     "XADD s MAXLEN ~ 5 LIMIT x 3-1 f v", "XADD s MINID = x 3-1 f v", "XADD s MINID ~ + 3-1 f v",
     "XADD s LIMIT 0 3-1 f v", "XADD s BOGUS 3-1 f v", "XLEN s")
case("xadd wrong type", "SET str x", "XADD str 1-1 f v", "XLEN str", "XRANGE str - +", "XDEL str 1-1",
     "XTRIM str MAXLEN 1", "XSETID str 1-1", "XINFO STREAM str", "XGROUP CREATE str g $",
     "XREAD STREAMS str 0", "XACK str g 1-1", "XPENDING str g", "XCLAIM str g c 0 1-1",
     "XAUTOCLAIM str g c 0 0")
case("xadd with * and trims (shape only)",
     Unchecked(C("XADD s * a 1")), Unchecked(C("XADD s * a 2")), "XLEN s",
     Unchecked(C("XADD s MAXLEN 1 * a 3")), "XLEN s", "TYPE s", "OBJECT ENCODING s")

# --------------------------------------------------------------------------- trimming

for node in (1, 3, 10, 100):
    fill = ["XADD s %d-%d f %d" % (i // 3 + 1, i % 3, i) for i in range(40)]
    case("maxlen exact/approx node %d" % node, *fill,
         "XADD s MAXLEN ~ 30 20-0 f x", "XLEN s", "XADD s MAXLEN = 30 20-1 f x", "XLEN s",
         "XTRIM s MAXLEN ~ 10", "XLEN s", "XTRIM s MAXLEN ~ 10 LIMIT 3", "XLEN s",
         "XTRIM s MAXLEN ~ 10 LIMIT 0", "XLEN s", "XTRIM s MAXLEN 5", "XRANGE s - +",
         "XINFO STREAM s", "XTRIM s MAXLEN 0", "XLEN s", "EXISTS s", "XINFO STREAM s", node_entries=node)
    case("minid exact/approx node %d" % node, *fill,
         "XTRIM s MINID ~ 5-0", "XLEN s", "XTRIM s MINID 5-1", "XRANGE s - + COUNT 3",
         "XADD s MINID ~ 9 30-0 f y", "XLEN s", "XADD s MINID 10-2 30-1 f y", "XRANGE s - + COUNT 2",
         "XTRIM s MINID ~ 100 LIMIT 2", "XLEN s", "XTRIM s MINID 1000", "XINFO STREAM s", node_entries=node)
case("xtrim errors", "XADD s 1-1 f v", "XTRIM s", "XTRIM s LIMIT 1", "XTRIM s MAXLEN ~", "XTRIM s MAXLEN 1 LIMIT 1",
     "XTRIM s MAXLEN = 1 LIMIT 1", "XTRIM s MAXLEN -5", "XTRIM s MINID -5", "XTRIM s FOO 1", "XTRIM missing MAXLEN 1",
     "XTRIM s MAXLEN 1 MINID 1", "XTRIM s MAXLEN 0 BOGUS", "XLEN s")

# --------------------------------------------------------------------------- ranges, XDEL, XSETID

entries = ["XADD s %d-%d f%d v%d" % (m, q, m, q) for m in range(1, 6) for q in range(3)]
case("xrange bounds", *entries,
     "XRANGE s - +", "XREVRANGE s + -", "XRANGE s 2 3", "XRANGE s 2-1 +", "XRANGE s (2-1 (4-0",
     "XREVRANGE s (4-0 (2-1", "XRANGE s (- +", "XRANGE s - (+", "XRANGE s (18446744073709551615-18446744073709551615 +",
     "XRANGE s - (0-0", "XRANGE s - (0", "XRANGE s ( +", "XRANGE s (abc +", "XRANGE s 3 2", "XRANGE s - + COUNT 0",
     "XRANGE s - + COUNT -1", "XRANGE s - + COUNT 4", "XREVRANGE s + - COUNT 2", "XRANGE s - + COUNT",
     "XRANGE s - + COUNT x", "XRANGE s - + LIMIT 1", "XRANGE s - + COUNT 1 COUNT 2", "XRANGE missing - +",
     "XREVRANGE missing + -", "XRANGE s x +", "XRANGE s - 1-x", "XRANGE s 4-18446744073709551615 5")
case("xdel", *entries,
     "XDEL s 1-0", "XDEL s 1-0", "XDEL s 1-1 1-2 9-9", "XRANGE s - + COUNT 2", "XINFO STREAM s",
     "XDEL s bad", "XDEL s 2-0 bad", "XLEN s", "XDEL missing 1-1", "XDEL s", "XDEL s +", "XDEL s -",
     "XADD s 1-5 f v", "XDEL s 5-2", "XINFO STREAM s")
case("xdel every entry of a node", *entries, "XDEL s 1-0 1-1 1-2 2-0 2-1 2-2", "XINFO STREAM s", "XRANGE s - +",
     node_entries=3)
case("xsetid", "XADD s 5-5 f v",
     "XSETID s 5-4", "XSETID s 5-5", "XSETID s 10-0", "XADD s 9-0 f v", "XSETID s 20-0 ENTRIESADDED 0",
     "XSETID s 20-0 ENTRIESADDED 1", "XSETID s 20-0 ENTRIESADDED -1", "XSETID s 20-0 MAXDELETEDID 30-0",
     "XSETID s 20-0 MAXDELETEDID 15-0 ENTRIESADDED 10", "XINFO STREAM s", "XSETID s 20-0 FOO",
     "XSETID s 20-0 ENTRIESADDED", "XSETID missing 1-1", "XSETID s bad", "XSETID s +", "XSETID s -",
     "XDEL s 5-5", "XSETID s 1-0", "XINFO STREAM s", "XADD s 19-0 f v", "XADD s 20-1 f v")

# --------------------------------------------------------------------------- XREAD

case("xread", *entries,
     "XREAD STREAMS s 0", "XREAD COUNT 2 STREAMS s 3-1", "XREAD STREAMS s $", "XREAD STREAMS s missing 0 0",
     "XREAD STREAMS missing s 0 4-2", "XREAD COUNT 1 STREAMS s s 0 2", "XREAD STREAMS s", "XREAD STREAMS s 0 0",
     "XREAD STREAMS", "XREAD COUNT", "XREAD COUNT -1 STREAMS s 5", "XREAD COUNT x STREAMS s 0",
     "XREAD BLOCK 10 STREAMS s 0", "XREAD BLOCK x STREAMS s 0", "XREAD BLOCK -1 STREAMS s 0",
     "XREAD STREAMS s >", "XREAD GROUP g c STREAMS s >", "XREAD NOACK STREAMS s 0", "XREAD FOO STREAMS s 0",
     "XREAD STREAMS s +", "XREAD STREAMS s -", "XREAD STREAMS s 5-2", "XREAD STREAMS s 5-1")
case("xread in multi", "XADD s 1-1 f v", "MULTI", "XREAD BLOCK 0 STREAMS s $", "XREAD BLOCK 0 STREAMS s 0",
     "XADD s 2-2 g w", "XREAD STREAMS s 1-1", "EXEC")

# --------------------------------------------------------------------------- consumer groups

case("xgroup create and errors",
     "XGROUP CREATE s g $", "XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE s g2 0",
     "XGROUP CREATE s g3 1-1 ENTRIESREAD 5", "XGROUP CREATE s g4 0 ENTRIESREAD -2", "XGROUP CREATE s g4 0 ENTRIESREAD x",
     "XGROUP CREATE s g4 0 FOO", "XGROUP CREATE s g4 bad", "XGROUP CREATE s g4 +", "XGROUP CREATE s g4 - ",
     "XGROUP CREATE s g5 0 MKSTREAM ENTRIESREAD 3 MKSTREAM", "XGROUP CREATE s", "XGROUP", "XGROUP FOO s g",
     "XGROUP HELP", "XGROUP HELP x", "XINFO GROUPS s",
     "XGROUP SETID s g 5-5", "XGROUP SETID s nogroup 0", "XGROUP SETID missing g 0", "XGROUP SETID s g $ ENTRIESREAD 7",
     "XGROUP SETID s g 0 MKSTREAM", "XGROUP SETID s g +", "XGROUP SETID s g -", "XGROUP SETID s g 7", "XINFO GROUPS s",
     "XGROUP CREATECONSUMER s g alice", "XGROUP CREATECONSUMER s g alice", "XGROUP CREATECONSUMER s nog alice",
     "XGROUP CREATECONSUMER missing g alice", "XGROUP DELCONSUMER s g alice", "XGROUP DELCONSUMER s g alice",
     "XGROUP DELCONSUMER s nog alice", "XGROUP DESTROY s g", "XGROUP DESTROY s g", "XGROUP DESTROY missing g",
     "XGROUP DESTROY s g extra", "XINFO GROUPS s", "XINFO HELP", "XINFO HELP x", "XINFO FOO s", "XINFO STREAM missing",
     "XINFO GROUPS missing", "XINFO CONSUMERS s nog", "XINFO STREAM s FULL COUNT", "XINFO STREAM s FOO",
     "XINFO STREAM s FULL COUNT x", "XINFO STREAM s FULL FOO 1")
group_setup = entries + ["XGROUP CREATE s g 0", "XGROUP CREATE s late $"]
case("xreadgroup",
     *group_setup,
     "XREADGROUP GROUP g alice COUNT 2 STREAMS s >", "XREADGROUP GROUP g bob COUNT 3 STREAMS s >",
     "XREADGROUP GROUP g alice STREAMS s 0", "XREADGROUP GROUP g alice COUNT 1 STREAMS s 1-1",
     "XREADGROUP GROUP g bob STREAMS s 9-9", "XREADGROUP GROUP g carol STREAMS s 0", "XPENDING s g",
     "XREADGROUP GROUP g alice NOACK COUNT 2 STREAMS s >", "XPENDING s g", "XINFO GROUPS s",
     "XREADGROUP GROUP nog alice STREAMS s >", "XREADGROUP GROUP g alice STREAMS missing >",
     "XREADGROUP GROUP g alice STREAMS s $", "XREADGROUP STREAMS s >", "XREADGROUP GROUP g STREAMS s >",
     "XREADGROUP GROUP g alice STREAMS s", "XREADGROUP GROUP g alice BLOCK 10 STREAMS s 0",
     "XREADGROUP GROUP g alice COUNT 100 STREAMS s >", "XREADGROUP GROUP g alice STREAMS s >",
     "XREADGROUP GROUP g alice BLOCK 10 STREAMS s >", "XREADGROUP GROUP late x STREAMS s >",
     "XADD s 9-0 new 1", "XREADGROUP GROUP late x STREAMS s >", "XINFO GROUPS s",
     "XDEL s 1-1", "XREADGROUP GROUP g alice STREAMS s 0", "XINFO GROUPS s", M("XINFO CONSUMERS s g"),
     M("XINFO STREAM s FULL"), M("XINFO STREAM s FULL COUNT 1"), M("XPENDING s g - + 10"),
     M("XPENDING s g IDLE 0 - + 10 bob"), M("XPENDING s g (1-0 (3-0 2"), "XPENDING s g - + 10 nobody",
     "XPENDING s g - + 0", "XPENDING s g - +", "XPENDING s g IDLE 5 - +", "XPENDING s g IDLE x - + 1",
     "XPENDING s g - + x", "XPENDING s g x + 1", "XPENDING s nog", "XPENDING missing g",
     "XPENDING s g ( + 1", "XPENDING s g - (0-0 1")
case("xreadgroup in multi", *group_setup, "MULTI", "XREADGROUP GROUP g a COUNT 2 STREAMS s >",
     "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", "XACK s g 1-0", "EXEC", "XPENDING s g")
case("xack",
     *group_setup, "XREADGROUP GROUP g a STREAMS s >", "XACK s g 1-0", "XACK s g 1-0 1-1 9-9", "XACK s g bad",
     "XACK s g 2-0 bad", "XACK s nog 1-0", "XACK missing g 1-0", "XACK s g", "XPENDING s g",
     "XGROUP DELCONSUMER s g a", "XPENDING s g", "XINFO GROUPS s")
case("xclaim",
     *group_setup, "XREADGROUP GROUP g a COUNT 5 STREAMS s >",
     "XCLAIM s g b 0 1-0 1-1", "XCLAIM s g b 0 1-0 JUSTID", "XCLAIM s g b 3600000 1-2", "XPENDING s g",
     "XCLAIM s g c 0 4-0", "XCLAIM s g c 0 4-0 FORCE", "XCLAIM s g c 0 4-0 FORCE JUSTID", "XCLAIM s g c 0 4-1 FORCE JUSTID",
     "XCLAIM s g c 0 1-2 RETRYCOUNT 7", "XCLAIM s g c 0 1-2 IDLE 1000 JUSTID", "XCLAIM s g c 0 1-2 TIME 1 JUSTID",
     "XCLAIM s g c 0 2-0 LASTID 9-9 JUSTID", "XINFO GROUPS s", "XCLAIM s g c 0 1-0 LASTID 1-0",
     "XCLAIM s g c 0 1-0 BOGUS", "XCLAIM s g c x 1-0", "XCLAIM s g c 0 1-0 IDLE x", "XCLAIM s g c 0 1-0 TIME x",
     "XCLAIM s g c 0 1-0 RETRYCOUNT x", "XCLAIM s g c 0 1-0 LASTID bad", "XCLAIM s g c 0 bad", "XCLAIM s g c 0 +",
     "XCLAIM s nog c 0 1-0", "XCLAIM missing g c 0 1-0", "XCLAIM s g c -5 1-0 JUSTID", "XDEL s 1-1",
     "XCLAIM s g d 0 1-1 1-2", "XPENDING s g", M("XPENDING s g - + 20"), "XINFO GROUPS s")
case("xautoclaim",
     *group_setup, "XREADGROUP GROUP g a COUNT 8 STREAMS s >",
     "XAUTOCLAIM s g b 0 0 COUNT 2", "XAUTOCLAIM s g b 0 1-2 COUNT 2 JUSTID", "XAUTOCLAIM s g b 3600000 0",
     "XDEL s 2-1 3-0", "XAUTOCLAIM s g b 0 0 COUNT 3", "XAUTOCLAIM s g b 0 0", "XAUTOCLAIM s g b 0 (1-0 JUSTID",
     "XAUTOCLAIM s g b 0 0 COUNT 0", "XAUTOCLAIM s g b 0 0 COUNT -1", "XAUTOCLAIM s g b 0 0 COUNT x",
     "XAUTOCLAIM s g b 0 0 COUNT 1152921504606846976", "XAUTOCLAIM s g b 0 0 FOO", "XAUTOCLAIM s g b x 0",
     "XAUTOCLAIM s g b 0 bad", "XAUTOCLAIM s g b 0 (18446744073709551615-18446744073709551615",
     "XAUTOCLAIM s nog b 0 0", "XAUTOCLAIM missing g b 0 0", "XPENDING s g", "XINFO GROUPS s")
case("lag and entries-read",
     "XADD s 1-0 f v", "XADD s 2-0 f v", "XADD s 3-0 f v", "XGROUP CREATE s g 0", "XINFO GROUPS s",
     "XREADGROUP GROUP g a COUNT 1 STREAMS s >", "XINFO GROUPS s", "XDEL s 3-0", "XINFO GROUPS s",
     "XREADGROUP GROUP g a STREAMS s >", "XINFO GROUPS s", "XADD s 4-0 f v", "XINFO GROUPS s",
     "XGROUP SETID s g 0", "XINFO GROUPS s", "XGROUP SETID s g 2-0 ENTRIESREAD 2", "XINFO GROUPS s",
     "XTRIM s MAXLEN 0", "XINFO GROUPS s", "XGROUP CREATE e g $ MKSTREAM", "XINFO GROUPS e", "XINFO STREAM e")
case("copy, rename, type and scan",
     *group_setup, "COPY s s2", "XINFO GROUPS s2", "RENAME s2 s3", "XRANGE s3 - + COUNT 2", "TYPE s3",
     "OBJECT ENCODING s3", "DEL s3", "EXISTS s3", "SET str x", "SCAN 0 TYPE stream COUNT 100",
     "SCAN 0 TYPE string COUNT 100")


def random_cases(count, seed):
    """Random writes, trims, deletes, reads and group operations on small nodes."""
    rng = random.Random(seed)
    for index in range(count):
        commands = []
        ms, seq = 1, 0
        for _ in range(rng.randint(20, 60)):
            roll = rng.random()
            if roll < 0.45:
                if rng.random() < 0.3:
                    ms += rng.randint(1, 3)
                    seq = 0
                else:
                    seq += 1
                fields = rng.choice([["f", str(rng.randint(0, 99))], ["f", "x" * rng.randint(0, 70), "g", "1"],
                                     ["h", str(-rng.randint(0, 10 ** 12))]])
                trim = rng.choice([[], [], ["MAXLEN", "~", str(rng.randint(0, 20))],
                                   ["MINID", rng.choice(["=", "~"]), "%d-0" % rng.randint(0, ms)]])
                commands.append(("XADD", "s", *trim, "%d-%d" % (ms, seq), *fields))
            elif roll < 0.55:
                commands.append(("XDEL", "s", *("%d-%d" % (rng.randint(1, ms), rng.randint(0, 3))
                                                for _ in range(rng.randint(1, 3)))))
            elif roll < 0.62:
                commands.append(("XTRIM", "s", rng.choice(["MAXLEN", "MINID"]), rng.choice(["=", "~"]),
                                 str(rng.randint(0, 15)) if rng.random() < 0.5 else "%d-0" % rng.randint(0, ms)))
            elif roll < 0.72:
                commands.append(("XRANGE", "s", rng.choice(["-", "%d" % rng.randint(1, ms), "(%d-1" % rng.randint(1, ms)]),
                                 "+", "COUNT", str(rng.randint(1, 10))))
            elif roll < 0.77:
                commands.append(("XREVRANGE", "s", "+", "-", "COUNT", str(rng.randint(1, 10))))
            elif roll < 0.80:
                commands.append(("XGROUP", "CREATE", "s", rng.choice(["g", "h"]), rng.choice(["0", "$"]), "MKSTREAM"))
            elif roll < 0.88:
                commands.append(("XREADGROUP", "GROUP", rng.choice(["g", "h"]), rng.choice(["a", "b"]),
                                 "COUNT", str(rng.randint(1, 5)), "STREAMS", "s", rng.choice([">", ">", "0"])))
            elif roll < 0.92:
                commands.append(("XACK", "s", rng.choice(["g", "h"]),
                                 *("%d-%d" % (rng.randint(1, ms), rng.randint(0, 3)) for _ in range(2))))
            elif roll < 0.95:
                commands.append(("XAUTOCLAIM", "s", "g", rng.choice(["a", "c"]), "0", "0", "COUNT", str(rng.randint(1, 4))))
            elif roll < 0.97:
                commands.append(("XCLAIM", "s", "h", "c", "0", "%d-%d" % (rng.randint(1, ms), rng.randint(0, 3)), "JUSTID"))
            else:
                commands.append(("XINFO", rng.choice(["STREAM", "GROUPS"]), "s"))
        commands += [C("XINFO STREAM s"), C("XINFO GROUPS s"), C("XPENDING s g"), C("XPENDING s h"),
                     C("XRANGE s - +")]
        case("random %d" % index, *commands, node_entries=rng.choice([2, 3, 5, 100]))


random_cases(60, 15)


# --------------------------------------------------------------------------- running

INTEGER = re.compile(rb":-?\d+\r\n")


def run_case(ports, protocol, node_entries, commands):
    clients = [RawClient(port) for port in ports]
    replies = ([], [])
    try:
        for client in clients:
            for setup in (("HELLO", str(protocol)), ("FLUSHALL",),
                          ("CONFIG", "SET", "stream-node-max-entries", str(node_entries))):
                client.call(*(a.encode() for a in setup))
        for command in commands:
            for side, client in enumerate(clients):
                reply = client.call(*(a.encode() for a in command))
                if isinstance(command, Masked):
                    reply = INTEGER.sub(b":#\r\n", reply)
                replies[side].append(reply)
        for client in clients:
            client.call(b"CONFIG", b"SET", b"stream-node-max-entries", b"100")
    finally:
        for client in clients:
            client.close()
    return replies


def mismatches(ports, protocol):
    found = []
    for name, node_entries, commands in CASES:
        want, got = run_case(ports, protocol, node_entries, commands)
        for i, command in enumerate(commands):
            if not isinstance(command, Unchecked) and want[i] != got[i]:
                found.append("case %r, command %d: %s\n  redis-server: %r\n  redstart:     %r"
                             % (name, i + 1, " ".join(command), want[i][:400], got[i][:400]))
    return found


@pytest.mark.parametrize("protocol", [2, 3])
def test_streams_match_redis(request, redis_server, protocol):
    if SELFTEST:
        subject = ReferenceServer()
        request.addfinalizer(subject.stop)
    else:
        subject = request.getfixturevalue("server")
    found = mismatches((redis_server.port, subject.port), protocol)
    commands = sum(len(c) for _, _, c in CASES)
    if not found:
        warnings.warn("RESP%d: %d stream cases, %d commands compared" % (protocol, len(CASES), commands))
    assert not found, "RESP%d: %d mismatching replies:\n%s" % (protocol, len(found), "\n".join(found[:40]))
