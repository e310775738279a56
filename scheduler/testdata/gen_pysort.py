#!/usr/bin/python3
"""Writes pysort.json: how CPython 3.11 orders lists of floats, NaN and
infinities included, with sorted(..., key=..., reverse=True) as nova's
weigher handler does. Run with /usr/bin/python3 from this directory."""
import json
import math
import random
import sys

rnd = random.Random(20240611)
cases = []
pools = [
    [0.0, 1.0, 2.0, 0.5],
    [float("nan"), 1.0, 0.0, -1.0],
    [float("nan"), float("inf"), float("-inf"), 0.0, 1.0, -0.0],
    [float("nan")],
]
for i in range(150):
    n = rnd.choice([2, 3, 5, 8, 16, 31, 64, 65, 100, 200, 500])
    if i % 50 == 0:
        n = rnd.choice([1000, 1500])
    pool = rnd.choice(pools)
    style = rnd.randrange(5)
    if style == 0:
        keys = [rnd.choice(pool) for _ in range(n)]
    elif style == 1:
        keys = [round(rnd.random(), 3) if rnd.random() > 0.1 else rnd.choice(pool) for _ in range(n)]
    elif style == 2:  # mostly sorted descending, a few out of place, like a previous round
        keys = sorted((round(rnd.random(), 3) for _ in range(n)), reverse=True)
        for _ in range(rnd.randrange(1, 4)):
            keys[rnd.randrange(n)] = rnd.choice(pool + [round(rnd.random(), 3)])
    elif style == 3:  # long runs of either direction, with galloping merges
        keys = []
        while len(keys) < n:
            run = sorted(round(rnd.random() * 10, 2) for _ in range(rnd.randrange(1, 200)))
            if rnd.random() < 0.5:
                run.reverse()
            keys.extend(run)
        keys = keys[:n]
        for _ in range(rnd.randrange(0, 5)):
            keys[rnd.randrange(n)] = rnd.choice(pool)
    else:
        keys = [float(rnd.randrange(4)) for _ in range(n)]
        for _ in range(rnd.randrange(0, 3)):
            keys[rnd.randrange(n)] = float("nan")
    order = sorted(range(n), key=lambda j: keys[j], reverse=True)
    cases.append({"keys": [repr(k) for k in keys], "order": order})
json.dump(cases, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
