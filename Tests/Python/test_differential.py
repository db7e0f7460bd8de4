"""Randomized differential test: the same random command sequence goes to Redstart and
to a real redis-server, and every reply must be identical (type, bytes, error text, nil
versus empty).

Each seed generates a few thousand commands of the string, key, expire and database
families (and the bit family once Redstart has it), over a small pool of keys and values
so that commands collide. Replies are read with a small raw RESP reader, so nothing is
lost to client-side decoding.

What is kept deterministic:
- No RANDOMKEY, TIME, OBJECT FREQ/IDLETIME or anything clock-dependent in its output.
- Expiry times are either clearly in the past, invalid, or at least 100 s in the future.
  Relative times come from a few classes (REL_SECONDS) and absolute ones from a few fixed
  instants (ABS_OFFSETS) so far apart that no GT/LT comparison can change with the
  test's duration; before EXPIRE/PEXPIRE with GT/LT the test sleeps 2 ms so two relative
  times of the same class are never set within the same millisecond.
- TTL/PTTL/EXPIRETIME/PEXPIRETIME are compared with a tolerance of 2 s when positive.
- KEYS is compared as a sorted list; a SCAN from cursor 0 (or a text Redis reads as 0) is
  followed to cursor 0 on both servers and the sets of keys are compared; a SCAN from any
  other cursor only has to succeed or fail alike (its keys depend on the table's layout).
- Redis leaves a key SET with an EXAT/PXAT in the past in its table until the active
  expiry cycle or an access removes it, so DBSIZE and SCAN ... TYPE none could race; an
  EXISTS of every pool key (which removes such keys on both servers) is sent before them.
- The bit family (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD) is generated only if
  Redstart's COMMAND INFO knows SETBIT.
- Transactions (once Redstart knows MULTI): WATCH of some keys, maybe a change by a second
  client on each server, MULTI, commands whose replies do not depend on timing (including
  queueing errors and misplaced MULTI/WATCH), then EXEC or DISCARD.

On the first mismatch the test fails with the command's index, both replies and the last
commands. With REDSTART_DIFF_COLLECT=1 it instead records every mismatch, resets both
servers (FLUSHALL, SELECT 0) after each one, and reports them all grouped by command at
the end (useful to see every difference at once). REDSTART_DIFF_COMMANDS overrides the
number of commands per seed.
"""
import collections
import os
import random
import time

import pytest

from raw_resp import RawConnection

SEEDS = [1, 2, 3]
COMMANDS_PER_SEED = int(os.environ.get("REDSTART_DIFF_COMMANDS", "3000"))
COLLECT = os.environ.get("REDSTART_DIFF_COLLECT") == "1"
HISTORY = int(os.environ.get("REDSTART_DIFF_HISTORY", "10"))
LOG = 500  # earlier commands on the mismatching command's keys are looked up in this many

# ---------------------------------------------------------------------------------------
# Raw RESP2/RESP3 client: replies as (type byte, payload) tuples, compared exactly.


class RespClient(RawConnection):
    """Parses one reply at a time into (type, value) pairs."""

    def __init__(self, port):
        super().__init__(port)
        self.pos = 0

    def _fill(self):
        if self.pos > 65536:
            del self.buf[:self.pos]
            self.pos = 0
        super()._fill()

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n + 2
        return data

    def read(self):
        line = self._line()
        t, rest = chr(line[0]), line[1:]
        if t in "+-,(":
            return (t, rest)
        if t == ":":
            return (t, int(rest))
        if t == "_":
            return ("_", None)
        if t == "#":
            return ("#", rest == b"t")
        if t in "$=!":
            n = int(rest)
            return (t, None if n < 0 else self._exact(n))
        if t in "*~>":
            n = int(rest)
            return (t, None if n < 0 else [self.read() for _ in range(n)])
        if t in "%|":
            n = int(rest)
            return (t, [(self.read(), self.read()) for _ in range(n)])
        raise ValueError("bad RESP type byte in %r" % line)



def show(reply, limit=300):
    text = repr(reply)
    return text if len(text) <= limit else text[:limit] + "...(%d chars)" % len(text)


def show_cmd(args, limit=200):
    text = " ".join(repr(a)[2:-1] if a and all(32 < c < 127 and c not in b"'\"\\" for c in a)
                    else repr(a) for a in args)
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------------------------------
# Pools

KEYS = [b"k%d" % i for i in range(16)] + [b"", b"{tag}a", b"\xffbin\x00key", b"key with space"]

LONG = bytes(random.Random(7).choice(b"abcde") for _ in range(300))
ZMEMBERS = [b"a", b"b", b"m1", b"m2", b"m3", b"z", b"", b"1"]
ZSCORES = [b"0", b"1", b"-1", b"1.5", b"2", b"3", b"0.1", b"-inf", b"+inf", b"1e3", b"100", b"-0"]
FIELDS = [b"f1", b"f2", b"f3", b"f4", b"", b"\xff\x00f", b"1"]
VALUES = [
    b"0", b"1", b"-1", b"7", b"42", b"-100", b"9999", b"10000", b"123456789",
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
    b"3.5", b"-2.25", b"0.1", b"1e3", b"0.0625", b"inf", b"nan",
    b"", b" 5", b"05", b"+5", b"-0", b"abc", b"hello world", b"abcbdab", b"bdcaba",
    b"\x00\xff\x01binary\r\n", b"x" * 44, b"y" * 45, LONG, b"12345678901234567890",
]
INT_ARGS = [b"1", b"-1", b"0", b"5", b"-7", b"100", b"10000", b"9223372036854775807",
            b"-9223372036854775808", b"9223372036854775808", b"abc", b"1.5", b"", b" 1", b"1\x00"]
