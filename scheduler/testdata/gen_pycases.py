#!/usr/bin/python3
"""Writes pycases.json: golden answers of CPython 3.11 and nova 26 for the
Python semantics package scheduler reproduces (number parsing, float repr,
str repr, extra_specs_ops.match, netaddr networks, version predicates, the
random module). Run with /usr/bin/python3 from this directory; the unit
tests read the file and need no Python.
"""
import json
import math
import random
import sys
import warnings

warnings.simplefilter("ignore")

from distutils import versionpredicate  # noqa: E402

import netaddr  # noqa: E402
from nova.scheduler.filters import extra_specs_ops  # noqa: E402
from oslo_utils import versionutils  # noqa: E402


def try_(f, *a):
    try:
        return {"ok": True, "v": f(*a)}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "err": type(e).__name__}


def fl(x):
    # JSON cannot carry inf/nan: send repr, which the test parses back.
    return repr(x)


out = {}

num_inputs = ["0", "1", "-1", "+5", " 42 ", "\t7\n", "1_000", "1__0", "_1", "1_", "0001",
              "1.5", "1e3", "1E-3", ".5", "5.", "-.5", "1.e5", ".e5", "e5", "1e", "1e+", "1e1_0",
              "1_0.5_0", "1_.5", "1._5", "inf", "-Infinity", "+INF", "nan", "-nan", "NaN",
              "infinity", "in f", "0x10", "1e400", "-1e400", "1e-400", "\u0663\u0662",
              "\u00a012\u3000", "12\x1c", "\u0661.\u0665", "99999999999999999999999",
              "-99999999999999999999999", "", " ", "abc", "1 2", "++1", "--1", "١_٢",
              "𝟏𝟐", "\U00011f51", "0_0", "1e-5", "123456789012345678"]
out["int"] = [[s, try_(lambda s: str(int(s)), s)] for s in num_inputs]
out["float"] = [[s, try_(lambda s: fl(float(s)), s)] for s in num_inputs]

floats = [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 1e16, 1e15, 123456789012345678.0, 1234567890123456.0,
          0.0001, 0.00001, 1e-7, 1.5e-10, 2.5e22, 1e100, 5e-324, 1.7976931348623157e308, 100.0,
          16.0, 123.456, 1e22, 9007199254740993.0, 0.30000000000000004]
out["repr"] = [[fl(f), repr(f)] for f in floats]

strs = ["abc", "it's", 'say "hi"', "both ' and \"", "back\\slash", "tab\tnl\ncr\r", "\x00\x1f\x7f",
        "caf\u00e9", "\u00a0nbsp", "\u200b", "\u2028", "\U0001f600", "\ud7ff", "\x85", "\u00ad",
        "\ue000", "\U000e0001", "ÿ", "\u0378"]
out["reprstr"] = [[s, repr(s)] for s in strs]

lowers = ["ABC", "İstanbul", "ΑΣ", "ΑΣ Α", "Σ", "ΑΣ.", "aΣb", "ǅ", "ẞ", "Ω", "K"]
out["lower"] = [[s, s.lower()] for s in lowers]

values = ["8", "4", "16", "abc", "1.5", " 3 ", "x86_64", "x86_64 ", "", "kvm", "qemu", "aaa",
          "a b", "10", "1e3", "nan", "inf"]
reqs = ["8", "= 4", "= 16", "== 8", "!= 8", ">= 8", "<= 8", "s== abc", "s!= abc", "s< b",
        "s<= abc", "s> a", "s>= abd", "<in> 86", "<in> x86_64", "<all-in> x86 64", "<all-in> 86 99",
        "<or> kvm <or> qemu", "<or> x", "<or>", "<or> a b", "<or> a <or>", "= abc", "==", "<in>",
        "s==", "<all-in>", "x86_64", " x86_64", "foo bar", "= nan", "== nan", "!= nan", "= inf",
        ">= 1e3", "s== a b", "  ", "", "<or> a <or> b <or> c", "<or> 8 <or>"]
