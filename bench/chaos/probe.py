#!/usr/bin/python3
"""Polls GET /ready (or another path) every INTERVAL seconds and writes `epoch_ms status` lines
until killed: the readiness timeline of a chaos run (bench/chaos, issue #17)."""
import http.client
import sys
import time

port, out_path = int(sys.argv[1]), sys.argv[2]
path = sys.argv[3] if len(sys.argv) > 3 else "/ready"
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05
with open(out_path, "w", buffering=1) as out:
    while True:
        started = time.time()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
        except Exception:
            status = 0
        out.write(f"{int(started * 1000)} {status}\n")
        time.sleep(max(0.0, interval - (time.time() - started)))
