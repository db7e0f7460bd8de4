#!/usr/bin/env python3
"""Generate RedstartClient's typed command API from Redis 7.0.15's COMMAND DOCS.

Reads the catalog that generate-command-catalog.py wrote (GeneratedCommandCatalog.swift:
the COMMAND DOCS map of every command and subcommand as RESP3 in Swift string literals)
and writes Sources/RedstartClient/Generated/Commands+<Group>.swift, one file per COMMAND
DOCS group, commands in name order. For every command and subcommand (a container such
as CONFIG only through its subcommands) it writes

  RedisCommand.<name>(...)          a builder appending the words in the documented order
                                    (keys with appendKey, so key positions are recorded)
  RedisCommandExecutor.<name>(...)  the typed method: runs the builder and decodes the
                                    reply as RETURN_TYPES says (RESPValue when not listed)

Scheme
  names      lowerCamel of the full name: GET get, CONFIG GET configGet, GEORADIUS_RO
             georadiusRo, RESTORE-ASKING restoreAsking (SHUTDOWN's typed method: see below).
             Labels are lowerCamel of the docs' argument names, run-together words split by
             WORDS (withscores withScores) and IDs, TTLs, DBs upper-cased (clientID, keepTTL);
             named after the token when the docs' name only lists the parts (wrap_sat_fail
             OVERFLOW overflow, offset_count LIMIT limit) or is no word (yes/no SKIPME skipMe).
             Repeated arguments take the plural (member members). The first parameter is
             unlabelled when it is required. Names repeated in one list take their token's
             name (SORT's BY pattern and GET pattern: by, get), then a number.
  key, string, pattern   `some RESPArgumentEncodable`; optional `(any RESPArgumentEncodable)? = nil`;
             repeated `[any RESPArgumentEncodable]` (a [String] passes). `any` for `some`
             inside the generated types.
  integer, unix-time Int; double Double; optional ones `Int? = nil`, repeated `[Int]`.
  pure-token `Bool = false`, the token written when true (withScores: true).
  tokens     a token goes before the value; for a repeated value once before all of them, or
             before each for multiple_token. Optional repeated values default to `[]`, and
             empty writes nothing, not even the token.
  oneof      a public enum RedisCommand.<Command><Argument> (SetCondition, SetExpiration,
             ClientKillFilter), one case per alternative: a pure token without payload
             (.nx), a value with one unlabelled payload (.seconds(10)), a block with one
             labelled payload per field (.fromLonLat(longitude:latitude:)); it writes its
             own words (RESPArgumentEncodable), the caller the token before it.
  block      of one argument: that argument with the block's token and flags (CONFIG GET
             parameters, CLIENT LIST ID ids). Required and not repeated: its fields inline
             (XREAD ... STREAMS keys ids). Repeated, of 2-3 plain values without tokens: an
             array of labelled tuples (HSET fieldValues: [(field:, value:)], ZADD scoreMembers:
             [(score:, member:)], MSET [(key:, value:)]). Otherwise a public struct
             RedisCommand.<Command><Argument> with a memberwise init (XaddTrim, ZrangeLimit).
             Types used inside these types are nested in them and named after their argument
             (GeosearchBy.Unit); identical ones in one scope are one type.
  numkeys    an integer `numkeys` right before the keys it counts is no parameter: it is
             written as the number of keys given (EVAL, FCALL, ZUNION, LMPOP, SINTERCARD...).
  replies    RETURN_TYPES (RESPValue when absent); @discardableResult as KEYLESS_QUERIES says.
  deprecated commands get @available(*, deprecated) naming the docs' replaced_by.

Exceptions
  Builders only, no typed method: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs
  (subscriptions go through RedstartClient.subscribe(to:)); MULTI, EXEC, DISCARD, WATCH,
  UNWATCH (transactions go through transaction(_:) and watching(_:body:)); MONITOR, SYNC,
  PSYNC (what follows is not one reply per command); CLIENT REPLY (OFF and SKIP suppress
  the reply the method would wait for).
  Renamed typed methods (clashes with the client's own API): SHUTDOWN shutdownServer.
  The script stops with an error when another typed method would share a name with a
  method declared in Sources/RedstartClient outside Generated/.
  ARGUMENT_TYPES corrects documented types that are narrower than Redis accepts.

Usage: generate-client-commands.py [--check]   (--check: exit 1 when the files differ)
Standard library only; the RESP3 parser is generate-command-catalog.py's.
"""

import argparse
import difflib
import importlib.util
import os
import re
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "Sources", "RedstartEngine", "Commands", "Generated", "GeneratedCommandCatalog.swift")
OUTPUT = os.path.join(ROOT, "Sources", "RedstartClient", "Generated")
CLIENT_SOURCES = os.path.join(ROOT, "Sources", "RedstartClient")

_spec = importlib.util.spec_from_file_location(
    "generate_command_catalog", os.path.join(os.path.dirname(os.path.abspath(__file__)), "generate-command-catalog.py"))
catalog_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalog_script)

# --- hand-kept tables ---------------------------------------------------------------

