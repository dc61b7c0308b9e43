#!/usr/bin/env python3
"""Regenerates oracle_digests.txt from the independent Python reference implementation
(testdata/rekor-vectors/merkle_ref.py, RFC 6962 by its definitions).

Leaves are leaf_hash(str(i).encode()) for i in 0..300. For every tree size n in 1..=300 the file has
one line: n, MTH hex, SHA-256 over the concatenation of the inclusion proofs for every index
0..n-1, and SHA-256 over the concatenation of the consistency proofs from every size m in 1..=n.

Run: python3 gen_oracle.py > oracle_digests.txt
"""
import functools, hashlib, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../../testdata/rekor-vectors"))
import merkle_ref as ref  # noqa: E402

N = 300
leaves = tuple(ref.leaf_hash(str(i).encode()) for i in range(N))

# Memoize the reference MTH (pure function of the leaf tuple) so all proofs finish in seconds.
ref_mth = ref.mth
@functools.lru_cache(maxsize=None)
def mth_cached(ls):
    return ref_mth(list(ls))
ref.mth = lambda ls: mth_cached(tuple(ls))

for n in range(1, N + 1):
    ls = list(leaves[:n])
    root = ref.mth(ls)
    incl = hashlib.sha256()
    for m in range(n):
        p = ref.path(m, ls)
        assert ref.verify_inclusion(m, n, ls[m], p, root)
        incl.update(b"".join(p))
    cons = hashlib.sha256()
    for m in range(1, n + 1):
        p = ref.consistency(m, ls) if m < n else []
        assert ref.verify_consistency(m, n, p, ref.mth(ls[:m]), root)
        cons.update(b"".join(p))
    print(n, root.hex(), incl.hexdigest(), cons.hexdigest())
