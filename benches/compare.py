#!/usr/bin/env python3
"""Two rustbelt binaries side by side on the throughput table's cells and the nested query of
the peer tables: each query, cached and uncached, at 1, 8 and 64 connections, the two measured in turns (three wrk runs each, medians),
and the peak memory of each. A change is judged against the binary before it in one run on one
machine, never against figures from another day or another host.

Usage: python3 benches/compare.py BEFORE AFTER   (two release binaries; run benches/run.sh once
first, which installs wrk). DURATION sets seconds per wrk run (default 8, each turn half).
"""

import shutil
import sys

import bench
from bench import CONNECTIONS, DURATION, NESTED_OURS, QUERIES, WORK, body_file, fmt, median_run, rounds, rustbelt


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    before, after = sys.argv[1:]
    if before == after:
        sys.exit("BEFORE and AFTER are the same file: copy one binary to another path to compare it with itself")
    # Each binary seeds a file of its own: an older one may not open a newer schema.
    dbs = {before: WORK / "before.db", after: WORK / "after.db"}
    turn = max(2, DURATION // 2)
    lines = [f"Each cell: the median of three {turn} s wrk runs of each binary, in turns.", "",
             "| query | cache | conns | before req/s | after req/s | after ÷ before | before p99 ms | after p99 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    peaks = {before: 0.0, after: 0.0}
    for cached in (True, False):
        extra = [] if cached else ["--cache-mb", "0"]
        for name, query in {**QUERIES, "nested": NESTED_OURS}.items():
            servers = [rustbelt(dbs[binary], *extra, binary=binary) for binary in (before, after)]
            body = body_file(name, query)
            for connections in CONNECTIONS:
                old, new = (median_run(runs) for runs in
                            rounds([(s.base + "/graphql", body) for s in servers], connections, turn))
                lines.append(f"| {name} | {'cached' if cached else 'uncached'} | {connections} | {fmt(old[0])} |"
                             f" {fmt(new[0])} | {new[0] / old[0]:.2f} | {old[2]:.2f} | {new[2]:.2f} |")
                bench.log(f"  {name} {'cached' if cached else 'uncached'} c={connections}:"
                          f" {old[0]:.0f} → {new[0]:.0f} rps")
            for binary, server in zip((before, after), servers):
                peaks[binary] = max(peaks[binary], server.peak_rss_mb())
                server.stop()
    lines += ["", f"Peak RSS over these runs: before {peaks[before]:.1f} MB, after {peaks[after]:.1f} MB."]
    print("\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
