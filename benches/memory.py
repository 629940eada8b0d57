#!/usr/bin/env python3
"""Peak memory of rustbelt binaries on ×1,000 synthetic data at 64 connections: each binary
writes its own file (`rustbelt synthesize`, 18,000 cities × 20 years), serves it uncached
(`--cache-mb 0`), answers every benchmark query and the nested query under wrk at 64
connections for DURATION seconds each, and reports its peak resident memory (VmHWM) and the
requests it served. Memory does not move with the machine's load as req/s does, so binaries
measured one after another compare.

Usage: python3 benches/memory.py BINARY [BINARY ...]   (release binaries; needs wrk)
"""

import subprocess
import sys

import bench
from bench import DURATION, NESTED_OURS, QUERIES, WORK, body_file, fmt, rustbelt, wrk


def main():
    binaries = sys.argv[1:]
    if not binaries:
        sys.exit(__doc__)
    queries = {**QUERIES, "nested": NESTED_OURS}
    lines = [f"Peak RSS on ×1,000 synthetic data (18,000 cities × 20 years), uncached, wrk {DURATION} s per query "
             "at 64 connections.", "",
             "| binary | " + " | ".join(f"{name} req/s" for name in queries) + " | peak RSS MB |",
             "|---|" + "---:|" * (len(queries) + 1)]
    for index, binary in enumerate(binaries):
        db = WORK / f"memory-{index}.db"
        subprocess.run([binary, "synthesize", "--out", str(db), "--cities", "18000", "--years", "20"],
                       check=True, stdout=subprocess.DEVNULL)
        server = rustbelt(db, "--cache-mb", "0", binary=binary)
        rates = []
        for name, query in queries.items():
            run = wrk(server.base + "/graphql", body_file(name, query), 64)
            rates.append(f"{fmt(run[0])} ({run[3]} of {run[4]} refused)")
        peak = server.peak_rss_mb()
        server.stop()
        bench.log(f"  {binary}: peak {peak:.1f} MB")
        lines.append(f"| `{binary}` | " + " | ".join(rates) + f" | {peak:.1f} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
