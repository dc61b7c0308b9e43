#!/usr/bin/env python3
"""Regenerates jcs_vectors.jsonl: inputs and their RFC 8785 canonical form, computed by the
independent Python implementation `rfc8785` (PyPI, version 0.1.4; Trail of Bits).

Run: pip install rfc8785==0.1.4 && python3 gen_jcs.py > jcs_vectors.jsonl
Each line: {"input": <JSON text>, "canonical": <canonical text>}.
"""
import json, random, rfc8785

cases = [
    {"b": 1, "a": 2, "c": {"z": [3, 2, 1], "y": None}},
    {"\u20ac": "euro", "\r": "cr", "1": "one", "\ud83d\ude00": "emoji", "\u00e9": "e-acute"},
    {"s": "quote\" backslash\\ slash/ <tag> & \u2028 \u2029 \u0001 \u001f \t\n\r\b\f"},
    {"numbers": [0, -0.0, 1, -1, 1.5, 1e21, 1e-7, 123456789012345, 9007199254740991, 0.1, 100, 1e300, 5e-324]},
    {"nested": [{"b": [], "a": {}}, [[[]]], True, False, None]},
    {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {"signature": {"publicKey": {"content": "LS0t"}, "content": "MEUC"}, "data": {"hash": {"value": "ab", "algorithm": "sha256"}}}},
]
rnd = random.Random(7)
for _ in range(40):
    d = {}
    for _ in range(rnd.randint(1, 6)):
        k = "".join(rnd.choice("abcXYZ\u00e9\u20ac\U0001f600_-") for _ in range(rnd.randint(1, 4)))
        d[k] = rnd.choice([rnd.randint(-10**15, 10**15), rnd.random() * 10 ** rnd.randint(-5, 20), "v\u00e9" * rnd.randint(0, 3), None, [1, "x"]])
    cases.append(d)
for c in cases:
    text = json.dumps(c, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice([None, 2]))
    print(json.dumps({"input": text, "canonical": rfc8785.dumps(json.loads(text)).decode("utf-8")}, ensure_ascii=True))
