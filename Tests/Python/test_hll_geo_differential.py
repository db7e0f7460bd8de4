"""Differential tests of HyperLogLog and GEO: the same random commands go to Redstart
and to a real redis-server and every reply must be identical, byte for byte (the
HyperLogLog strings themselves are read back with GET, so sparse codes, dense
registers and the cached cardinality must match exactly). Values are also moved
between the servers with DUMP/RESTORE and must count and search the same.

What is kept deterministic: search points are random to six decimals, so no two
members are at exactly the same distance from a centre (Redis's partial sort of a
COUNT result orders ties its own way).
"""
import random

import pytest

from test_differential import Differential, Mismatch, RespClient

HLL_KEYS = [b"h1", b"h2", b"h3", b"{t}h4"]
GEO_KEYS = [b"g1", b"g2", b"g3"]
STORE_KEYS = [b"dst1", b"dst2", b"g1"]
CENTRES = [(13.361389, 38.115556), (15.087269, 37.502669), (-73.985, 40.758), (179.95, 0.5), (-179.9, -60.2),
           (2.35, 84.9), (0.0, 0.0), (139.69, 35.69)]
UNITS = [b"m", b"km", b"ft", b"mi", b"KM", b"Mi", b"yd"]


class HllGeoGenerator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.elements = [b"e%d" % i for i in range(3000)]

    def chance(self, p):
        return self.rng.random() < p

    def element(self):
        if self.chance(0.05):
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(0, 12)))
        return self.rng.choice(self.elements)

    # HyperLogLog ---------------------------------------------------------------------
    def gen_hll(self):
        k = self.rng.choice(HLL_KEYS)
        r = self.rng.randrange(100)
        if r < 35:
            n = self.rng.choice([0, 1, 3, 10, 50, 300])
            return [b"PFADD", k] + [self.element() for _ in range(n)]
        if r < 55:
            return [b"PFCOUNT"] + [self.rng.choice(HLL_KEYS) for _ in range(self.rng.randint(1, 3))]
        if r < 62:
            return [b"PFMERGE", self.rng.choice(HLL_KEYS)] + [self.rng.choice(HLL_KEYS) for _ in range(self.rng.randint(0, 3))]
        if r < 72:
            return [b"GET", k]
        if r < 80:
            sub = self.rng.choice([b"ENCODING", b"DECODE", b"TODENSE", b"GETREG", b"bogus"])
            return [b"PFDEBUG", sub, k]
        if r < 84:
            # Damage a value; the next reads must agree on WRONGTYPE or INVALIDOBJ.
            return [b"SETRANGE", k, b"%d" % self.rng.randrange(0, 40), bytes([self.rng.randrange(256)])]
        if r < 86:
            return [b"APPEND", k, b"xyz"]
        if r < 88:
            return [b"SET", k, self.rng.choice([b"HYLL", b"12345", b"not an hll"])]
        if r < 90:
            return [b"CONFIG", b"SET", b"hll-sparse-max-bytes", self.rng.choice([b"3000", b"200", b"0", b"12000"])]
        if r < 93:
            return [b"DEL", k]
        if r < 96:
            return [b"OBJECT", b"ENCODING", k]
        return [b"PFADD", self.rng.choice(GEO_KEYS), self.element()]

    # GEO -----------------------------------------------------------------------------
    def coordinate(self, spread=2.0):
        lon, lat = self.rng.choice(CENTRES)
        lon = max(-180.0, min(180.0, lon + self.rng.uniform(-spread, spread)))
        lat = max(-85.05, min(85.05, lat + self.rng.uniform(-spread, spread)))
        return [b"%.6f" % lon, b"%.6f" % lat]

    def bad_coordinate(self):
        return self.rng.choice([[b"181", b"10"], [b"10", b"86"], [b"abc", b"1"], [b"1", b""], [b"-180.1", b"0"],
                                [b"inf", b"0"], [b"180", b"85.05112878"], [b"-180", b"-85.05112878"]])

    def member(self):
        return b"m%d" % self.rng.randrange(60)

    def radius(self):
        return self.rng.choice([b"0", b"1", b"50", b"200", b"1000", b"5000", b"20000", b"-1", b"x", b"0.5"])

    def options(self, allow_store, search_store=False):
        args = []
        for _ in range(self.rng.randint(0, 3)):
            r = self.rng.randrange(10)
            if r == 0:
                args.append(b"WITHDIST")
            elif r == 1:
                args.append(b"WITHCOORD")
            elif r == 2:
                args.append(b"WITHHASH")
            elif r == 3:
                args.append(self.rng.choice([b"ASC", b"DESC", b"asc"]))
            elif r in (4, 5):
                args += [b"COUNT", self.rng.choice([b"1", b"3", b"10", b"0", b"-2", b"x"])]
                if self.chance(0.4):
                    args.append(b"ANY")
            elif r == 6:
                args.append(b"ANY")
            elif r == 7 and allow_store:
                args += [self.rng.choice([b"STORE", b"STOREDIST"]), self.rng.choice(STORE_KEYS)]
            elif r == 8 and search_store:
                args.append(b"STOREDIST")
            else:
                args.append(self.rng.choice([b"WITHDIST", b"bogus"]) if self.chance(0.2) else b"WITHDIST")
        return args

    def gen_geo(self):
        k = self.rng.choice(GEO_KEYS)
        r = self.rng.randrange(100)
        if r < 25:
            args = [b"GEOADD", k]
            for _ in range(self.rng.randint(0, 2)):
                args.append(self.rng.choice([b"NX", b"XX", b"CH", b"ch"]))
            for _ in range(self.rng.randint(1, 4)):
                args += (self.bad_coordinate() if self.chance(0.05) else self.coordinate()) + [self.member()]
            return args
        if r < 32:
            return [b"GEOPOS", k] + [self.member() for _ in range(self.rng.randint(0, 3))]
        if r < 38:
            args = [b"GEODIST", k, self.member(), self.member()]
            if self.chance(0.6):
                args.append(self.rng.choice(UNITS))
            return args
        if r < 42:
            return [b"GEOHASH", k] + [self.member() for _ in range(self.rng.randint(0, 3))]
        if r < 62:
            store = self.chance(0.25)
            args = [b"GEOSEARCHSTORE", self.rng.choice(STORE_KEYS), k] if store else [b"GEOSEARCH", k]
            if self.chance(0.5):
                args += [b"FROMMEMBER", self.member()]
            else:
                args += [b"FROMLONLAT"] + (self.coordinate() if self.chance(0.95) else self.bad_coordinate())
            if self.chance(0.5):
                args += [b"BYRADIUS", self.radius(), self.rng.choice(UNITS)]
            else:
                args += [b"BYBOX", self.radius(), self.radius(), self.rng.choice(UNITS)]
            args += self.options(False, search_store=store)
            if self.chance(0.05):
                self.rng.shuffle(args)  # options out of place, missing FROM/BY ...
                args = [b"GEOSEARCH"] + [a for a in args if a != b"GEOSEARCH"]
            return args
        if r < 80:
            name = self.rng.choice([b"GEORADIUS", b"GEORADIUS_RO", b"GEORADIUSBYMEMBER", b"GEORADIUSBYMEMBER_RO"])
            args = [name, k]
            args += [self.member()] if b"MEMBER" in name else self.coordinate()
            args += [self.radius(), self.rng.choice(UNITS)]
            args += self.options(not name.endswith(b"_RO"))
            return args
        if r < 88:
            return [b"ZRANGE", self.rng.choice(STORE_KEYS + GEO_KEYS), b"0", b"-1", b"WITHSCORES"]
        if r < 92:
            return [b"ZREM", k, self.member()]
        if r < 94:
            return [b"ZADD", k, self.rng.choice([b"-1", b"1e20", b"4503599627370496", b"123"]), self.member()]
        if r < 96:
            return [b"DEL", self.rng.choice(STORE_KEYS)]
        return [b"SET", k, b"x"]


