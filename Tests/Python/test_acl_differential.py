"""ACL differential test: the same random ACL SETUSER rules on Redstart and on a real
redis-server, then the same requests checked as those users (ACL DRYRUN, and for a
sample, the requests themselves over an authenticated connection). Both servers must
give the same answers: the same errors for refused rules, the same ACL GETUSER
(command rules compared as a multiset of words: Redis orders its single-command rules
by its hash table), the same allow/deny decisions with the same texts, and the same
ACL LOG entries.
"""
import random

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

KEYS = ["k:1", "k:2", "read1", "write1", "rw1", "other", "set1", "x"]
CHANNELS = ["ch1", "ch2", "news.a", "news.b", "p*"]
CATEGORIES = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
              "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
              "dangerous", "connection", "transaction", "scripting", "all"]
COMMANDS = ["get", "set", "mget", "copy", "lpush", "rpop", "publish", "subscribe", "psubscribe",
            "spublish", "select", "client", "client|id", "client|kill", "client|setname",
            "config", "config|get", "config|set", "debug", "eval", "eval_ro", "sort", "hexists",
            "sintercard", "xadd", "ping", "memory|usage", "bitfield", "zadd", "object|encoding",
            "flushdb", "keys", "info", "incr", "georadius", "acl", "acl|whoami", "multi", "exec"]

# Requests checked with ACL DRYRUN: keys, channels, subcommands, first arguments.
REQUESTS = [
    ["GET", "k:1"], ["GET", "read1"], ["GET", "write1"], ["SET", "write1", "v"], ["SET", "rw1", "v", "GET"],
    ["SET", "read1", "v"], ["SET", "x", "v", "EX", "10"], ["COPY", "read1", "write1"], ["COPY", "write1", "read1"],
    ["LPUSH", "write1", "a"], ["RPOP", "rw1"], ["MGET", "k:1", "k:2", "other"], ["PUBLISH", "ch1", "m"],
    ["PUBLISH", "news.a", "m"], ["SUBSCRIBE", "ch1", "ch2"], ["PSUBSCRIBE", "p*"], ["PSUBSCRIBE", "news.*"],
    ["SPUBLISH", "ch2", "m"], ["SELECT", "0"], ["SELECT", "1"], ["CLIENT", "ID"], ["CLIENT", "KILL", "ID", "1"],
    ["CLIENT", "SETNAME", "n"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "SET", "maxmemory", "0"],
    ["DEBUG", "OBJECT", "k:1"], ["EVAL", "return 1", "1", "rw1"], ["EVAL", "return 1", "1", "read1"],
    ["EVAL_RO", "return 1", "1", "read1"], ["EVAL", "return 1", "0", "read1"],
    ["SORT", "read1", "STORE", "write1"], ["SORT", "write1", "STORE", "read1"], ["HEXISTS", "other", "f"],
    ["SINTERCARD", "2", "read1", "write1"], ["XADD", "write1", "*", "f", "v"], ["PING"],
    ["MEMORY", "USAGE", "k:2"], ["BITFIELD", "read1", "GET", "u4", "0"], ["BITFIELD", "write1", "SET", "u4", "0", "1"],
    ["ZADD", "set1", "1", "a"], ["OBJECT", "ENCODING", "x"], ["FLUSHDB"], ["KEYS", "*"], ["INFO"],
    ["INCR", "k:2"], ["GEORADIUS", "read1", "0", "0", "1", "m", "STORE", "write1"], ["ACL", "WHOAMI"],
    ["MULTI"], ["EXEC"], ["UNSUBSCRIBE", "zzz"], ["AUTH", "a", "b"],
]


def random_rule(rng, depth=0):
    kind = rng.randrange(16)
    if kind == 0:
        return rng.choice(["on", "off", "nopass", "resetpass", "allkeys", "resetkeys", "allchannels",
                           "resetchannels", "allcommands", "nocommands", "clearselectors", "reset"])
    if kind == 1:
        return ">" + rng.choice(["pw1", "pw2", "secret"])
    if kind == 2:
        return rng.choice(["~", "%R~", "%W~", "%RW~"]) + rng.choice(["k:*", "read*", "write*", "rw*", "*", "x", "set?"])
    if kind == 3:
        return "&" + rng.choice(CHANNELS + ["news.*", "*"])
    if kind in (4, 5, 6):
        return rng.choice("+-") + "@" + rng.choice(CATEGORIES)
    if kind in (7, 8, 9, 10):
        return rng.choice("+-") + rng.choice(COMMANDS)
    if kind == 11:
        return "+" + rng.choice(["select|0", "debug|object", "select|1", "config|get|x", "get|x|y", "config|nope"])
    if kind == 12 and depth == 0:
        inner = " ".join(random_rule(rng, 1) for _ in range(rng.randrange(1, 4)))
        return "(" + inner + ")"
    if kind == 13:
        return rng.choice(["<pw1", "#" + "a" * 64, "#" + "g" * 64, "!" + "b" * 64, "bogus", "~a b", "%X~k"])
    return rng.choice("+-") + "@" + rng.choice(CATEGORIES)


def answer(client, *args):
    try:
        return client.execute_command(*args)
    except (redis.ResponseError, redis.AuthenticationError) as error:
        return "ERR: " + str(error)


def comparable_user(info):
    """ACL GETUSER with the command rules as sorted words."""
    if info is None:
        return None
    info = dict(info)
    info["commands"] = sorted(info["commands"].split())
    info["flags"] = sorted(info["flags"])
    info["selectors"] = [
        {**dict(s), "commands": sorted(dict(s)["commands"].split())} for s in info["selectors"]]
    return info


