#!/usr/bin/python3
"""Asks python-memcached and pymemcache themselves where keys go.

Reads one JSON object from stdin, a batch of cases:
    {"cases": [{"client": "python-memcached" | "pymemcache",
                "servers": [["127.0.0.1", 11311, 3], ...],
                "dead": [index, ...],
                "keys": ["<hex>", ...]}, ...]}
For each case it builds the library's own client over the servers (no
connection is made), marks the dead servers as the client itself does when
a server fails, and asks the client's placement for each key. It prints
    {"versions": {...}, "index": [[i or -1, ...], ...]}

python-memcached: memcache.Client([("host:port", weight), ...]); dead servers
get _Host.mark_dead, live ones a placeholder socket so that _Host.connect
succeeds without a network; the answer is Client._get_server(key bytes).

pymemcache: HashClient([(host, port), ...], retry_attempts=0); dead servers
go through HashClient._mark_failed_server, which removes them; the answer is
the HashClient's hasher.get_node(key), the key being the str whose UTF-8
encoding is the key bytes (bytes that are not UTF-8 decode with
surrogateescape).
"""
import json
import sys

import memcache
import pymemcache
from pymemcache.client.hash import HashClient


class Placeholder(object):
    """Stands for a connected socket: _Host._get_socket returns it."""

    def close(self):
        pass


def python_memcached(case):
    mc = memcache.Client(
        [("%s:%d" % (h, p), w) for h, p, w in case["servers"]], dead_retry=3600)
    dead = set(case["dead"])
    for i, host in enumerate(mc.servers):
        if i in dead:
            host.mark_dead("dead in this case")
        else:
            host.socket = Placeholder()
    out = []
    for hexkey in case["keys"]:
        server, _ = mc._get_server(bytes.fromhex(hexkey))
        out.append(-1 if server is None else mc.servers.index(server))
    return out


def pymemcache_hash(case):
    servers = [(h, p) for h, p, _ in case["servers"]]
    hc = HashClient(servers, retry_attempts=0, dead_timeout=3600)
    for i in case["dead"]:
        hc._mark_failed_server(servers[i])
    names = ["%s:%s" % s for s in servers]
    out = []
    for hexkey in case["keys"]:
        key = bytes.fromhex(hexkey).decode("utf-8", "surrogateescape")
        node = hc.hasher.get_node(key)
        out.append(-1 if node is None else names.index(node))
    return out


def main():
    req = json.load(sys.stdin)
    place = {"python-memcached": python_memcached, "pymemcache": pymemcache_hash}
    out = [place[c["client"]](c) for c in req["cases"]]
    json.dump({"versions": {"python-memcached": memcache.__version__,
                            "pymemcache": pymemcache.__version__},
               "index": out}, sys.stdout)


if __name__ == "__main__":
    main()