def run(server, redis_server, seed, protocol, count):
    gen = HllGeoGenerator(seed)
    d = Differential(server.port, redis_server.port, seed, protocol,
                     getattr(server, "process", None), getattr(redis_server, "process", None))
    try:
        if protocol == 3:
            d.both([b"HELLO", b"3"])
        d.both([b"FLUSHALL"])
        while d.index < count:
            args = gen.gen_hll() if gen.chance(0.5) else gen.gen_geo()
            d.run("exact", args)
    finally:
        d.close()


@pytest.mark.parametrize("seed,protocol", [(1, 2), (2, 2), (3, 3)])
def test_hll_geo_differential(server, redis_server, seed, protocol):
    try:
        run(server, redis_server, seed, protocol, 4000)
    except Mismatch as e:
        pytest.fail(str(e), pytrace=False)


def fill(conn, rng):
    """Sparse and dense HyperLogLogs and a GEO set, on one server."""
    conn.call(b"FLUSHALL")
    conn.call(b"PFADD", b"sparse", *[b"s%d" % i for i in range(200)])
    conn.call(b"PFADD", b"dense", *[b"d%d" % i for i in range(20000)])
    args = [b"GEOADD", b"geo"]
    for i in range(500):
        args += [b"%.6f" % rng.uniform(-180, 180), b"%.6f" % rng.uniform(-85, 85), b"p%d" % i]
    conn.call(*args)


def probes(conn):
    return [
        conn.call(b"PFCOUNT", b"sparse"), conn.call(b"PFCOUNT", b"dense"),
        conn.call(b"PFCOUNT", b"sparse", b"dense"), conn.call(b"PFDEBUG", b"ENCODING", b"sparse"),
        conn.call(b"PFDEBUG", b"ENCODING", b"dense"), conn.call(b"GET", b"sparse"),
        conn.call(b"GEOSEARCH", b"geo", b"FROMLONLAT", b"10", b"10", b"BYRADIUS", b"3000", b"km", b"ASC",
                  b"WITHDIST", b"WITHCOORD", b"WITHHASH"),
        conn.call(b"GEOSEARCH", b"geo", b"FROMMEMBER", b"p7", b"BYBOX", b"8000", b"4000", b"km", b"DESC", b"COUNT", b"20"),
        conn.call(b"GEOPOS", b"geo", b"p1", b"p2", b"p499"), conn.call(b"GEOHASH", b"geo", b"p3", b"p4"),
        conn.call(b"GEODIST", b"geo", b"p10", b"p11", b"mi"),
    ]


@pytest.mark.parametrize("direction", ["redis-to-redstart", "redstart-to-redis"])
def test_dump_restore_between_servers(server, redis_server, direction):
    """HyperLogLogs (sparse and dense) and GEO sets DUMPed on one server and RESTOREd on
    the other count and search the same as on the first."""
    a, b = RespClient(redis_server.port), RespClient(server.port)
    if direction == "redstart-to-redis":
        a, b = b, a
    try:
        fill(a, random.Random(5))
        expected = probes(a)
        b.call(b"FLUSHALL")
        for key in (b"sparse", b"dense", b"geo"):
            payload = a.call(b"DUMP", key)
            assert payload[0] == "$" and payload[1], payload
            assert b.call(b"RESTORE", key, b"0", payload[1]) == ("+", b"OK")
        assert probes(b) == expected
    finally:
        a.close()
        b.close()