def uses_categories(rules):
    return any("@" in rule and "@all" not in rule for rule in rules)


def check_round_trip(client, name):
    """ACL LIST's line for `name`, set on a new user, gives the same ACL LIST line and
    the same decisions."""
    line = next(entry for entry in client.execute_command("ACL", "LIST") if entry.split()[1] == name)
    rules = line.split(" ", 2)[2]
    copy = name + "-copy"
    assert client.execute_command("ACL", "SETUSER", copy, *split_rules(rules)) == "OK"
    copied = next(entry for entry in client.execute_command("ACL", "LIST") if entry.split()[1] == copy)
    assert copied.split(" ", 2)[2] == rules
    for request in REQUESTS:
        assert answer(client, "ACL", "DRYRUN", copy, *request) == answer(client, "ACL", "DRYRUN", name, *request)
    client.execute_command("ACL", "DELUSER", copy)


def split_rules(text):
    """ACL LIST's rules as SETUSER arguments: a selector `( ... )` is one argument."""
    words, depth, current = [], 0, []
    for word in text.split(" "):
        if depth == 0 and word.startswith("(") and not word.endswith(")"):
            depth, current = 1, [word]
        elif depth:
            current.append(word)
            if word.endswith(")"):
                words.append(" ".join(current))
                depth = 0
        else:
            words.append(word)
    return words


def comparable_log(entries):
    kept = []
    for entry in entries:
        entry = dict(entry)
        fields = dict(part.split("=", 1) for part in entry["client-info"].split(" "))
        kept.append((entry["count"], entry["reason"], entry["context"], entry["object"], entry["username"],
                     fields.get("cmd"), fields.get("user")))
    return kept


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rules_give_the_same_decisions(server, redis_server, seed):
    rng = random.Random(seed)
    ours = redis.Redis(port=server.port, decode_responses=True)
    theirs = redis.Redis(port=redis_server.port, decode_responses=True)
    compared = 0
    for number in range(70):
        name = "user%d" % number
        rules = [random_rule(rng) for _ in range(rng.randrange(1, 8))]
        assert answer(ours, "ACL", "SETUSER", name, *rules) == answer(theirs, "ACL", "SETUSER", name, *rules), rules
        # A second batch on the same user: changes are staged, all or nothing.
        more = [random_rule(rng) for _ in range(rng.randrange(0, 4))]
        assert answer(ours, "ACL", "SETUSER", name, *more) == answer(theirs, "ACL", "SETUSER", name, *more), more
        ours_info = comparable_user(ours.execute_command("ACL", "GETUSER", name))
        theirs_info = comparable_user(theirs.execute_command("ACL", "GETUSER", name))
        if uses_categories(rules + more) and ours_info and theirs_info:
            # Which categories describe a mix best depends on how many commands each holds,
            # and Redstart has not every command yet (replication's, MODULE): the rules are
            # compared by what they allow, below, and by their round trip.
            ours_info["commands"] = theirs_info["commands"] = None
            for selector in ours_info["selectors"] + theirs_info["selectors"]:
                selector["commands"] = None
            check_round_trip(ours, name)
        assert ours_info == theirs_info, rules + more
        for request in REQUESTS:
            assert answer(ours, "ACL", "DRYRUN", name, *request) == answer(theirs, "ACL", "DRYRUN", name, *request), \
                (rules + more, request)
            compared += 1
    assert compared == 70 * len(REQUESTS)
    assert sorted(ours.execute_command("ACL", "USERS")) == sorted(theirs.execute_command("ACL", "USERS"))


def test_requests_as_users_give_the_same_replies_and_log(server, redis_server):
    rng = random.Random(7)
    servers = [redis.Redis(port=s.port, decode_responses=True) for s in (server, redis_server)]
    ports = [server.port, redis_server.port]
    for admin in servers:
        admin.execute_command("ACL", "LOG", "RESET")
    for number in range(25):
        name = "runner%d" % number
        rules = ["on", ">pw"] + [random_rule(rng, 1) for _ in range(rng.randrange(2, 7))]
        replies = [answer(admin, "ACL", "SETUSER", name, *rules) for admin in servers]
        assert replies[0] == replies[1]
        # No retries: redis-py would retry a refused AUTH (an AuthenticationError) with backoff.
        users = [redis.Redis(port=port, decode_responses=True, retry=Retry(NoBackoff(), 0)) for port in ports]
        auths = [answer(user, "AUTH", name, "pw") for user in users]
        assert auths[0] == auths[1], rules
        for request in REQUESTS:
            if request[0] in ("SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "MULTI", "EXEC", "AUTH", "FLUSHDB", "DEBUG", "CLIENT"):
                continue
            got = [answer(user, *request) for user in users]
            if isinstance(got[0], str) and got[0].startswith("ERR: NOPERM") or isinstance(got[1], str) and got[1].startswith("ERR: NOPERM"):
                assert got[0] == got[1], (rules, request)
            else:
                assert not (isinstance(got[0], str) and "NOPERM" in got[0]), (rules, request, got)
        # Inside MULTI: a denied command fails the transaction the same way.
        for user in users:
            answer(user, "MULTI")
        queued = [answer(user, "INCR", "k:2") for user in users]
        executed = [answer(user, "EXEC") for user in users]
        assert queued[0] == queued[1] and (executed[0] == executed[1] or "NOPERM" not in str(executed)), rules
        for user in users:
            user.close()
    logs = [comparable_log(admin.execute_command("ACL", "LOG", "128")) for admin in servers]
    assert logs[0] == logs[1]
    assert len(logs[0]) > 10
