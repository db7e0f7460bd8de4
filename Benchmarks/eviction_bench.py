#!/usr/bin/env python3
"""Eviction side by side with redis-server, in one run: each server is a cache with
`maxmemory` LIMIT and a policy (allkeys-lru, allkeys-lfu); clients read keys drawn
from a Zipf distribution over KEYS keys (about twice what fits) and SET the key on a
miss, as a read-through cache does. Reported per server and policy: the hit rate over
the measured phase (after a warm-up pass), the RSS and used_memory at the end against
the limit, and the keys evicted.

    Benchmarks/eviction_bench.py [--limit-mb 64] [--keys 800000] [--ops 2000000]
        [--candidate .build/release/redstart-server] [--reference redis-server]
"""
import argparse
import os
import tempfile

import numpy
import redis

from rdb_bench import Side

VALUE = b"x" * 100


def workload(keys, ops, skew, seed):
    """Key numbers drawn from a Zipf law over `keys` keys (rank 1 most popular), with the
    ranks shuffled over the key space so popularity is not tied to insertion order."""
    rng = numpy.random.default_rng(seed)
    ranks = numpy.arange(1, keys + 1, dtype=numpy.float64)
    weights = ranks ** -skew
    weights /= weights.sum()
    draws = rng.choice(keys, size=ops, p=weights)
    permutation = rng.permutation(keys)
    return permutation[draws]


def run_cache(client, draws, batch=1000):
    """GET each key, SET the misses; returns the hits."""
    hits = 0
    for start in range(0, len(draws), batch):
        chunk = draws[start:start + batch]
        names = [b"key:%d" % k for k in chunk]
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.get(name)
        values = pipe.execute()
        pipe = client.pipeline(transaction=False)
        for name, value in zip(names, values):
            if value is None:
                pipe.set(name, VALUE)
            else:
                hits += 1
        pipe.execute()
    return hits


def measure(side, policy, limit, draws, warmup):
    side.start()
    try:
        c = side.client()
        c.config_set("maxmemory", limit)
        c.config_set("maxmemory-policy", policy)
        run_cache(c, warmup)
        hits = run_cache(c, draws)
        info = c.info()
        return {
            "hit rate": hits / len(draws),
            "rss": side.rss(),
            "used_memory": info["used_memory"],
            "evicted": info["evicted_keys"],
            "keys": c.dbsize(),
        }
    finally:
        side.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit-mb", type=int, default=64)
    parser.add_argument("--keys", type=int, default=800000)
    parser.add_argument("--ops", type=int, default=2000000)
    parser.add_argument("--skew", type=float, default=0.99)
    parser.add_argument("--candidate", default=".build/release/redstart-server")
    parser.add_argument("--reference", default="redis-server")
    args = parser.parse_args()
    limit = args.limit_mb * 1024 * 1024
    warmup = workload(args.keys, args.ops, args.skew, seed=1)
    draws = workload(args.keys, args.ops, args.skew, seed=2)
    print("maxmemory %d MB, %d keys of %d-byte values, Zipf s=%.2f, %d reads after %d warm-up reads"
          % (args.limit_mb, args.keys, len(VALUE), args.skew, args.ops, args.ops))
    print("%-16s %-9s %9s %10s %10s %9s %9s %9s" % (
        "policy", "server", "hit rate", "rss MB", "used MB", "rss/limit", "evicted", "keys"))
    for policy in ("allkeys-lru", "allkeys-lfu"):
        for name, binary in (("redstart", args.candidate), ("redis", args.reference)):
            with tempfile.TemporaryDirectory() as directory:
                result = measure(Side(name, binary, directory), policy, limit, draws, warmup)
            print("%-16s %-9s %9.4f %10.1f %10.1f %9.3f %9d %9d" % (
                policy, name, result["hit rate"], result["rss"] / 2**20, result["used_memory"] / 2**20,
                result["rss"] / limit, result["evicted"], result["keys"]))


if __name__ == "__main__":
    main()
