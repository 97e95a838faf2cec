#!/usr/bin/python3
"""Failed-login latency: a wrong password against an unknown email (bench/run.sh's login timing
row; see bench/README.md). No user enumeration through timing: both must cost the same.

The two kinds alternate on one keep-alive connection, one request at a time (no queueing in the
hashing pool), in a random order within each pair so that neither always goes first; both then
see the same machine, whatever else runs on it. Every answer must be the contract's 401
INVALID_CREDENTIALS envelope: anything else (a 429 lockout, a 503 OVERLOADED) voids the
measurement and the script exits 2. Prints, for each kind, `n`, p50/p90/p99 and the mean in
milliseconds, then the differences (unknown - wrong) / wrong in percent and the verdict.
"""
import argparse
import http.client
import json
import math
import random
import sys
import time

EXPECTED = {"error": {"message": "Invalid credentials", "code": "INVALID_CREDENTIALS"}}
PERCENTILES = (50, 90, 99)


def percentile(ordered, p):
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--email", required=True, help="a registered account")
    parser.add_argument("--unknown-email", required=True, help="an address with no account")
    parser.add_argument("--samples", type=int, default=400, help="measured logins of each kind")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured pairs first")
    parser.add_argument("--tolerance", type=float, default=10.0, help="percent")
    args = parser.parse_args()

    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)

    def login(email):
        body = json.dumps({"email": email, "password": "Wrong-Passw0rd!-timing"})
        start = time.perf_counter_ns()
        connection.request("POST", "/auth/login", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        elapsed_ms = (time.perf_counter_ns() - start) / 1e6
        if response.status != 401 or json.loads(data) != EXPECTED:
            print(f"error: {email} answered {response.status} {data!r}", file=sys.stderr)
            sys.exit(2)
        return elapsed_ms

    kinds = {"wrong_password": args.email, "unknown_email": args.unknown_email}
    times = {kind: [] for kind in kinds}
    for i in range(args.warmup + args.samples):
        order = list(kinds)
        random.shuffle(order)
        for kind in order:
            elapsed_ms = login(kinds[kind])
            if i >= args.warmup:
                times[kind].append(elapsed_ms)

    stats = {}
    for kind, values in times.items():
        ordered = sorted(values)
        stats[kind] = {p: percentile(ordered, p) for p in PERCENTILES}
        fields = " ".join(f"p{p}_ms={stats[kind][p]:.2f}" for p in PERCENTILES)
        print(f"{kind} n={len(values)} {fields} mean_ms={sum(values) / len(values):.2f}")
    diffs = {p: 100 * (stats["unknown_email"][p] - stats["wrong_password"][p])
             / stats["wrong_password"][p] for p in PERCENTILES}
    print("diff " + " ".join(f"p{p}={diffs[p]:+.1f}%" for p in PERCENTILES))
    within = all(abs(d) <= args.tolerance for d in diffs.values())
    print(f"verdict={'within' if within else 'NOT-within'} tolerance={args.tolerance:g}%")


if __name__ == "__main__":
    main()