# What each typed method decodes its reply as (full command name -> Swift type); RESPValue
# for the rest. A type here must decode every reply the command can give, with any of its
# options, in RESP2 and RESP3 (so SET, whose reply is OK, nil or the old value, is absent;
# ZADD is the one exception, noted in RETURN_NOTES).
RETURN_TYPES = {
    # string
    "append": "Int", "decr": "Int", "decrby": "Int", "get": "RedisBytes?", "getdel": "RedisBytes?",
    "getex": "RedisBytes?", "getrange": "RedisBytes", "getset": "RedisBytes?", "incr": "Int", "incrby": "Int",
    "incrbyfloat": "Double", "mget": "[RedisBytes?]", "mset": "RedisOK", "msetnx": "Bool", "psetex": "RedisOK",
    "setex": "RedisOK", "setnx": "Bool", "setrange": "Int", "strlen": "Int", "substr": "RedisBytes",
    # list
    "blmove": "RedisBytes?", "blpop": "[RedisBytes]?", "brpop": "[RedisBytes]?", "brpoplpush": "RedisBytes?",
    "lindex": "RedisBytes?", "linsert": "Int", "llen": "Int", "lmove": "RedisBytes?", "lpush": "Int",
    "lpushx": "Int", "lrange": "[RedisBytes]", "lrem": "Int", "lset": "RedisOK", "ltrim": "RedisOK",
    "rpoplpush": "RedisBytes?", "rpush": "Int", "rpushx": "Int",
    # hash
    "hdel": "Int", "hexists": "Bool", "hget": "RedisBytes?", "hgetall": "[RedisBytes: RedisBytes]",
    "hincrby": "Int", "hincrbyfloat": "Double", "hkeys": "[RedisBytes]", "hlen": "Int", "hmget": "[RedisBytes?]",
    "hmset": "RedisOK", "hset": "Int", "hsetnx": "Bool", "hstrlen": "Int", "hvals": "[RedisBytes]",
    # set
    "sadd": "Int", "scard": "Int", "sdiff": "[RedisBytes]", "sdiffstore": "Int", "sinter": "[RedisBytes]",
    "sintercard": "Int", "sinterstore": "Int", "sismember": "Bool", "smembers": "[RedisBytes]",
    "smismember": "[Bool]", "smove": "Bool", "srem": "Int", "sunion": "[RedisBytes]", "sunionstore": "Int",
    # sorted set (ZADD's INCR option replies a score: see RETURN_NOTES)
    "zadd": "Int", "zcard": "Int", "zcount": "Int", "zdiffstore": "Int", "zincrby": "Double", "zintercard": "Int",
    "zinterstore": "Int", "zlexcount": "Int", "zmscore": "[Double?]", "zrangebylex": "[RedisBytes]",
    "zrangestore": "Int", "zrank": "Int?", "zrem": "Int", "zremrangebylex": "Int", "zremrangebyrank": "Int",
    "zremrangebyscore": "Int", "zrevrangebylex": "[RedisBytes]", "zrevrank": "Int?", "zscore": "Double?",
    "zunionstore": "Int",
    # generic
    "copy": "Bool", "del": "Int", "dump": "RedisBytes?", "exists": "Int", "expire": "Bool", "expireat": "Bool",
    "expiretime": "Int", "keys": "[RedisBytes]", "move": "Bool", "object|encoding": "String?",
    "object|freq": "Int?", "object|idletime": "Int?", "object|refcount": "Int?", "persist": "Bool",
    "pexpire": "Bool", "pexpireat": "Bool", "pexpiretime": "Int", "pttl": "Int", "randomkey": "RedisBytes?",
    "rename": "RedisOK", "renamenx": "Bool", "restore": "RedisOK", "sort_ro": "[RedisBytes?]", "touch": "Int",
    "ttl": "Int", "type": "String", "unlink": "Int", "wait": "Int",
    # bitmap, hyperloglog, geo
    "bitcount": "Int", "bitfield": "[Int?]", "bitfield_ro": "[Int]", "bitop": "Int", "bitpos": "Int",
    "getbit": "Int", "setbit": "Int", "pfadd": "Bool", "pfcount": "Int", "pfmerge": "RedisOK",
    "geoadd": "Int", "geodist": "Double?", "geohash": "[String?]", "geosearchstore": "Int",
    # pubsub, scripting
    "publish": "Int", "spublish": "Int", "pubsub|channels": "[RedisBytes]", "pubsub|numpat": "Int",
    "pubsub|numsub": "[RedisBytes: Int]", "pubsub|shardchannels": "[RedisBytes]",
    "pubsub|shardnumsub": "[RedisBytes: Int]",
    "script|exists": "[Bool]", "script|flush": "RedisOK", "script|kill": "RedisOK", "script|load": "String",
    "function|delete": "RedisOK", "function|dump": "RedisBytes", "function|flush": "RedisOK",
    "function|kill": "RedisOK", "function|load": "String", "function|restore": "RedisOK",
    # stream
    "xack": "Int", "xadd": "String?", "xdel": "Int", "xgroup|create": "RedisOK", "xgroup|createconsumer": "Int",
    "xgroup|delconsumer": "Int", "xgroup|destroy": "Int", "xgroup|setid": "RedisOK", "xlen": "Int",
    "xsetid": "RedisOK", "xtrim": "Int",
    # connection
    "auth": "RedisOK", "client|caching": "RedisOK", "client|getname": "String?", "client|getredir": "Int",
    "client|id": "Int", "client|info": "String", "client|list": "String", "client|no-evict": "RedisOK",
    "client|pause": "RedisOK", "client|setname": "RedisOK", "client|tracking": "RedisOK",
    "client|unblock": "Bool", "client|unpause": "RedisOK", "echo": "RedisBytes", "ping": "String",
    "quit": "RedisOK", "reset": "String", "select": "RedisOK",
    # server
    "acl|cat": "[String]", "acl|deluser": "Int", "acl|genpass": "String", "acl|list": "[String]",
    "acl|load": "RedisOK", "acl|save": "RedisOK", "acl|setuser": "RedisOK", "acl|users": "[String]",
    "acl|whoami": "String", "bgrewriteaof": "String", "bgsave": "String", "command|count": "Int",
    "command|list": "[String]", "config|get": "[String: String]", "config|resetstat": "RedisOK",
    "config|rewrite": "RedisOK", "config|set": "RedisOK", "dbsize": "Int", "failover": "RedisOK",
    "flushall": "RedisOK", "flushdb": "RedisOK", "info": "String", "lastsave": "Int", "latency|doctor": "String",
    "latency|reset": "Int", "lolwut": "String", "memory|doctor": "String", "memory|purge": "RedisOK",
    "memory|usage": "Int?", "module|load": "RedisOK", "module|loadex": "RedisOK", "module|unload": "RedisOK",
    "replicaof": "RedisOK", "save": "RedisOK", "slaveof": "RedisOK", "slowlog|len": "Int",
    "slowlog|reset": "RedisOK", "swapdb": "RedisOK", "time": "[Int]",
    # cluster
    "asking": "RedisOK", "readonly": "RedisOK", "readwrite": "RedisOK", "cluster|countkeysinslot": "Int",
    "cluster|count-failure-reports": "Int", "cluster|getkeysinslot": "[RedisBytes]", "cluster|info": "String",
    "cluster|keyslot": "Int", "cluster|myid": "String", "cluster|nodes": "String",
}

# A sentence added to a typed method's documentation (what its return type leaves out).
RETURN_NOTES = {
    "zadd": "With `increment: true` ZADD replies the new score (nil when a condition stopped it), which "
            "`Int` cannot hold: run `execute(RedisCommand.zadd(...), as: Double?.self)` or use `zincrby`.",
}

# Commands with a builder but no typed method, and why (in the header comment above too).
BUILDER_ONLY = {
    "subscribe": "subscriptions go through RedstartClient.subscribe(to:)",
    "psubscribe": "subscriptions go through RedstartClient.subscribe(toPatterns:)",
    "ssubscribe": "subscriptions go through RedstartClient.subscribe(toShardChannels:)",
    "unsubscribe": "subscriptions end with their AsyncStream",
    "punsubscribe": "subscriptions end with their AsyncStream",
    "sunsubscribe": "subscriptions end with their AsyncStream",
    "multi": "transactions go through RedstartClient.transaction(_:) and watching(_:body:)",
    "exec": "transactions go through RedstartClient.transaction(_:) and watching(_:body:)",
    "discard": "transactions go through RedstartClient.transaction(_:) and watching(_:body:)",
    "watch": "transactions go through RedstartClient.watching(_:body:)",
    "unwatch": "transactions go through RedstartClient.watching(_:body:)",
    "monitor": "MONITOR streams replies; run it on a connection of its own",
    "sync": "what follows is a replication stream, not a reply",
    "psync": "what follows is a replication stream, not a reply",
    "client|reply": "CLIENT REPLY OFF and SKIP suppress the reply a typed method waits for",
}

# Typed methods named differently from their command (the name clashes with the client's API).
METHOD_RENAMES = {
    "shutdown": "shutdownServer",  # RedstartClient.shutdown() closes the client
}

