#!/usr/bin/python3
"""The figures of one chaos run (bench/chaos, issue #17) from the load client's JSON summary, the
/ready probe log and the fault's start and end (epoch ms): prints one markdown table row and
appends it to RESULTS.

usage: figures.py RESULTS FAULT MODE LOAD_JSON LOAD_START_MS PROBE_LOG FAULT_START_MS FAULT_END_MS
"""
import json
import sys

results, fault, mode, load_json, load_start, probe_log, f_start, f_end = sys.argv[1:9]
load_start, f_start, f_end = int(load_start), int(f_start), int(f_end)
load = json.load(open(load_json))
step = load["timeline_ms"]


def window(rows, lo, hi):
    return [r for r in rows if lo <= load_start + r["t_ms"] < hi]


def failed_by_kind(rows):
    kinds = {}
    for r in rows:
        for status, n in r["unexpected_statuses"].items():
            kinds[status] = kinds.get(status, 0) + n
        if r["lost"]:
            kinds["no answer"] = kinds.get("no answer", 0) + r["lost"]
        if r["timeouts"]:
            kinds["timeout"] = kinds.get("timeout", 0) + r["timeouts"]
    return kinds


rows = load["timeline"]
down = window(rows, f_start, f_end)
down_ok = sum(r["ok"] for r in down)
down_failed = failed_by_kind(down)
down_text = f"{down_ok} ok" + "".join(f", {n} {k}" for k, n in sorted(down_failed.items()))

# Serving again: the first bucket after the fault's end from which no bucket fails any more.
after = window(rows, f_end, 1 << 62)
again = None
for i, r in enumerate(after):
    if r["ok"] > 0 and all(x["failed"] == 0 for x in after[i:]):
        again = load_start + r["t_ms"] - f_end
        break
again_text = "never" if again is None else f"{max(0, again)} ms"

probes = []
for line in open(probe_log):
    parts = line.split()
    if len(parts) == 2:
        probes.append((int(parts[0]), int(parts[1])))
red = next((t - f_start for t, s in probes if t >= f_start and s != 200), None)
green = next((t - f_end for t, s in probes if t >= f_end and s == 200), None)
red_text = "stayed green" if red is None else f"{red} ms"
green_text = "-" if red is None else ("never" if green is None else f"{green} ms")

total = load["total"]
no_answer = total["lost"] + total["timeouts"]
row = (f"| {fault} | {mode} | {(f_end - f_start) / 1000:.1f} s | {load['requests']} | {down_text} | "
       f"{red_text} | {green_text} | {again_text} | {no_answer} | "
       f"{load['latency_ms']['max']:.0f} ms |")
print(row)
with open(results, "a") as out:
    out.write(row + "\n")
