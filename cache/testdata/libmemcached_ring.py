#!/usr/bin/python3
"""Asks libmemcached itself where keys go.

Reads one JSON object from stdin, a batch of cases:
    {"cases": [{"servers": [["127.0.0.1", 11311, 3], ...], "keys": ["<hex>", ...],
                "distribution": "ketama_weighted" | "modula"}, ...]}
For each case it adds the servers in order with
memcached_server_add_with_weight to a new memcached_st, sets
MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (the default), or
MEMCACHED_BEHAVIOR_DISTRIBUTION MEMCACHED_DISTRIBUTION_MODULA with
MEMCACHED_BEHAVIOR_HASH MEMCACHED_HASH_MD5, and asks memcached_generate_hash for each
key: the index of the server libmemcached picks (the one
memcached_server_by_key returns). No connection is made. It prints
    {"version": "<libmemcached version>", "index": [[i, ...], ...]}
"""
import ctypes
import json
import sys

MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED = 16  # enum memcached_behavior_t, libmemcached-1.0/types/behavior.h
MEMCACHED_BEHAVIOR_HASH = 2  # same enum
MEMCACHED_BEHAVIOR_DISTRIBUTION = 9  # same enum
MEMCACHED_DISTRIBUTION_MODULA = 0  # enum memcached_server_distribution_t
MEMCACHED_HASH_MD5 = 1  # enum memcached_hash_t
MEMCACHED_SUCCESS = 0

lib = ctypes.CDLL("libmemcached.so.11")
lib.memcached_create.restype = ctypes.c_void_p
lib.memcached_create.argtypes = [ctypes.c_void_p]
lib.memcached_free.argtypes = [ctypes.c_void_p]
lib.memcached_server_add_with_weight.restype = ctypes.c_int
lib.memcached_server_add_with_weight.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint16, ctypes.c_uint32]
lib.memcached_behavior_set.restype = ctypes.c_int
lib.memcached_behavior_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64]
lib.memcached_generate_hash.restype = ctypes.c_uint32
lib.memcached_generate_hash.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
lib.memcached_lib_version.restype = ctypes.c_char_p


def place(case):
    memc = lib.memcached_create(None)
    for host, port, weight in case["servers"]:
        rc = lib.memcached_server_add_with_weight(memc, host.encode(), port, weight)
        if rc != MEMCACHED_SUCCESS:
            sys.exit("memcached_server_add_with_weight(%s, %d, %d) = %d" % (host, port, weight, rc))
    if case.get("distribution", "ketama_weighted") == "modula":
        settings = [(MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_MODULA),
                    (MEMCACHED_BEHAVIOR_HASH, MEMCACHED_HASH_MD5)]
    else:
        settings = [(MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1)]
    for behavior, value in settings:
        rc = lib.memcached_behavior_set(memc, behavior, value)
        if rc != MEMCACHED_SUCCESS:
            sys.exit("memcached_behavior_set(%d, %d) = %d" % (behavior, value, rc))
    out = []
    for hexkey in case["keys"]:
        key = bytes.fromhex(hexkey)
        out.append(lib.memcached_generate_hash(memc, key, len(key)))
    lib.memcached_free(memc)
    return out


def main():
    req = json.load(sys.stdin)
    out = [place(case) for case in req["cases"]]
    json.dump({"version": lib.memcached_lib_version().decode(), "index": out}, sys.stdout)


main()