# Increments exactly representable in binary, so the sum's formatting is well defined.
FLOAT_ARGS = [b"0.5", b"-1.25", b"2.75", b"3", b"-0.125", b"100", b"1e2", b"5.0e-1", b"-3",
              b"abc", b"inf", b"-inf", b"nan", b"", b"1.5.5", b" 1", b"1\x00", b"0.5\x002"]
INDEXES = [b"0", b"1", b"2", b"3", b"10", b"100", b"-1", b"-2", b"-10", b"-100",
           b"9223372036854775807", b"-9223372036854775808", b"x"]
PATTERNS = [b"*", b"k*", b"k?", b"k1*", b"k[0-5]", b"k[^1]*", b"*a*", b"\\*", b"",
            b"*\\\x00*", b"{tag}*", b"*e*", b"k[", b"key*space", b"?", b"[a-z]*", b"*bin*"]
# Cursors that Redis (strtoul) reads as 0: their SCANs are followed to the end and compared.
ZERO_CURSORS = (b"0", b"", b"+0", b"00", b"-0")

# Expiry classes: relative times (seconds from now) and absolute instants (seconds from the
# test's start). Any two of them are > 100 s apart for the whole run.
REL_SECONDS = [100, 2000, 40000, 700000]
ABS_OFFSETS = [500, 10000, 100000, 3000000]
BAD_TIMES = [b"0", b"-1", b"-100", b"abc", b"1.5", b"", b"9223372036854775807",
             b"-9223372036854775808", b"9223372036854775808"]


def int_b(n):
    return b"%d" % n


