#!/usr/bin/env python3
"""The workspace's dependency rules (README "Layout"), checked over `cargo metadata`.

A crate's group is its folder: crates/<group>/<crate>. Normal (non-dev, non-build) dependencies
only, followed transitively through the workspace:
- core crates depend on nothing outside core;
- client crates never depend on log or services crates;
- signet-ca never depends on signet-ct.
Prints one line per broken rule and exits 1, or prints a summary and exits 0.
"""
import json
import os
import subprocess
import sys

run = subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--locked"],
    capture_output=True,
    text=True,
)
if run.returncode != 0:
    sys.exit(f"layers: cargo metadata failed:\n{run.stderr}")
meta = json.loads(run.stdout)
root = meta["workspace_root"]
members = set(meta["workspace_members"])
group = {}
for p in meta["packages"]:
    if p["id"] not in members:
        continue
    rel = os.path.relpath(os.path.dirname(p["manifest_path"]), root).split(os.sep)
    if len(rel) != 3 or rel[0] != "crates":
        sys.exit(f"layout: {p['name']} is not in crates/<group>/<crate> ({'/'.join(rel)})")
    group[p["name"]] = rel[1]

# Normal dependencies between workspace crates, from the resolved graph.
name_of = {p["id"]: p["name"] for p in meta["packages"]}
deps = {n: set() for n in group}
for node in meta["resolve"]["nodes"]:
    n = name_of[node["id"]]
    if n not in group:
        continue
    for d in node["deps"]:
        if any(k["kind"] is None for k in d["dep_kinds"]) and name_of[d["pkg"]] in group:
            deps[n].add(name_of[d["pkg"]])


def closure(n):
    seen, todo = set(), [n]
    while todo:
        for d in deps[todo.pop()]:
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


broken = []
for n, g in sorted(group.items()):
    reach = closure(n)
    if g == "core":
        broken += [f"{n} (core) depends on {d} ({group[d]})" for d in sorted(reach) if group[d] != "core"]
    if g == "clients":
        broken += [f"{n} (clients) depends on {d} ({group[d]})" for d in sorted(reach) if group[d] in ("log", "services")]
    if n == "signet-ca" and "signet-ct" in reach:
        broken.append("signet-ca depends on signet-ct (it must know the CT log only through a trait)")
for b in broken:
    print(f"layers: {b}")
if broken:
    sys.exit(1)
counts = {}
for g in group.values():
    counts[g] = counts.get(g, 0) + 1
print("layers: OK (" + ", ".join(f"{g} {c}" for g, c in sorted(counts.items())) + ")")