# @discardableResult goes on the typed methods of commands that act: those replying RedisOK,
# those whose key specs write (RW, OW, RM), and those without keys (CONFIG SET, PUBLISH, CLUSTER
# MEET, ...) except the queries below and the HELP subcommands, whose reply is the point.
KEYLESS_QUERIES = {
    "acl|cat", "acl|dryrun", "acl|genpass", "acl|getuser", "acl|list", "acl|log", "acl|users", "acl|whoami",
    "client|getname", "client|getredir", "client|id", "client|info", "client|list", "client|trackinginfo",
    "cluster|count-failure-reports", "cluster|countkeysinslot", "cluster|getkeysinslot", "cluster|info",
    "cluster|keyslot", "cluster|links", "cluster|myid", "cluster|nodes", "cluster|replicas", "cluster|shards",
    "cluster|slaves", "cluster|slots", "command|count", "command|docs", "command|getkeys",
    "command|getkeysandflags", "command|info", "command|list", "config|get", "dbsize", "echo", "function|dump",
    "function|list", "function|stats", "info", "keys", "lastsave", "latency|doctor", "latency|graph",
    "latency|histogram", "latency|history", "latency|latest", "lolwut", "memory|doctor", "memory|malloc-stats",
    "memory|stats", "module|list", "ping", "pubsub|channels", "pubsub|numpat", "pubsub|numsub",
    "pubsub|shardchannels", "pubsub|shardnumsub", "randomkey", "role", "scan", "script|exists", "slowlog|get",
    "slowlog|len", "time",
}

# Documented argument types that are narrower than what Redis accepts: (command, argument) ->
# type. Score ranges take "(1", "-inf" and "+inf"; ZINCRBY's increment is a float.
ARGUMENT_TYPES = {
    ("zcount", "min"): "string", ("zcount", "max"): "string",
    ("zrangebyscore", "min"): "string", ("zrangebyscore", "max"): "string",
    ("zrevrangebyscore", "min"): "string", ("zrevrangebyscore", "max"): "string",
    ("zremrangebyscore", "min"): "string", ("zremrangebyscore", "max"): "string",
    ("zincrby", "increment"): "double",
}

USED_ARGUMENT_TYPES = set()

# The docs' run-together words, split for camelCase; ACRONYMS are upper-cased after the first word.
WORDS = {
    "absttl": ["abs", "ttl"], "bylex": ["by", "lex"], "byscore": ["by", "score"],
    "categoryname": ["category", "name"], "clientname": ["client", "name"],
    "consumername": ["consumer", "name"], "destkey": ["dest", "key"], "filterby": ["filter", "by"],
    "fromlonlat": ["from", "lon", "lat"], "frommember": ["from", "member"], "incrby": ["incr", "by"],
    "skipme": ["skip", "me"],
    "groupname": ["group", "name"], "justid": ["just", "id"], "keepttl": ["keep", "ttl"],
    "lastid": ["last", "id"], "maxlen": ["max", "len"], "minid": ["min", "id"],
    "minmatchlen": ["min", "match", "len"], "mkstream": ["mk", "stream"], "newkey": ["new", "key"],
    "noack": ["no", "ack"], "noloop": ["no", "loop"], "nomkstream": ["no", "mk", "stream"],
    "nosave": ["no", "save"], "numreplicas": ["num", "replicas"], "optin": ["opt", "in"],
    "optout": ["opt", "out"], "replicationid": ["replication", "id"], "shardchannel": ["shard", "channel"],
    "sortby": ["sort", "by"], "sourcekey": ["source", "key"], "storedist": ["store", "dist"],
    "wherefrom": ["where", "from"], "whereto": ["where", "to"], "withcode": ["with", "code"],
    "withcoord": ["with", "coord"], "withdist": ["with", "dist"], "withhash": ["with", "hash"],
    "withmatchlen": ["with", "match", "len"], "withscores": ["with", "scores"], "withvalues": ["with", "values"],
}
ACRONYMS = {"id": "ID", "ttl": "TTL", "db": "DB"}

# Plurals that do not follow the rule (append "s", "es" after s/x/ch/sh, "ies" after consonant+y).
PLURALS = {"data": "data", "args": "args", "configs": "configs"}

GROUP_FILES = {
    "bitmap": "Bitmap", "cluster": "Cluster", "connection": "Connection", "generic": "Generic", "geo": "Geo",
    "hash": "Hash", "hyperloglog": "HyperLogLog", "list": "List", "pubsub": "PubSub", "scripting": "Scripting",
    "sentinel": "Sentinel", "server": "Server", "set": "Set", "sorted-set": "SortedSet", "stream": "Stream",
    "string": "String", "transactions": "Transactions",
}

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
    "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
    "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
    "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true",
    "try", "async", "Type", "Protocol",
}
# Names a nested type must not take: they would hide the types the generated code uses.
RESERVED_TYPE_NAMES = {
    "String", "Int", "Double", "Bool", "Array", "Optional", "RedisCommand", "RESPArgumentEncodable", "RESPValue",
    "RedisBytes", "RedisOK", "Element", "Type", "Protocol", "Self",
}
COMMAND_VARIABLE = "redisCommand"  # the command being built, in builders and encodeArgument
LEAF_TYPES = {"key", "string", "pattern", "integer", "double", "unix-time"}
LINE_WIDTH = 120


class GeneratorError(Exception):
    pass


# --- reading the catalog ------------------------------------------------------------------

ENTRY = re.compile(
    r'^ {8}"((?:[^"\\]|\\.)*)": CommandCatalogEntry\(docs: "((?:[^"\\]|\\.)*)", '
    r'keySpecs: "((?:[^"\\]|\\.)*)", tips: "((?:[^"\\]|\\.)*)"\),$', re.M)
ESCAPES = {"r": "\r", "n": "\n", "t": "\t", "0": "\0", '"': '"', "'": "'", "\\": "\\"}


def swift_string_value(body):
    """The bytes a Swift string literal's body (between the quotes) stands for."""
    out = []
    index = 0
    while index < len(body):
        ch = body[index]
        if ch != "\\":
            out.append(ch)
            index += 1
            continue
        escape = body[index + 1:index + 2]
        if escape in ESCAPES:
            out.append(ESCAPES[escape])
            index += 2
        elif escape == "u":
            match = re.match(r"\\u\{([0-9A-Fa-f]{1,8})\}", body[index:])
            if not match:
                raise GeneratorError("bad \\u escape in the catalog: %r" % body[index:index + 12])
            out.append(chr(int(match.group(1), 16)))
            index += match.end()
        else:
            raise GeneratorError("unknown escape \\%s in the catalog" % escape)
    return "".join(out).encode("utf-8")


def resp(literal_body):
    """The RESP value a catalog literal holds, checked to survive the round trip both ways."""
    data = swift_string_value(literal_body)
    if catalog_script.swift_literal(data) != '"%s"' % literal_body:
        raise GeneratorError("catalog literal does not re-escape to itself: %r" % literal_body[:60])
    value = catalog_script.parse(data)
    if catalog_script.encode(value) != data:
        raise GeneratorError("catalog RESP does not re-encode to itself: %r" % literal_body[:60])
    return value