class Generator:
    def __init__(self, seed, t0, with_bits, with_transactions=False):
        self.with_transactions = with_transactions
        self.rng = random.Random(seed)
        self.t0 = t0
        self.with_bits = with_bits

    def key(self):
        return self.rng.choice(KEYS)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.rng.randint(lo, hi))]

    def value(self):
        return self.rng.choice(VALUES)

    def chance(self, p):
        return self.rng.random() < p

    def name(self, name):
        """The command name, sometimes in another case."""
        r = self.rng.random()
        if r < 0.8:
            return name.encode()
        if r < 0.9:
            return name.lower().encode()
        return "".join(c.lower() if self.rng.random() < 0.5 else c for c in name).encode()

    # times ------------------------------------------------------------------------
    def rel_s(self):
        return int_b(self.rng.choice(REL_SECONDS)) if self.chance(0.85) else self.rng.choice(BAD_TIMES)

    def rel_ms(self):
        return int_b(self.rng.choice(REL_SECONDS) * 1000) if self.chance(0.85) else self.rng.choice(BAD_TIMES)

    def abs_s(self):
        r = self.rng.random()
        if r < 0.6:
            return int_b(self.t0 + self.rng.choice(ABS_OFFSETS))
        if r < 0.85:
            return self.rng.choice([b"1", int_b(self.t0 - 1000), b"9999999999"])
        return self.rng.choice(BAD_TIMES)

    def abs_ms(self):
        r = self.rng.random()
        if r < 0.6:
            return int_b((self.t0 + self.rng.choice(ABS_OFFSETS)) * 1000 + self.rng.choice([0, 250, 999]))
        if r < 0.85:
            return self.rng.choice([b"1", int_b((self.t0 - 1000) * 1000), b"9999999999000"])
        return self.rng.choice(BAD_TIMES)

    def expire_past_or_future_s(self):
        """EXPIRE's argument: a relative class, zero/negative (deletes), or invalid."""
        r = self.rng.random()
        if r < 0.7:
            return int_b(self.rng.choice(REL_SECONDS))
        if r < 0.85:
            return self.rng.choice([b"0", b"-1", b"-100"])
        return self.rng.choice([b"abc", b"1.5", b"", b"9223372036854775807", b"-9223372036854775808",
                                b"9223372036854775808", b"9223372036854775"])

    def expire_flags(self):
        r = self.rng.random()
        if r < 0.5:
            return []
        if r < 0.9:
            return [self.rng.choice([b"NX", b"XX", b"GT", b"LT", b"nx", b"gt"])]
        return [self.rng.choice([b"NX", b"XX", b"GT", b"LT", b"BOGUS"]) for _ in range(2)]

    def expiry_option(self, allow_persist=False, allow_keepttl=False):
        choices = [[b"EX", self.rel_s()], [b"PX", self.rel_ms()], [b"EXAT", self.abs_s()],
                   [b"PXAT", self.abs_ms()]]
        if allow_persist:
            choices.append([b"PERSIST"])
        if allow_keepttl:
            choices.append([b"KEEPTTL"])
        opt = self.rng.choice(choices)
        if self.chance(0.1):
            opt = [opt[0].lower()] + opt[1:]
        if len(opt) == 2 and self.chance(0.03):
            opt = opt[:1]  # missing argument
        return opt

    # families ---------------------------------------------------------------------
    def gen_set(self):
        args = [self.name("SET"), self.key(), self.value()]
        n = self.rng.choice([0, 0, 1, 1, 1, 2, 2, 3])
        opts = []
        for _ in range(n):
            r = self.rng.random()
            if r < 0.45:
                opts.append(self.expiry_option(allow_keepttl=True))
            elif r < 0.95:
                opts.append([self.rng.choice([b"NX", b"XX", b"GET", b"get", b"nx"])])
            else:
                opts.append([self.rng.choice([b"BOGUS", b"EX", b"PXAT"])])
        for o in opts:
            args += o
        return args

    def gen_strings(self):
        r = self.rng.randrange(22)
        k, v = self.key(), self.value()
        if r == 0:
            return [self.name("GET"), k]
        if r == 1:
            return [self.name("SETNX"), k, v]
        if r == 2:
            return [self.name("SETEX"), k, self.rel_s(), v]
        if r == 3:
            return [self.name("PSETEX"), k, self.rel_ms(), v]
        if r == 4:
            return [self.name("MGET")] + self.keys(1, 5)
        if r == 5:
            args = [self.name("MSET")]
            for _ in range(self.rng.randint(1, 3)):
                args += [self.key(), self.value()]
            if self.chance(0.05):
                args.pop()
            return args
        if r == 6:
            args = [self.name("MSETNX")]
            for _ in range(self.rng.randint(1, 3)):
                args += [self.key(), self.value()]
            if self.chance(0.05):
                args.pop()
            return args
        if r == 7:
            return [self.name("GETSET"), k, v]
        if r == 8:
            return [self.name("GETDEL"), k]
        if r == 9:
            args = [self.name("GETEX"), k]
            n = self.rng.choice([0, 1, 1, 1, 2])
            for _ in range(n):
                args += self.expiry_option(allow_persist=True)
            if self.chance(0.03):
                args.append(b"BOGUS")
            return args
        if r == 10:
            return [self.name("APPEND"), k, v]
        if r == 11:
            return [self.name("STRLEN"), k]
        if r == 12:
            return [self.name("INCR"), k]
        if r == 13:
            return [self.name("DECR"), k]
        if r == 14:
            return [self.name("INCRBY"), k, self.rng.choice(INT_ARGS)]
        if r == 15:
            return [self.name("DECRBY"), k, self.rng.choice(INT_ARGS)]
        if r == 16:
            return [self.name("INCRBYFLOAT"), k, self.rng.choice(FLOAT_ARGS)]
        if r == 17:
            return [self.name("GETRANGE"), k, self.rng.choice(INDEXES), self.rng.choice(INDEXES)]
        if r == 18:
            return [self.name("SUBSTR"), k, self.rng.choice(INDEXES), self.rng.choice(INDEXES)]
        if r == 19:
            offset = self.rng.choice([b"0", b"1", b"3", b"5", b"10", b"50", b"100", b"-1", b"abc",
                                      b"536870912", b"536870911"])
            value = v
            if offset == b"536870911" and v:
                value = b""  # a real 512 MB string would be too much
            return [self.name("SETRANGE"), k, offset, value]
        if r == 20:
            # A seed-independent integer set: keeps INCR-style commands from always failing.
            return [self.name("SET"), k, self.rng.choice([b"0", b"1", b"-5", b"100", b"9223372036854775806",
                                                          b"-9223372036854775807", b"2.5", b"0.1"])]
        return [self.name("STRLEN"), k]

    def gen_lcs_options(self):
        opts = []
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            r = self.rng.random()
            if r < 0.3:
                opts.append(b"LEN")
            elif r < 0.6:
                opts.append(b"IDX")
            elif r < 0.8:
                opts += [b"MINMATCHLEN", self.rng.choice([b"0", b"1", b"2", b"3", b"-1", b"x"])]
            else:
                opts.append(b"WITHMATCHLEN")
        return opts

    def gen_keys(self):
        r = self.rng.randrange(14)
        k = self.key()
        if r == 0:
            return [self.name("DEL")] + self.keys(1, 3)
        if r == 1:
            return [self.name("UNLINK")] + self.keys(1, 3)
        if r == 2:
            return [self.name("EXISTS")] + self.keys(1, 4)
        if r == 3:
            return [self.name("TYPE"), k]
        if r == 4:
            return [self.name("RENAME"), k, self.key()]
        if r == 5:
            return [self.name("RENAMENX"), k, self.key()]
        if r == 6:
            args = [self.name("COPY"), k, self.key()]
            if self.chance(0.4):
                args += [b"DB", self.rng.choice([b"0", b"1", b"2", b"3", b"16", b"-1", b"x"])]
            if self.chance(0.4):
                args.append(b"REPLACE")
            if self.chance(0.03):
                args.append(b"BOGUS")
            return args
        if r == 7:
            return [self.name("MOVE"), k, self.rng.choice([b"0", b"1", b"2", b"3", b"16", b"-1", b"x"])]
        if r == 8:
            return [self.name("OBJECT"), b"ENCODING", k]
        if r == 9:
            return [self.name("PERSIST"), k]
        if r == 10:
            return [self.name("KEYS"), self.rng.choice(PATTERNS)]
        if r == 11:
            return [self.name("TYPE"), k]
        if r == 12:
            return [self.name("OBJECT"), b"ENCODING", k]
        return [self.name("EXISTS"), k]

    def gen_expire(self):
        r = self.rng.randrange(10)
        k = self.key()
        if r == 0:
            return [self.name("EXPIRE"), k, self.expire_past_or_future_s()] + self.expire_flags()
        if r == 1:
            t = self.expire_past_or_future_s()
            if t.isdigit() and t != b"0":
                t = int_b(int(t) * 1000)  # the same relative classes, in milliseconds
            return [self.name("PEXPIRE"), k, t] + self.expire_flags()
        if r == 2:
            return [self.name("EXPIREAT"), k, self.abs_s()] + self.expire_flags()
        if r == 3:
            return [self.name("PEXPIREAT"), k, self.abs_ms()] + self.expire_flags()
        if r == 4:
            return [self.name("TTL"), k]
        if r == 5:
            return [self.name("PTTL"), k]
        if r == 6:
            return [self.name("EXPIRETIME"), k]
        if r == 7:
            return [self.name("PEXPIRETIME"), k]
        if r == 8:
            return [self.name("PERSIST"), k]
        return [self.name("SET"), k, self.value()] + self.expiry_option(allow_keepttl=True)

    def gen_db(self):
        r = self.rng.randrange(10)
        db = lambda: self.rng.choice([b"0", b"1", b"2", b"3"]) if self.chance(0.95) else \
            self.rng.choice([b"16", b"-1", b"x", b""])
        if r < 4:
            return [self.name("SELECT"), db()]
        if r < 6:
            return [self.name("SWAPDB"), db(), db()]
        if r < 9:
            return [self.name("DBSIZE")]
        return [self.name("FLUSHDB")] + ([self.rng.choice([b"ASYNC", b"SYNC", b"BOGUS"])] if self.chance(0.3) else [])

    def gen_arity(self):
        name = self.rng.choice(["GET", "SET", "SETNX", "SETEX", "GETEX", "GETRANGE", "SETRANGE", "LCS",
                                "APPEND", "INCRBY", "RENAME", "COPY", "MOVE", "EXPIRE", "TTL", "OBJECT",
                                "MSET", "MGET", "DEL", "SWAPDB", "SELECT", "GETDEL", "PERSIST"])
        return [self.name(name)]

    def gen_bits(self):
        r = self.rng.randrange(8)
        k = self.key()
        offset = lambda: self.rng.choice([b"0", b"1", b"7", b"8", b"15", b"31", b"63", b"100", b"-1", b"x",
                                          b"4294967296"])
        unit = lambda: [self.rng.choice([b"BYTE", b"BIT", b"bit", b"BOGUS"])] if self.chance(0.4) else []
        if r == 0:
            return [self.name("SETBIT"), k, offset(), self.rng.choice([b"0", b"1", b"1", b"2", b"-1"])]
        if r == 1:
            return [self.name("GETBIT"), k, offset()]
        if r == 2:
            args = [self.name("BITCOUNT"), k]
            if self.chance(0.6):
                args += [self.rng.choice(INDEXES), self.rng.choice(INDEXES)] + unit()
            elif self.chance(0.1):
                args += [self.rng.choice(INDEXES)]
            return args
        if r == 3:
            args = [self.name("BITPOS"), k, self.rng.choice([b"0", b"1", b"2"])]
            n = self.rng.randint(0, 2)
            args += [self.rng.choice(INDEXES) for _ in range(n)]
            if n == 2:
                args += unit()
            return args
        if r == 4:
            op = self.rng.choice([b"AND", b"OR", b"XOR", b"NOT", b"and", b"BOGUS"])
            return [self.name("BITOP"), op, self.key()] + self.keys(1, 1 if op == b"NOT" and self.chance(0.9) else 3)
        if r in (5, 6):
            args = [self.name(self.rng.choice(["BITFIELD", "BITFIELD", "BITFIELD_RO"])), k]
            for _ in range(self.rng.randint(0, 3)):
                ty = self.rng.choice([b"i8", b"u8", b"i16", b"u4", b"i64", b"u63", b"u64", b"i1", b"x8"])
                off = self.rng.choice([b"0", b"3", b"8", b"#1", b"#2", b"-1", b"100"])
                sub = self.rng.random()
                if sub < 0.4:
                    args += [b"GET", ty, off]
                elif sub < 0.7:
                    args += [b"SET", ty, off, self.rng.choice(INT_ARGS)]
                elif sub < 0.9:
                    args += [b"INCRBY", ty, off, self.rng.choice(INT_ARGS)]
                else:
                    args += [b"OVERFLOW", self.rng.choice([b"WRAP", b"SAT", b"FAIL", b"BOGUS"])]
            return args
        return [self.name("SET"), k, self.rng.choice([b"\x00", b"\xff\xf0\x00", b"foobar", b"\x01\x02\x03\x04"])]

    def gen_transaction_body(self):
        """One command for inside MULTI: anything whose reply does not depend on timing."""
        r = self.rng.random()
        if r < 0.25:
            return self.gen_set()
        if r < 0.45:
            return self.gen_strings()
        if r < 0.55:
            if self.chance(0.1):
                # Inside EXEC blocking pops do not block: they reply as a timeout.
                return [self.name(self.rng.choice(["BLPOP", "BRPOP"])), self.key(), self.key(), b"0"]
            return self.gen_lists()
        if r < 0.75:
            args = self.gen_keys()
            return args if args[0].upper() != b"KEYS" else [self.name("EXISTS"), self.key()]
        if r < 0.82:
            args = self.gen_db()
            return args if args[0].upper() != b"DBSIZE" else [self.name("SELECT"), b"0"]
        if r < 0.86:
            return self.gen_arity()  # a queueing error: EXECABORT
        if r < 0.89:
            return [self.name(self.rng.choice(["MULTI", "WATCH", "UNWATCH", "NOSUCHCOMMAND"])), self.key()][
                :self.rng.choice([1, 2])]
        if self.with_bits:
            return self.gen_bits()
        return self.gen_strings()

    def gen_transaction(self):
        """WATCH (maybe), a change by another client (maybe), MULTI, a body, EXEC or DISCARD."""
        out = []
        watched = []
        if self.chance(0.5):
            watched = self.keys(1, 3)
            out.append(("exact", [self.name("WATCH")] + watched))
            if self.chance(0.5):
                change = self.rng.choice([self.gen_set(), self.gen_strings(), self.gen_keys()])
                if change[0].upper() == b"KEYS":
                    change = [self.name("DEL")] + watched[:1]
                out.append(("other", change))
        out.append(("exact", [self.name("MULTI")]))
        for _ in range(self.rng.randint(0, 6)):
            out.append(("exact", self.gen_transaction_body()))
        out.append(("exact", [self.name("DISCARD" if self.chance(0.1) else "EXEC")]))
        if watched and self.chance(0.3):
            out.append(("exact", [self.name("UNWATCH")]))
        return out

    def gen_lists(self):
        k = self.key()
        r = self.rng.randrange(16)
        end = lambda: self.rng.choice([b"LEFT", b"RIGHT", b"left", b"right"]) if self.chance(0.95) else b"UP"
        count = lambda: self.rng.choice([b"0", b"1", b"2", b"5", b"100"]) if self.chance(0.9) else \
            self.rng.choice([b"-1", b"x", b""])
        if r < 4:
            name = self.rng.choice(["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"])
            return [self.name(name), k] + [self.value() for _ in range(self.rng.randint(1, 4))]
        if r < 6:
            args = [self.name(self.rng.choice(["LPOP", "RPOP"])), k]
            return args + ([count()] if self.chance(0.4) else []) + ([b"1"] if self.chance(0.03) else [])
        if r == 6:
            return [self.name(self.rng.choice(["LLEN", "LRANGE", "LINDEX"])), k] + \
                [self.rng.choice(INDEXES) for _ in range(2)]
        if r == 7:
            return [self.name("LRANGE"), k, self.rng.choice(INDEXES), self.rng.choice(INDEXES)]
        if r == 8:
            return [self.name("LINDEX"), k, self.rng.choice(INDEXES)]
        if r == 9:
            return [self.name("LSET"), k, self.rng.choice(INDEXES), self.value()]
        if r == 10:
            where = self.rng.choice([b"BEFORE", b"AFTER", b"after"]) if self.chance(0.95) else b"MIDDLE"
            return [self.name("LINSERT"), k, where, self.value(), self.value()]
        if r == 11:
            return [self.name("LREM"), k, self.rng.choice([b"0", b"1", b"-1", b"2", b"-2", b"x"]), self.value()]
        if r == 12:
            return [self.name("LTRIM"), k, self.rng.choice(INDEXES), self.rng.choice(INDEXES)]
        if r == 13:
            args = [self.name("LPOS"), k, self.value()]
            for _ in range(self.rng.randint(0, 2)):
                args += [self.rng.choice([b"RANK", b"COUNT", b"MAXLEN", b"BOGUS"]),
                         self.rng.choice([b"1", b"2", b"-1", b"-2", b"0", b"x"])]
            return args
        if r == 14:
            if self.chance(0.5):
                return [self.name("LMOVE"), k, self.key(), end(), end()]
            if self.chance(0.1):
                # Blocks for 10 ms when the source is missing (both servers reply a null array).
                return [self.name("BLMOVE"), k, self.key(), end(), end(), b"0.01"]
            return [self.name("RPOPLPUSH"), k, self.key()]
        keys = self.keys(1, 3)
        args = [self.name("LMPOP"), int_b(len(keys)) if self.chance(0.95) else b"0"] + keys + [end()]
        return args + ([b"COUNT", count()] if self.chance(0.4) else [])

    def field(self):
        return self.rng.choice(FIELDS)

    def gen_hashes(self):
        """Hash commands; replies whose order is the hash's own are compared sorted."""
        k = self.key()
        r = self.rng.randrange(14)
        if r < 3:
            name = self.rng.choice(["HSET", "HSET", "HMSET"])
            args = [self.name(name), k]
            for _ in range(self.rng.randint(1, 3)):
                args += [self.field(), self.value()]
            return "exact", args + ([self.field()] if self.chance(0.03) else [])
        if r == 3:
            return "exact", [self.name("HSETNX"), k, self.field(), self.value()]
        if r == 4:
            return "exact", [self.name(self.rng.choice(["HGET", "HEXISTS", "HSTRLEN"])), k, self.field()]
        if r == 5:
            return "exact", [self.name("HMGET"), k] + [self.field() for _ in range(self.rng.randint(1, 3))]
        if r == 6:
            return "exact", [self.name("HDEL"), k] + [self.field() for _ in range(self.rng.randint(1, 3))]
        if r == 7:
            return "exact", [self.name("HLEN"), k]
        if r == 8:
            return "sorted", [self.name(self.rng.choice(["HKEYS", "HVALS", "HGETALL"])), k]
        if r == 9:
            return "exact", [self.name("HINCRBY"), k, self.field(), self.rng.choice(INT_ARGS)]
        if r == 10:
            return "exact", [self.name("HINCRBYFLOAT"), k, self.field(), self.rng.choice(FLOAT_ARGS)]
        if r == 11:
            # Only the deterministic forms: the whole hash, nothing, or an argument error.
            count = self.rng.choice([b"0", b"100", b"x", b"-9223372036854775808"])
            extra = [self.rng.choice([b"WITHVALUES", b"withvalues", b"BOGUS"])] if self.chance(0.5) else []
            return "sorted", [self.name("HRANDFIELD"), k, count] + extra
        return "exact", [self.name("HSET"), k, self.field(), self.rng.choice(VALUES)]

    def gen_sets(self):
        """Set commands; member order is only defined for intsets, so replies are compared sorted."""
        k = self.key()
        r = self.rng.randrange(14)
        if r < 3:
            return "exact", [self.name("SADD"), k] + [self.value() for _ in range(self.rng.randint(1, 4))]
        if r == 3:
            return "exact", [self.name("SREM"), k] + [self.value() for _ in range(self.rng.randint(1, 3))]
        if r == 4:
            return "sorted", [self.name("SMEMBERS"), k]
        if r == 5:
            return "exact", [self.name(self.rng.choice(["SISMEMBER", "SMISMEMBER"])), k, self.value()]
        if r == 6:
            return "exact", [self.name("SCARD"), k]
        if r == 7:
            return "sorted", [self.name(self.rng.choice(["SINTER", "SUNION", "SDIFF"]))] + self.keys(1, 3)
        if r == 8:
            return "exact", [self.name(self.rng.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])), k] + \
                self.keys(1, 3)
        if r == 9:
            keys = self.keys(1, 3)
            args = [self.name("SINTERCARD"), int_b(len(keys)) if self.chance(0.95) else b"0"] + keys
            return "exact", args + ([b"LIMIT", self.rng.choice([b"0", b"1", b"2", b"-1"])] if self.chance(0.3) else [])
        if r == 10:
            return "exact", [self.name("SMOVE"), k, self.key(), self.value()]
        if r == 11:
            # The whole set (count >= size), nothing, or an argument error.
            name = self.rng.choice(["SPOP", "SRANDMEMBER"])
            return "sorted", [self.name(name), k, self.rng.choice([b"0", b"1000", b"x", b"-1"])]
        return "exact", [self.name("SADD"), k, self.rng.choice([b"1", b"2", b"3", b"10", b"-5"])]

    def zscore_arg(self):
        return self.rng.choice(ZSCORES) if self.chance(0.95) else self.rng.choice([b"x", b"nan", b"", b" 1", b"1e500"])

    def zbound(self):
        if self.chance(0.9):
            b = self.rng.choice(ZSCORES + [b"-inf", b"+inf", b"inf"])
            return (b"(" + b) if self.chance(0.3) else b
        return self.rng.choice([b"x", b"(", b"", b"nan", b"((1"])

    def lexbound(self):
        if self.chance(0.9):
            return self.rng.choice([b"-", b"+", b"[a", b"(a", b"[m1", b"(m3", b"[", b"(z"])
        return self.rng.choice([b"a", b"", b"+x", b"-y"])

    def gen_zsets(self):
        """Sorted-set commands (all deterministic apart from ZRANDMEMBER's picks)."""
        k = self.key()
        r = self.rng.randrange(20)
        member = lambda: self.rng.choice(ZMEMBERS)
        if r < 4:
            args = [self.name("ZADD"), k]
            for _ in range(self.rng.randint(0, 2)):
                args.append(self.rng.choice([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch"]))
            for _ in range(self.rng.randint(1, 3)):
                args += [self.zscore_arg(), member()]
            return "exact", args
        if r == 4:
            return "exact", [self.name("ZINCRBY"), k, self.zscore_arg(), member()]
        if r == 5:
            return "exact", [self.name(self.rng.choice(["ZREM", "ZMSCORE"])), k] + [member() for _ in range(self.rng.randint(1, 3))]
        if r == 6:
            return "exact", [self.name(self.rng.choice(["ZSCORE", "ZRANK", "ZREVRANK"])), k, member()]
        if r == 7:
            return "exact", [self.name("ZCARD"), k]
        if r == 8:
            return "exact", [self.name("ZCOUNT"), k, self.zbound(), self.zbound()]
        if r == 9:
            return "exact", [self.name("ZLEXCOUNT"), k, self.lexbound(), self.lexbound()]
        if r in (10, 11):
            kind = self.rng.choice([None, b"BYSCORE", b"BYLEX"])
            if kind == b"BYSCORE":
                lo, hi = self.zbound(), self.zbound()
            elif kind == b"BYLEX":
                lo, hi = self.lexbound(), self.lexbound()
            else:
                lo, hi = self.rng.choice(INDEXES), self.rng.choice(INDEXES)
            args = [self.name("ZRANGE"), k, lo, hi] + ([kind] if kind else [])
            if self.chance(0.3):
                args.append(b"REV")
            if self.chance(0.3):
                args += [b"LIMIT", self.rng.choice([b"0", b"1", b"-1"]), self.rng.choice([b"1", b"2", b"-1", b"0"])]
            if self.chance(0.4):
                args.append(b"WITHSCORES")
            if self.chance(0.2):
                args = [self.name("ZRANGESTORE"), self.key()] + args[1:]
            return "exact", args
        if r == 12:
            name = self.rng.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREVRANGE"])
            if "LEX" in name:
                args = [self.name(name), k, self.lexbound(), self.lexbound()]
            elif name == "ZREVRANGE":
                args = [self.name(name), k, self.rng.choice(INDEXES), self.rng.choice(INDEXES)]
            else:
                args = [self.name(name), k, self.zbound(), self.zbound()]
            if self.chance(0.3) and "LEX" not in name:
                args.append(b"WITHSCORES")
            if self.chance(0.3) and name != "ZREVRANGE":
                args += [b"LIMIT", self.rng.choice([b"0", b"1"]), self.rng.choice([b"1", b"-1"])]
            return "exact", args
        if r == 13:
            name = self.rng.choice(["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"])
            if name == "ZREMRANGEBYRANK":
                return "exact", [self.name(name), k, self.rng.choice(INDEXES), self.rng.choice(INDEXES)]
            if name == "ZREMRANGEBYLEX":
                return "exact", [self.name(name), k, self.lexbound(), self.lexbound()]
            return "exact", [self.name(name), k, self.zbound(), self.zbound()]
        if r == 14:
            args = [self.name(self.rng.choice(["ZPOPMIN", "ZPOPMAX"])), k]
            return "exact", args + ([self.rng.choice([b"0", b"1", b"2", b"10", b"-1", b"x"])] if self.chance(0.5) else [])
        if r == 15:
            keys = self.keys(1, 3)
            args = [self.name("ZMPOP"), int_b(len(keys))] + keys + [self.rng.choice([b"MIN", b"MAX", b"min", b"BOGUS"])]
            return "exact", args + ([b"COUNT", self.rng.choice([b"1", b"3", b"0"])] if self.chance(0.4) else [])
        if r in (16, 17):
            keys = self.keys(1, 3)
            name = self.rng.choice(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD"])
            store = name.endswith("STORE")
            args = [self.name(name)] + ([self.key()] if store else []) + [int_b(len(keys))] + keys
            if name not in ("ZDIFF", "ZDIFFSTORE", "ZINTERCARD") and self.chance(0.4):
                args += [b"WEIGHTS"] + [self.rng.choice([b"1", b"2", b"-1", b"0.5", b"inf"]) for _ in keys]
            if name not in ("ZDIFF", "ZDIFFSTORE", "ZINTERCARD") and self.chance(0.3):
                args += [b"AGGREGATE", self.rng.choice([b"SUM", b"MIN", b"MAX", b"BOGUS"])]
            if not store and name != "ZINTERCARD" and self.chance(0.4):
                args.append(b"WITHSCORES")
            if name == "ZINTERCARD" and self.chance(0.3):
                args += [b"LIMIT", self.rng.choice([b"0", b"1", b"-1"])]
            return "exact", args
        if r == 18:
            return "sorted", [self.name("ZRANDMEMBER"), k, self.rng.choice([b"0", b"100", b"x"])]
        return "exact", [self.name("ZADD"), k, self.rng.choice([b"1", b"2", b"1.5"]), member()]

    def next(self):
        """A list of commands; special commands are tagged tuples."""
        r = self.rng.random()
        if self.with_transactions and r < 0.05:
            return self.gen_transaction()
        r = self.rng.random()
        if r < 0.20:
            return [("exact", self.gen_set())]
        if r < 0.26:
            return [("exact", self.gen_strings())]
        if r < 0.33:
            return [("exact", self.gen_lists())]
        if r < 0.37:
            return [self.gen_hashes()]
        if r < 0.41:
            return [self.gen_sets()]
        if r < 0.48:
            return [self.gen_zsets()]
        if r < 0.66:
            args = self.gen_keys()
            mode = "sorted" if args[0].upper() == b"KEYS" else "exact"
            return [(mode, args)]
        if r < 0.80:
            args = self.gen_expire()
            return [("ttl", args)]
        if r < 0.86:
            args = self.gen_db()
            if args[0].upper() == b"DBSIZE":
                return [("exact", [b"EXISTS"] + KEYS), ("exact", args)]
            if args[0].upper() == b"FLUSHDB" and not self.chance(0.3):
                return [("exact", [b"PING"])]  # keep FLUSHDB rare
            return [("exact", args)]
        if r < 0.89:
            return [("lcs", [self.name("LCS"), self.key(), self.key()] + self.gen_lcs_options())]
        if r < 0.91:
            args = [self.name("SCAN"), b"0"]
            for _ in range(self.rng.randint(0, 2)):
                o = self.rng.random()
                if o < 0.4:
                    args += [b"MATCH", self.rng.choice(PATTERNS)]
                elif o < 0.8:
                    args += [b"COUNT", self.rng.choice([b"1", b"2", b"5", b"10", b"100", b"0", b"-1", b"x"])]
                else:
                    args += [b"TYPE", self.rng.choice([b"string", b"none", b"list", b"STRING"])]
            if self.chance(0.05):
                args[1] = self.rng.choice([b"abc", b"-1", b"18446744073709551616", b"18446744073709551615",
                                           b"", b"+0", b"00", b"-0", b" 0", b"0x0", b"1.0"])
            if any(a.lower() == b"none" for a in args):
                # Redis's SCAN ... TYPE none also returns a key whose (past) expiry it has not
                # acted on yet, until the active expiry cycle removes it: touch every key first.
                return [("exact", [b"EXISTS"] + KEYS), ("scan", args)]
            return [("scan", args)]
        if r < 0.92:
            return [("exact", self.gen_arity())]
        if self.with_bits and r < 0.99:
            return [("exact", self.gen_bits())]
        return [("exact", self.gen_strings())]


# ---------------------------------------------------------------------------------------
# Runner


def is_int(reply):
    return reply[0] == ":"


class Mismatch(Exception):
    pass


class Differential:
    def __init__(self, redstart_port, redis_port, seed, protocol, redstart_process=None, redis_process=None):
        self.a = RespClient(redstart_port)   # Redstart
        self.b = RespClient(redis_port)      # redis-server
        # Another client on each server, for changes to keys the first one watches.
        self.other_a = RespClient(redstart_port)
        self.other_b = RespClient(redis_port)
        self.redstart_process = redstart_process
        self.redis_process = redis_process
        self.log = collections.deque(maxlen=LOG)
        self.seed = seed
        self.protocol = protocol
        self.index = 0
        self.history = collections.deque(maxlen=HISTORY)
        self.mismatches = []

    def close(self):
        for client in (self.a, self.b, self.other_a, self.other_b):
            client.close()

    def both(self, args):
        try:
            self.a.send(args)
            self.b.send(args)
            return self.a.read(), self.b.read()
        except OSError as e:
            problem = "connection lost (%s: %s)" % (type(e).__name__, e)
        raise Mismatch(self.describe(args, problem, self.crash_report()))

    def crash_report(self):
        lines = []
        for name, process in (("redstart", self.redstart_process), ("redis", self.redis_process)):
            if process is None:
                continue
            try:
                process.wait(timeout=1)
            except Exception:
                pass
            code = process.poll()
            lines.append("  %s: %s" % (name, "running" if code is None else "exited with %s" % code))
            if code is not None and name == "redstart" and process.stdout is not None:
                out = process.stdout.read().decode(errors="replace")
                tail = out[:2500] + ("\n...\n" if len(out) > 2500 else "")
                lines.append("  redstart output (start):\n" + tail)
        return "\n".join(lines)

    def record(self, args, ra, rb):
        self.history.append((self.index, args, ra, rb))
        self.log.append((self.index, args, ra, rb))

    def describe(self, args, problem, details):
        lines = ["seed %d (RESP%d): %s at command #%d" % (self.seed, self.protocol, problem, self.index),
                 "  command:  %s" % show_cmd(args)]
        if details:
            lines.append(details)
        recent = [h for h in self.history if h[0] != self.index]
        first_recent = recent[0][0] if recent else self.index
        keys = set(args[1:])
        earlier = [h for h in self.log if h[0] < first_recent and keys & set(h[1][1:])
                   or h[1][0].upper() in (b"SELECT", b"SWAPDB", b"FLUSHDB", b"FLUSHALL") and h[0] < first_recent]
        if earlier:
            lines.append("  earlier commands naming the same arguments, or changing databases:")
            for i, h_args, _, h_rb in earlier[-15:]:
                lines.append("    #%d %s -> %s" % (i, show_cmd(h_args, 120), show(h_rb, 120)))
        lines.append("  last commands (index, command, redis reply):")
        for i, h_args, _, h_rb in recent:
            lines.append("    #%d %s -> %s" % (i, show_cmd(h_args, 120), show(h_rb, 120)))
        return "\n".join(lines)

    def fail(self, args, ra, rb, note=""):
        message = self.describe(args, "mismatch" + note,
                                "  redstart: %s\n  redis:    %s" % (show(ra), show(rb)))
        if not COLLECT:
            raise Mismatch(message)
        self.mismatches.append((args, ra, rb, message))
        # Put both servers back in the same (empty) state and go on.
        self.both([b"FLUSHALL"])
        self.both([b"SELECT", b"0"])

    def run(self, mode, args):
        self.index += 1
        cmd = args[0].upper()
        if mode == "ttl" and cmd in (b"EXPIRE", b"PEXPIRE") and any(
                a.upper() in (b"GT", b"LT") for a in args[3:]):
            time.sleep(0.002)  # never two relative expiry times in the same millisecond
        if mode == "scan":
            return self.run_scan(args)
        if mode == "other":
            # The other client stays in database 0; its changes collide with keys watched there.
            ra, rb = self.other_a.call(*args), self.other_b.call(*args)
            self.record([b"(other client)"] + args, ra, rb)
            if ra != rb:
                self.fail(args, ra, rb, " (other client)")
            return ra, rb
        if mode == "lcs":
            self.index -= 1
            return self.run_lcs(args)
        ra, rb = self.both(args)
        self.record(args, ra, rb)
        if ra == rb:
            return ra, rb
        if mode == "ttl" and is_int(ra) and is_int(rb) and ra[1] >= 0 and rb[1] >= 0:
            tolerance = 2000 if cmd in (b"PTTL", b"PEXPIRETIME") else 2
            if cmd in (b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME") and abs(ra[1] - rb[1]) <= tolerance:
                return ra, rb
        if mode == "sorted" and ra[0] == rb[0] and ra[0] in "*~%" and ra[1] is not None and rb[1] is not None:
            if sorted(ra[1]) == sorted(rb[1]):
                return ra, rb
        self.fail(args, ra, rb)
        return ra, rb

    def run_lcs(self, args):
        # LCS costs len(a) * len(b): look at the lengths first (the STRLENs are compared too).
        lengths = [self.run("exact", [b"STRLEN", key])[1] for key in args[1:3]]
        if all(is_int(r) for r in lengths) and lengths[0][1] * lengths[1][1] > 100000:
            return
        self.index += 1
        ra, rb = self.both(args)
        self.record(args, ra, rb)
        if ra != rb:
            self.fail(args, ra, rb)

    def scan_all(self, client, args, reply):
        """Follows a SCAN from its first reply to cursor 0: ("scan-keys", sorted keys)."""
        keys = set()
        for _ in range(100000):
            if reply[0] != "*" or len(reply[1]) != 2:
                return ("scan-error", reply)
            cursor = reply[1][0][1]
            keys.update(k[1] for k in reply[1][1][1])
            if cursor == b"0":
                return ("scan-keys", sorted(keys))
            reply = client.call(*([args[0], cursor] + args[2:]))
        return ("scan-did-not-finish", sorted(keys))

    def run_scan(self, args):
        ra, rb = self.both(args)
        if ra[0] != "*" or rb[0] != "*":
            self.record(args, ra, rb)
            if ra != rb:
                self.fail(args, ra, rb)
            return
        if args[1] not in ZERO_CURSORS:
            # Which keys a cursor other than 0 returns depends on the table's layout.
            self.record(args, ra, rb)
            return
        ra, rb = self.scan_all(self.a, args, ra), self.scan_all(self.b, args, rb)
        self.record(args, ra, rb)
        if ra != rb:
            self.fail(args, ra, rb, " (keys of a full SCAN iteration)")


def has_command(port, name):
    c = RespClient(port)
    try:
        reply = c.call(b"COMMAND", b"INFO", name)
        return reply[0] == "*" and reply[1] and reply[1][0][1] is not None
    finally:
        c.close()


def run_differential(server, redis_server, seed, protocol, count=COMMANDS_PER_SEED, with_bits=None,
                     with_transactions=None):
    t0 = int(time.time())
    if with_bits is None:
        with_bits = has_command(server.port, b"setbit")
    if with_transactions is None:
        with_transactions = has_command(server.port, b"multi")
    gen = Generator(seed, t0, with_bits, with_transactions)
    d = Differential(server.port, redis_server.port, seed, protocol,
                     getattr(server, "process", None), getattr(redis_server, "process", None))
    try:
        if protocol == 3:
            d.both([b"HELLO", b"3"])  # the replies name different servers: not compared
        d.both([b"FLUSHALL"])
        while d.index < count:
            for mode, args in gen.next():
                d.run(mode, args)
    finally:
        d.close()
    return d.mismatches


def report(mismatches):
    groups = collections.OrderedDict()
    for args, ra, rb, message in mismatches:
        groups.setdefault(args[0].upper(), []).append(message)
    out = ["%d mismatches" % len(mismatches)]
    for cmd, messages in groups.items():
        out.append("== %s: %d" % (cmd.decode(errors="replace"), len(messages)))
        out.extend(messages[:5])
    return "\n".join(out)


@pytest.mark.parametrize("seed,protocol", [(s, 2) for s in SEEDS] + [(4, 3)])
def test_differential(server, redis_server, seed, protocol):
    failure = None
    try:
        mismatches = run_differential(server, redis_server, seed, protocol)
        if mismatches:
            failure = report(mismatches)
    except Mismatch as e:
        failure = str(e)
    if failure:
        pytest.fail(failure, pytrace=False)