out["match"] = [[v, r, try_(extra_specs_ops.match, v, r)] for v in values for r in reqs]

nets = ["10.0.0.5/24", "10.0.0.5/255.255.255.0", "10.0.0.5/0.0.0.255", "10/8", "10.1/16",
        "10.0.0.5", "::1/64", "10.0.0.5/33", "1.2.3/24", " 10.0.0.1/24", "10.0.0.1/24 ",
        "10.0.0.1/024", "010.0.0.1/24", "10.0.0.1/+24", "::ffff:1.2.3.4/120", "10.0.0.1/",
        "10.0.0.1/0", "10.0.0.1/255.0.255.0", "2001:db8::/32", "2001:db8::1/ffff:ffff::",
        "2001:db8::1/129", "300.1.1.1/8", "-1.0.0.0/8", "1.2.3.4.5/8", "1_0.0.0.1/8",
        "10.0.0.1/2_4", "fe80::1%eth0/64", "10.0.0.1/ 24", "::/0", "0.0.0.0/0", "10.0.0.1//24",
        "10.0.0.1/255.255.255.255", "10.0.0.1/0.0.0.0", "1.1.1.1/\u0662\u0664", ""]
ips = ["10.0.0.1", "10.0.0.200", "10.0.1.1", "11.0.0.1", "::1", "::ffff:10.0.0.1", "2001:db8::5",
       "1.2.3.9", "0.0.0.0"]


def net_case(n):
    try:
        net = netaddr.IPNetwork(n)
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "err": type(e).__name__}
    return {"ok": True, "in": [netaddr.IPAddress(ip) in net for ip in ips]}


out["ips"] = ips
out["nets"] = [[n, net_case(n)] for n in nets]

addrs = ["1.2.3.4", "::1", "::ffff:1.2.3.4", "::1.2.3.4", "::0.0.0.1", "2001:DB8::1", "1:0:0:1:0:0:0:1",
         "64:ff9b::1.2.3.4", "::"]
out["ipstr"] = [[a, str(netaddr.IPAddress(a))] for a in addrs]

preds = [">= 6.0", ">=6.0", "> 6.0", "< 6.0", "== 6.0", "!= 6.0", "<= 6.0.1", ">= 6.0, < 7.0",
         ">= 6.0a1", ">= 6.0b2", "=> 6.0", ">= 6", ">= 6.0.0.0", "", "6.0", ">= 6.0,", ">=  6.0 ",
         ">= 1.2.3", "<1.2.3b4", ">= 0.9", ">= 6.0)(", ">=6.0\n)", "> 2.11"]
versions = [6000000, 6000001, 5999999, 7000000, 1002003, 2011, 5, 1000, 0, 12345678901, 6001000]


def pred_case(p):
    try:
        vp = versionpredicate.VersionPredicate("image_prop (%s)" % p)
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "err": type(e).__name__}
    res = []
    for v in versions:
        res.append(try_(lambda v: vp.satisfied_by(versionutils.convert_version_to_str(v)), v))
    return {"ok": True, "sat": res}


out["versions"] = versions
out["vstr"] = [[v, versionutils.convert_version_to_str(v)] for v in versions]
out["preds"] = [[p, pred_case(p)] for p in preds]

rnd = []
for seed in [0, 1, 42, 2 ** 32 + 7, 123456789]:
    random.seed(seed)
    seq = []
    for n in [1, 2, 3, 5, 7, 10, 100, 1000, 2 ** 31]:
        seq.append([n, random._inst._randbelow(n)])
    lst = list(range(10))
    random.shuffle(lst)
    rnd.append({"seed": seed, "below": seq, "shuffle": lst, "choice": [random.choice(range(n)) for n in (1, 3, 4, 50)]})
out["random"] = rnd

json.dump(out, sys.stdout, separators=(",", ":"), ensure_ascii=True)
sys.stdout.write("\n")