def plain(value):
    """A parsed RESP value as Python dicts, lists, strings and ints."""
    kind = value.kind
    if kind == "map":
        return {key.text(): plain(item) for key, item in value.data}
    if kind in ("array", "set"):
        return [plain(item) for item in value.data]
    if kind in ("bulk", "simple", "verbatim"):
        return value.text()
    if kind == "integer":
        return value.data
    if kind in ("null", "nullbulk", "nullarray"):
        return None
    raise GeneratorError("unexpected %s in COMMAND DOCS" % kind)


def read_catalog(path):
    """{full name: (docs dict, the key specs' flags, whether it has key specs)}."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    entries = {}
    for match in ENTRY.finditer(text):
        name = swift_string_value(match.group(1)).decode("utf-8")
        docs = plain(resp(match.group(2)))
        flags = set()
        specs = plain(resp(match.group(3)))
        for spec in specs:
            flags.update(spec.get("flags", []))
        # SPUBLISH's shard channel has a key spec flagged not_key: a command without keys.
        has_keys = any("not_key" not in spec.get("flags", []) for spec in specs)
        entries[name] = (docs, flags, has_keys)
    if len(entries) != text.count("CommandCatalogEntry(docs:") or not entries:
        raise GeneratorError("read %d catalog entries of %d" % (len(entries), text.count("CommandCatalogEntry(docs:")))
    return entries


# --- the argument tree --------------------------------------------------------------------

class Arg:
    """One COMMAND DOCS argument."""

    def __init__(self, name, type, token=None, optional=False, multiple=False, multiple_token=False,
                 children=(), deprecated_since=None):
        self.name = name
        self.type = type
        self.token = token
        self.optional = optional
        self.multiple = multiple
        self.multiple_token = multiple_token
        self.children = list(children)
        self.deprecated_since = deprecated_since

    @classmethod
    def from_docs(cls, command, doc):
        flags = set(doc.get("flags", []))
        unknown = flags - {"optional", "multiple", "multiple_token"}
        if unknown:
            raise GeneratorError("%s: unknown argument flags %s" % (command, sorted(unknown)))
        kind = doc["type"]
        if (command, doc["name"]) in ARGUMENT_TYPES:
            kind = ARGUMENT_TYPES[(command, doc["name"])]
            USED_ARGUMENT_TYPES.add((command, doc["name"]))
        if kind not in LEAF_TYPES | {"pure-token", "oneof", "block"}:
            raise GeneratorError("%s: unknown argument type %r" % (command, kind))
        return cls(doc["name"], kind, doc.get("token"), "optional" in flags, "multiple" in flags,
                   "multiple_token" in flags, [cls.from_docs(command, c) for c in doc.get("arguments", [])],
                   doc.get("deprecated_since"))


def normalize(arg):
    """Folds a block of one argument into that argument (with the block's token and flags)."""
    arg.children = [normalize(child) for child in arg.children]
    if arg.type != "block" or len(arg.children) != 1:
        return arg
    child = arg.children[0]
    if (child.type in ("block", "pure-token") or (arg.token and child.token)
            or (arg.multiple and child.multiple)):
        return arg
    return Arg(arg.name, child.type, arg.token or child.token, arg.optional or child.optional,
               arg.multiple or child.multiple,
               arg.multiple_token or child.multiple_token or bool(arg.multiple and child.token),
               child.children, child.deprecated_since)


def syntax(arg, top=True):
    """The argument as the Redis documentation writes it: `[EX seconds | PX milliseconds]`."""
    if arg.type == "pure-token":
        value = arg.token if arg.token else '""'
    elif arg.type == "oneof":
        value = " | ".join(syntax(child, False) for child in arg.children)
        if len(arg.children) > 1 and (not arg.optional or arg.token or arg.multiple):
            value = "<%s>" % value
    elif arg.type == "block":
        value = " ".join(syntax(child, False) for child in arg.children)
    else:
        value = arg.name
    if arg.type != "pure-token" and arg.token is not None:
        token = arg.token if arg.token else '""'
        if arg.multiple and arg.multiple_token:
            value = "%s %s [%s %s ...]" % (token, value, token, value)
        elif arg.multiple:
            value = "%s %s [%s ...]" % (token, value, value)
        else:
            value = "%s %s" % (token, value)
    elif arg.multiple:
        value = "%s [%s ...]" % (value, value)
    if arg.optional:
        value = "[%s]" % value
    return value


# --- Swift names --------------------------------------------------------------------------

def words_of(name):
    words = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if part:
            words.extend(WORDS.get(part.lower(), [part.lower()]))
    if not words:
        raise GeneratorError("no Swift name can be made of %r" % name)
    return words


def lower_camel(name):
    words = words_of(name)
    return words[0] + "".join(ACRONYMS.get(word, word[:1].upper() + word[1:]) for word in words[1:])


def upper_camel(name):
    return "".join(ACRONYMS.get(word, word[:1].upper() + word[1:]) for word in words_of(name))


def base_name(arg):
    """The Swift name of an argument before clashes are resolved (lowerCamel), and whether it is its token's.

    Named after its token when the docs' name only lists the parts (`wrap_sat_fail` OVERFLOW,
    `offset_count` LIMIT, `username_password` AUTH) or is not made of words (`yes/no` SKIPME)."""
    token = arg.token or ""
    if re.match(r"^[A-Za-z][A-Za-z0-9]*$", token):
        parts = arg.name.split("_")
        listing = len(parts) > 1 and set(parts) <= {child.name for child in arg.children}
        if listing or re.search(r"[/:]", arg.name):
            return lower_camel(token), True
    return lower_camel(arg.name), False


def capitalized(name):
    """A lowerCamel name as UpperCamel (idOrAuto IDOrAuto)."""
    for word, acronym in ACRONYMS.items():
        if name == word or (name.startswith(word) and name[len(word)].isupper()):
            return acronym + name[len(word):]
    return name[:1].upper() + name[1:]


def plural(name):
    if name in PLURALS:
        return PLURALS[name]
    if name.endswith("ID"):
        return name + "s"
    if name.endswith("s"):
        return name
    if name.endswith(("x", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def ident(name):
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise GeneratorError("not a Swift identifier: %r" % name)
    return "`%s`" % name if name in SWIFT_KEYWORDS else name


def swift_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def command_words(full_name):
    return [part.upper() for part in full_name.split("|")]


def method_name(full_name):
    parts = [p for p in re.split(r"[|_\-]+", full_name) if p]
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def type_prefix(full_name):
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[|_\-]+", full_name) if p)


# --- the plan of one argument list ----------------------------------------------------------

class Field:
    """A value the caller supplies: a parameter, a stored property or an enum payload."""

    def __init__(self, arg, label, value_type, generic, optional, multiple):
        self.arg = arg
        self.label = label
        self.value_type = value_type  # the type of one value, stored form ("{Q}" = qualifier)
        self.generic = generic        # a `some` parameter when required and single
        self.optional = optional
        self.multiple = multiple
        self.tuple_fields = None      # [(label, Arg)] when it is an array of tuples
        self.flag_steps = None        # the words of an optional block without values (a Bool)

    @property
    def is_flag(self):
        return self.arg.type == "pure-token" or self.flag_steps is not None

    def swift_type(self, parameter, qualifier=""):
        value = self.value_type.replace("{Q}", qualifier)
        if self.multiple:
            return "[%s]" % value
        if self.is_flag:
            return "Bool"
        if self.optional:
            return "(%s)?" % value if value.startswith("any ") else value + "?"
        if parameter and self.generic:
            return "some RESPArgumentEncodable"
        return value

    def default(self):
        if self.multiple:
            return "[]" if self.optional else None
        if self.is_flag:
            return "false"
        return "nil" if self.optional else None


class Scope:
    """Where generated types go: the top level (named <Command><Argument>) or inside a type."""

    def __init__(self, prefix, command):
        self.prefix = prefix
        self.command = command
        self.types = []   # EnumDecl and StructDecl, in order of first use
        self.names = {}   # name -> signature

    def add(self, decl, context):
        own = capitalized(base_name(decl.arg)[0])
        base = self.prefix + own
        candidates = [base]
        if context:
            candidates.append(self.prefix + upper_camel(context) + own)
        if base in RESERVED_TYPE_NAMES:  # a nested `Type`: named as a top-level one would be
            candidates.append(type_prefix(self.command) + own)
        candidates += ["%s%d" % (base, n) for n in range(2, 10)]
        signature = decl.render("\u00a7", "")
        for name in candidates:
            if name in RESERVED_TYPE_NAMES:
                continue
            if name not in self.names:
                self.names[name] = signature
                decl.name = name
                self.types.append(decl)
                return name
            if self.names[name] == signature:
                return name  # the same type again: share it
        raise GeneratorError("%s: no free type name for %s" % (self.command, base))


class ListPlan:
    """An argument list made Swift: the fields, and the steps that write the words."""

    def __init__(self, command, args, scope, context=None):
        self.command = command
        self.scope = scope
        self.fields = []
        self.steps = []   # ("token", text) | ("field", Field) | ("count", Field)
        items = []
        self._flatten(args, items)
        # numkeys: an integer counting the keys that follow it is written from them.
        counted = {}
        for index, item in enumerate(items):
            if (item[0] == "arg" and item[1].name == "numkeys" and item[1].type == "integer"
                    and not item[1].optional and not item[1].multiple and index + 1 < len(items)
                    and items[index + 1][0] == "arg" and items[index + 1][1].type == "key"
                    and items[index + 1][1].multiple):
                counted[index] = index + 1
        fields_by_index = {}
        for index, item in enumerate(items):
            if item[0] == "arg" and index not in counted and not (item[1].type == "pure-token"
                                                                   and not item[1].optional):
                fields_by_index[index] = self._field(item[1], context)
        self._name(fields_by_index)
        for index, item in enumerate(items):
            if item[0] == "token":
                self.steps.append(("token", item[1]))
            elif index in counted:
                self.steps.append(("count", fields_by_index[counted[index]]))
            elif index in fields_by_index:
                self.fields.append(fields_by_index[index])
                self.steps.append(("field", fields_by_index[index]))
            else:  # a required pure token
                self.steps.append(("token", item[1].token))

    def _flatten(self, args, items):
        for arg in args:
            if arg.type == "block" and not arg.optional and not arg.multiple:
                if arg.token is not None:
                    items.append(("token", arg.token))
                self._flatten(arg.children, items)
            else:
                items.append(("arg", arg))

    def _field(self, arg, context):
        if arg.type in ("key", "string", "pattern"):
            field = Field(arg, None, "any RESPArgumentEncodable", True, arg.optional, arg.multiple)
        elif arg.type in ("integer", "unix-time"):
            field = Field(arg, None, "Int", False, arg.optional, arg.multiple)
        elif arg.type == "double":
            field = Field(arg, None, "Double", False, arg.optional, arg.multiple)
        elif arg.type == "pure-token":
            field = Field(arg, None, "Bool", False, True, False)
        elif arg.type == "oneof":
            name = self.scope.add(EnumDecl(self.command, arg), context)
            field = Field(arg, None, "{Q}" + name, False, arg.optional, arg.multiple)
        elif arg.type == "block" and arg.multiple and self._plain_tuple(arg):
            parts = []
            for child in arg.children:
                label = ident(lower_camel(child.name))
                parts.append("%s: %s" % (label, leaf_type(child)))
            field = Field(arg, None, "(%s)" % ", ".join(parts), False, arg.optional, True)
            field.tuple_fields = [(lower_camel(child.name), child) for child in arg.children]
            if len({label for label, _ in field.tuple_fields}) != len(field.tuple_fields):
                raise GeneratorError("%s: repeated tuple labels in %s" % (self.command, arg.name))
        elif arg.type == "block":
            probe = ListPlan(self.command, arg.children, Scope("", self.command))
            if not probe.fields and not arg.multiple:
                field = Field(arg, None, "Bool", False, True, False)
                field.flag_steps = probe.steps
            else:
                name = self.scope.add(StructDecl(self.command, arg), context)
                field = Field(arg, None, "{Q}" + name, False, arg.optional, arg.multiple)
        else:
            raise GeneratorError("%s: cannot map %s" % (self.command, arg.type))
        return field

    @staticmethod
    def _plain_tuple(arg):
        return 2 <= len(arg.children) <= 3 and all(
            child.type in LEAF_TYPES and child.token is None and not child.optional and not child.multiple
            for child in arg.children)

    def _name(self, fields_by_index):
        """Labels: lowerCamel of the names, plural when repeated; clashes resolved by tokens, then numbers."""
        order = sorted(fields_by_index)
        base = {i: base_name(fields_by_index[i].arg) for i in order}
        counts = {}
        for i in order:
            counts[base[i][0]] = counts.get(base[i][0], 0) + 1
        labels = {}
        for i in order:
            field = fields_by_index[i]
            token = field.arg.token
            name, from_token = base[i]
            if counts[name] > 1 and token and re.match(r"^[A-Za-z][A-Za-z0-9-]*$", token):
                labels[i] = lower_camel(token)
            else:
                labels[i] = plural(name) if field.multiple and not from_token else name
        taken = set()
        for i in order:
            label = labels[i]
            if label in taken or label == COMMAND_VARIABLE:
                number = 2
                while "%s%d" % (label, number) in taken:
                    number += 1
                label = "%s%d" % (label, number)
            taken.add(label)
            fields_by_index[i].label = label


def leaf_type(arg):
    return {"key": "any RESPArgumentEncodable", "string": "any RESPArgumentEncodable",
            "pattern": "any RESPArgumentEncodable", "integer": "Int", "unix-time": "Int",
            "double": "Double"}[arg.type]


def write_value(arg, expression):
    """The statement that appends one value of a leaf, enum or struct argument."""
    if arg.type == "key":
        return "%s.appendKey(%s)" % (COMMAND_VARIABLE, expression)
    if arg.type in ("integer", "unix-time"):
        return "%s.appendInteger(%s)" % (COMMAND_VARIABLE, expression)
    return "%s.append(%s)" % (COMMAND_VARIABLE, expression)


def write_token(token):
    return "%s.append(%s)" % (COMMAND_VARIABLE, swift_string(token))


def emit_steps(steps, labels_in_use):
    """Swift statements (lines without indentation, "{"/"}" for blocks) writing `steps`."""
    loop = "item"
    while loop in labels_in_use:
        loop += "_"
    lines = []
    for step in steps:
        kind, value = step
        if kind == "token":
            lines.append(write_token(value))
        elif kind == "count":
            lines.append("%s.appendInteger(%s.count)" % (COMMAND_VARIABLE, ident(value.label)))
        else:
            lines.extend(emit_field(value, ident(value.label), loop))
    return lines


def emit_field(field, ref, loop):
    arg = field.arg
    token = write_token(arg.token) if arg.token is not None and arg.type != "pure-token" else None
    if arg.type == "pure-token":
        return ["if %s {" % ref, write_token(arg.token), "}"]
    if field.flag_steps is not None:
        inner = ([token] if token else []) + emit_steps(field.flag_steps, set())
        return ["if %s {" % ref] + inner + ["}"]
    if field.tuple_fields is not None:
        values = [write_value(child, "%s.%s" % (loop, ident(label))) for label, child in field.tuple_fields]
    else:
        values = [write_value(arg, loop)]
    if field.multiple:
        if arg.multiple_token and token:
            return ["for %s in %s {" % (loop, ref), token] + values + ["}"]
        lines = []
        if token and field.optional:
            lines += ["if !%s.isEmpty {" % ref, token, "}"]
        elif token:
            lines.append(token)
        return lines + ["for %s in %s {" % (loop, ref)] + values + ["}"]
    if field.optional:
        return ["if let %s {" % ref] + ([token] if token else []) + [write_value(arg, ref)] + ["}"]
    return ([token] if token else []) + [write_value(arg, ref)]


def indent_lines(lines, level):
    """Indents statement lines, following their braces."""
    out = []
    depth = level
    for line in lines:
        if line == "}":
            depth -= 1
        out.append("    " * depth + line)
        if line.endswith("{"):
            depth += 1
    return out


def doc_lines(text, indent):
    width = LINE_WIDTH - len(indent) - 4
    out = []
    for paragraph in text.split("\n\n"):
        if out:
            out.append(indent + "///")
        for line in textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False):
            out.append(indent + "/// " + line)
    return out


def sentence(text):
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def signature(head, parameters, tail, indent):
    """`head(params) tail`, one parameter a line when it does not fit on one."""
    one = "%s%s(%s)%s" % (indent, head, ", ".join(parameters), tail)
    if len(one) <= LINE_WIDTH or not parameters:
        return [one]
    return ["%s%s(" % (indent, head)] + ["%s    %s," % (indent, p) for p in parameters[:-1]] + \
           ["%s    %s" % (indent, parameters[-1]), "%s)%s" % (indent, tail)]


def argument_label(name):
    """A name in a parameter list or a payload: keywords other than inout, var and let need no backticks there."""
    return ident(name) if name in ("inout", "var", "let") else ident(name).strip("`")


def parameter_list(fields, qualifier, first_unlabelled):
    out = []
    for index, field in enumerate(fields):
        name = argument_label(field.label)
        label = "_ %s" % name if index == 0 and first_unlabelled else name
        text = "%s: %s" % (label, field.swift_type(True, qualifier))
        default = field.default()
        if default is not None:
            text += " = " + default
        out.append(text)
    return out


# --- generated types ----------------------------------------------------------------------

class EnumDecl:
    """A oneof: one case per alternative."""

    def __init__(self, command, arg):
        self.command = command
        self.arg = arg
        self.name = None
        self.scope = Scope("", command)
        self.cases = []  # (name, payload fields or None for a single unlabelled value, steps, doc)
        names = {}
        for alternative in arg.children:
            base = base_name(alternative)[0]
            names[base] = names.get(base, 0) + 1
        taken = set()
        for alternative in arg.children:
            base = base_name(alternative)[0]
            if names[base] > 1 and alternative.token and re.match(r"^[A-Za-z][A-Za-z0-9-]*$", alternative.token):
                base = lower_camel(alternative.token)
            if base in ("none", "some"):
                base += "Value"  # .none and .some would read as Optional's
            name = base
            number = 2
            while name in taken:
                name = "%s%d" % (base, number)
                number += 1
            taken.add(name)
            self.cases.append((name,) + self._case(alternative) + (syntax(self._required(alternative), False),))

    @staticmethod
    def _required(alternative):
        copy = Arg(alternative.name, alternative.type, alternative.token, False, alternative.multiple,
                   alternative.multiple_token, alternative.children, alternative.deprecated_since)
        return copy

    def _case(self, alternative):
        alternative = self._required(alternative)
        if alternative.type == "pure-token":
            return [], [("token", alternative.token)], None
        if alternative.type == "block":
            if alternative.multiple:
                raise GeneratorError("%s: a repeated block as an alternative" % self.command)
            plan = ListPlan(self.command, alternative.children, self.scope, alternative.name)
            steps = ([("token", alternative.token)] if alternative.token is not None else []) + plan.steps
            return plan.fields, steps, None
        plan = ListPlan(self.command, [alternative], self.scope, None)
        field = plan.fields[0]
        field.label = "value"
        return None, plan.steps, field

    def render(self, name, indent):
        inner = indent + "    "
        lines = doc_lines("%s's `%s` argument: `%s`." % (
            " ".join(command_words(self.command)), self.arg.name, syntax(self._required(self.arg), False)), indent)
        lines.append("%spublic enum %s: RESPArgumentEncodable {" % (indent, name))
        for case_name, fields, steps, single, doc in self.cases:
            lines.extend(doc_lines("`%s`%s" % (doc, deprecation_note(single.arg if single else None)), inner))
            if single is not None:
                lines.append("%scase %s(%s)" % (inner, ident(case_name), single.swift_type(False)))
            elif fields:
                payload = []
                for field in fields:
                    text = "%s: %s" % (argument_label(field.label), field.swift_type(False))
                    if field.default() is not None:
                        text += " = " + field.default()
                    payload.append(text)
                lines.append("%scase %s(%s)" % (inner, ident(case_name), ", ".join(payload)))
            else:
                lines.append("%scase %s" % (inner, ident(case_name)))
        lines.append("")
        lines.append("%spublic func encodeArgument(into %s: inout RedisCommand) {" % (inner, COMMAND_VARIABLE))
        lines.append("%s    switch self {" % inner)
        for case_name, fields, steps, single, doc in self.cases:
            if single is not None:
                pattern = ".%s(let value)" % ident(case_name)
                body = emit_steps(steps, {"value"})
            elif fields:
                pattern = ".%s(%s)" % (ident(case_name), ", ".join("let %s" % ident(f.label) for f in fields))
                body = emit_steps(steps, {f.label for f in fields})
            else:
                pattern = ".%s" % ident(case_name)
                body = emit_steps(steps, set())
            if len(body) == 1:
                lines.append("%s    case %s: %s" % (inner, pattern, body[0]))
            else:
                lines.append("%s    case %s:" % (inner, pattern))
                lines.extend(indent_lines(body, len(inner) // 4 + 2))
        lines.append("%s    }" % inner)
        lines.append("%s}" % inner)
        for decl in self.scope.types:
            lines.append("")
            lines.extend(decl.render(decl.name, inner))
        lines.append("%s}" % indent)
        return lines


class StructDecl:
    """A block that is optional or repeated: its fields as stored properties."""

    def __init__(self, command, arg):
        self.command = command
        self.arg = arg
        self.name = None
        self.scope = Scope("", command)
        self.plan = ListPlan(command, arg.children, self.scope)

    def render(self, name, indent):
        inner = indent + "    "
        shown = Arg(self.arg.name, "block", self.arg.token, False, False, False, self.arg.children)
        lines = doc_lines("%s's `%s` argument: `%s`." % (
            " ".join(command_words(self.command)), self.arg.name, syntax(shown, False)), indent)
        lines.append("%spublic struct %s: RESPArgumentEncodable {" % (indent, name))
        for field in self.plan.fields:
            lines.extend(doc_lines("`%s`%s" % (syntax(field.arg, False), deprecation_note(field.arg)), inner))
            lines.append("%spublic var %s: %s" % (inner, ident(field.label), field.swift_type(False)))
        lines.append("")
        lines.append("%s/// The argument made of these fields." % inner)
        lines.extend(signature("public init", parameter_list(self.plan.fields, "", False), " {", inner))
        for field in self.plan.fields:
            lines.append("%s    self.%s = %s" % (inner, ident(field.label), ident(field.label)))
        lines.append("%s}" % inner)
        lines.append("")
        lines.append("%spublic func encodeArgument(into %s: inout RedisCommand) {" % (inner, COMMAND_VARIABLE))
        lines.extend(indent_lines(emit_steps(self.plan.steps, {f.label for f in self.plan.fields}),
                                  len(inner) // 4 + 1))
        lines.append("%s}" % inner)
        for decl in self.scope.types:
            lines.append("")
            lines.extend(decl.render(decl.name, inner))
        lines.append("%s}" % indent)
        return lines


def deprecation_note(arg):
    if arg is not None and arg.deprecated_since:
        return " (deprecated since Redis %s)" % arg.deprecated_since
    return ""


# --- one command --------------------------------------------------------------------------

class Command:
    def __init__(self, full_name, docs, key_flags, has_keys):
        self.full_name = full_name
        self.docs = docs
        self.group = docs["group"]
        self.method = METHOD_RENAMES.get(full_name, method_name(full_name))
        self.builder = method_name(full_name)
        self.args = [normalize(Arg.from_docs(full_name, doc)) for doc in docs.get("arguments", [])]
        self.scope = Scope(type_prefix(full_name), full_name)
        self.plan = ListPlan(full_name, self.args, self.scope)
        self.return_type = RETURN_TYPES.get(full_name, "RESPValue")
        self.typed = full_name not in BUILDER_ONLY
        if self.return_type == "RedisOK" or key_flags & {"RW", "OW", "RM"}:
            self.discardable = True
        else:
            self.discardable = not has_keys and not full_name.endswith("|help") and full_name not in KEYLESS_QUERIES
        for field in self.plan.fields:
            if field.label == COMMAND_VARIABLE:
                raise GeneratorError("%s: a parameter is named %s" % (full_name, COMMAND_VARIABLE))

    def syntax(self):
        return " ".join(command_words(self.full_name) + [syntax(arg) for arg in self.args])

    def doc(self, typed):
        docs = self.docs
        text = [sentence(docs["summary"]), "`%s`" % self.syntax()]
        about = "Since Redis %s." % docs["since"]
        if docs.get("complexity"):
            about += " Complexity: %s" % sentence(docs["complexity"])
        text.append(about)
        if docs.get("deprecated_since"):
            text.append("Deprecated since Redis %s%s." % (
                docs["deprecated_since"],
                ": replaced by %s" % self.replaced_by() if docs.get("replaced_by") else ""))
        if typed and self.full_name in RETURN_NOTES:
            text.append(RETURN_NOTES[self.full_name])
        if not typed and self.full_name in BUILDER_ONLY:
            text.append("No typed method: %s." % BUILDER_ONLY[self.full_name])
        return "\n\n".join(text)

    def replaced_by(self):
        return self.docs["replaced_by"].replace("`!", "`")

    def deprecation(self, indent):
        if not self.docs.get("deprecated_since"):
            return []
        message = "%s is deprecated since Redis %s" % (" ".join(command_words(self.full_name)),
                                                       self.docs["deprecated_since"])
        if self.docs.get("replaced_by"):
            message += ": use %s" % self.replaced_by()
        return ['%s@available(*, deprecated, message: %s)' % (indent, swift_string(message))]

    def render(self):
        lines = ["// MARK: - %s" % " ".join(command_words(self.full_name)), "", "extension RedisCommand {"]
        for decl in self.scope.types:
            lines.extend(decl.render(decl.name, "    "))
            lines.append("")
        lines.extend(doc_lines(self.doc(False), "    "))
        lines.extend(self.deprecation("    "))
        first_unlabelled = bool(self.plan.fields) and self.plan.fields[0].default() is None
        parameters = parameter_list(self.plan.fields, "", first_unlabelled)
        lines.extend(signature("public static func %s" % ident(self.builder), parameters, " -> RedisCommand {", "    "))
        words = command_words(self.full_name)
        if len(words) == 1 and not self.plan.steps:
            lines.append("        RedisCommand(%s)" % swift_string(words[0]))
        else:
            lines.append("        var %s = RedisCommand(%s)" % (COMMAND_VARIABLE, swift_string(words[0])))
            for word in words[1:]:
                lines.append("        %s" % write_token(word))
            lines.extend(indent_lines(emit_steps(self.plan.steps, {f.label for f in self.plan.fields}), 2))
            lines.append("        return %s" % COMMAND_VARIABLE)
        lines.append("    }")
        lines.append("}")
        if self.typed:
            lines += ["", "extension RedisCommandExecutor {"]
            lines.extend(doc_lines(self.doc(True), "    "))
            lines.extend(self.deprecation("    "))
            if self.discardable:
                lines.append("    @discardableResult")
            parameters = parameter_list(self.plan.fields, "RedisCommand.", first_unlabelled)
            lines.extend(signature("public func %s" % ident(self.method), parameters,
                                   " async throws -> %s {" % self.return_type, "    "))
            arguments = []
            for index, field in enumerate(self.plan.fields):
                name = ident(field.label)
                labelled = "%s: %s" % (argument_label(field.label), name)
                arguments.append(name if index == 0 and first_unlabelled else labelled)
            call = "RedisCommand.%s(%s)" % (ident(self.builder), ", ".join(arguments))
            decode = "" if self.return_type == "RESPValue" else ".decoded(as: %s.self)" % self.return_type
            one = "        try await execute(%s)%s" % (call, decode)
            if len(one) <= LINE_WIDTH:
                lines.append(one)
            else:
                lines.append("        try await execute(")
                lines.extend(wrap_call("RedisCommand.%s" % ident(self.builder), arguments, "            "))
                lines.append("        )%s" % decode)
            lines.append("    }")
            lines.append("}")
        return lines


def wrap_call(head, arguments, indent):
    """A call with its arguments filled onto lines of at most LINE_WIDTH."""
    lines = ["%s%s(" % (indent, head)]
    current = indent + "    "
    for index, argument in enumerate(arguments):
        piece = argument + ("," if index < len(arguments) - 1 else "")
        if current.strip() and len(current) + 1 + len(piece) > LINE_WIDTH:
            lines.append(current)
            current = indent + "    " + piece
        else:
            current = current + (" " if current.strip() else "") + piece
    lines.append(current)
    lines.append(indent + ")")
    return lines


# --- the files ----------------------------------------------------------------------------

def commands_of(entries):
    containers = {name.split("|")[0] for name in entries if "|" in name}
    commands = []
    for name in sorted(entries):
        if name in containers:
            continue  # a container: its subcommands get the methods
        docs, key_flags, has_keys = entries[name]
        commands.append(Command(name, docs, key_flags, has_keys))
    return commands


EXECUTORS = ("RedisCommandExecutor", "RedstartClient", "RedstartConnection")


def reserved_method_names():
    """The members that RedisCommandExecutor and the types conforming to it declare in
    Sources/RedstartClient outside Generated/ (their own bodies and extensions): typed
    methods must not take these names."""
    names = set()
    declaration = re.compile(r"\b(?:class|struct|actor|protocol|extension)\s+(%s)\b[^{]*\{" % "|".join(EXECUTORS))
    for directory, subdirectories, files in os.walk(CLIENT_SOURCES):
        subdirectories[:] = sorted(d for d in subdirectories if d != "Generated")
        for file in sorted(files):
            if not file.endswith(".swift"):
                continue
            with open(os.path.join(directory, file), encoding="utf-8") as handle:
                # Comments and string literals out, so that only code braces count.
                code = re.sub(r'//[^\n]*|"(?:[^"\\\n]|\\.)*"', "", handle.read())
            for match in declaration.finditer(code):
                depth, index, body = 1, match.end(), []
                while depth and index < len(code):
                    ch = code[index]
                    depth += {"{": 1, "}": -1}.get(ch, 0)
                    body.append(ch if depth == 1 else " ")
                    index += 1
                names.update(re.findall(r"\b(?:func|var|let)\s+`?(\w+)", "".join(body)))
    return names


def render_files(commands):
    reserved = reserved_method_names()
    methods = {}
    builders = {}
    for command in commands:
        if command.typed:
            if command.method in reserved:
                raise GeneratorError("the typed method %s (%s) clashes with a method of the client: add it to "
                                     "METHOD_RENAMES or BUILDER_ONLY" % (command.method, command.full_name))
            if command.method in methods:
                raise GeneratorError("%s and %s are both %s" % (methods[command.method], command.full_name,
                                                                command.method))
            methods[command.method] = command.full_name
        if command.builder in builders:
            raise GeneratorError("%s and %s both build %s" % (builders[command.builder], command.full_name,
                                                              command.builder))
        builders[command.builder] = command.full_name
        for name in command.scope.names:
            for other in commands:
                if other is not command and name in other.scope.names:
                    raise GeneratorError("%s and %s both declare RedisCommand.%s" % (
                        command.full_name, other.full_name, name))
    for table_name, table in [("RETURN_TYPES", RETURN_TYPES), ("RETURN_NOTES", RETURN_NOTES),
                              ("BUILDER_ONLY", BUILDER_ONLY), ("METHOD_RENAMES", METHOD_RENAMES),
                              ("KEYLESS_QUERIES", KEYLESS_QUERIES), ("ARGUMENT_TYPES", ARGUMENT_TYPES)]:
        for entry in table:
            name = entry[0] if isinstance(entry, tuple) else entry
            if name not in builders.values():
                raise GeneratorError("%s names %r, which is not a command" % (table_name, name))
    unused = set(ARGUMENT_TYPES) - USED_ARGUMENT_TYPES
    if unused:
        raise GeneratorError("ARGUMENT_TYPES entries match no argument: %s" % sorted(unused))
    groups = {}
    for command in commands:
        groups.setdefault(command.group, []).append(command)
    files = {}
    for group in sorted(groups):
        if group not in GROUP_FILES:
            raise GeneratorError("no file name for the group %r: add it to GROUP_FILES" % group)
        members = groups[group]
        typed = sum(1 for c in members if c.typed)
        lines = [
            "// Generated by Scripts/generate-client-commands.py from the COMMAND DOCS of Redis 7.0.15",
            "// (Sources/RedstartEngine/Commands/Generated/GeneratedCommandCatalog.swift). Do not edit:",
            "// change the script's tables and run Scripts/generate-client-commands.sh.",
            "// The %s group: %d commands, a RedisCommand builder for each and %d typed methods." % (
                group, len(members), typed),
            "import RedstartRESP",
        ]
        for command in members:
            lines.append("")
            lines.extend(command.render())
        text = "\n".join(line.rstrip() for line in lines) + "\n"
        files["Commands+%s.swift" % GROUP_FILES[group]] = text
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the files on disk differ from what would be written")
    parser.add_argument("--catalog", default=CATALOG)
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()
    try:
        commands = commands_of(read_catalog(args.catalog))
        files = render_files(commands)
    except GeneratorError as error:
        sys.exit("generate-client-commands: %s" % error)
    existing = sorted(f for f in os.listdir(args.output) if re.match(r"^Commands\+.*\.swift$", f)) \
        if os.path.isdir(args.output) else []
    if args.check:
        stale = False
        for name in sorted(set(existing) | set(files)):
            path = os.path.join(args.output, name)
            current = open(path, encoding="utf-8").read() if name in existing else ""
            wanted = files.get(name, "")
            if current != wanted:
                stale = True
                diff = list(difflib.unified_diff(current.splitlines(), wanted.splitlines(),
                                                 "on disk/" + name, "generated/" + name, lineterm="", n=1))
                print("\n".join(diff[:40]))
        if stale:
            print("the generated client commands are stale: run Scripts/generate-client-commands.sh",
                  file=sys.stderr)
            return 1
        return 0
    os.makedirs(args.output, exist_ok=True)
    for name in existing:
        if name not in files:
            os.remove(os.path.join(args.output, name))
    for name, text in files.items():
        with open(os.path.join(args.output, name), "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
    typed = sum(1 for c in commands if c.typed)
    types = sum(len(c.scope.types) for c in commands)
    print("wrote %d files: %d builders, %d typed methods, %d option types" % (
        len(files), len(commands), typed, types))
    return 0


if __name__ == "__main__":
    sys.exit(main())
