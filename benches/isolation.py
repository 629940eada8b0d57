#!/usr/bin/env python3
"""Light requests beside heavy ones: does a lookup wait behind dashboards?

On a x100 synthetic database (2,000 cities, 20 years; each binary synthesizes its own, as an
older binary cannot open a newer schema) with the response cache off, six wrk
connections loop a heavy dashboard (HEAVY below) while eight loop the one-city lookup. Reported
for each binary given: the lookup alone, the heavy query alone, and both at once (lookup
p50/p99/max, refused lookups, heavy req/s, refused heavy requests) — twice: with the same heavy
document every time, and with a comment unique to each heavy request (post-unique.lua), which a
server that keys its lanes on the document's text cannot recognise.
The goal (issues 17 and 23): lookup p99 under 50 ms beside the six dashboards, no lookup
refused, in both runs. Binaries are measured in turns within one run.

    python3 benches/isolation.py target/release/rustbelt [OTHER_BINARY ...]

Environment: DURATION (seconds per wrk run, default 10). Needs wrk (benches/run.sh installs it).
"""

import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from bench import QUERIES, ROOT, WORK, Server, body_file, fmt, log

DURATION = int(os.environ.get("DURATION", "10"))
LOOKUP = QUERIES["lookup"]
# bench.py's dashboard with every entry of each province and 20 observations each: on this
# database an answer of 2.3 MB, about 0.3 s alone.
HEAVY = ("{ plan { provinces(first: 31) { nodes { code nameEn cities(first: 100, membership: [CONFIRMED, CANDIDATE]) {"
         " totalCount nodes { adminCode nameEn observations(first: 20) { nodes { year value } } evaluation { status gap } } } } } } }")


def wrk(url, body, connections, threads, duration, script="post.lua"):
    """(req/s, p50 ms, p99 ms, max ms, refused, total) of one wrk run."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s",
                          "-s", str(ROOT / "benches" / script), url],
                         env={**os.environ, "BODY": str(body)}, capture_output=True, text=True, check=True).stdout
    ms = lambda value, unit: float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    p50 = ms(*re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out).groups())
    p99 = ms(*re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out).groups())
    worst = ms(*re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out).groups())
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, p50, p99, worst, int(refused.group(1)) if refused else 0, total


def measure(binary, db, lookup, heavy, script):
    server = Server([binary, "serve", "--listen", "127.0.0.1:0", "--db", str(db), "--cache-mb", "0"])
    url = server.base + "/graphql"
    try:
        wrk(url, lookup, 8, 2, 2)  # warm: documents parsed, pages cached by the OS
        wrk(url, heavy, 6, 1, 2, script)
        threading.Event().wait(3)  # what the warm-up left queued has ended (within its 2 s limit)
        alone_lookup = wrk(url, lookup, 8, 2, DURATION)
        alone_heavy = wrk(url, heavy, 6, 1, DURATION, script)
        threading.Event().wait(3)
        beside = {}
        loader = threading.Thread(target=lambda: beside.update(heavy=wrk(url, heavy, 6, 1, DURATION + 2, script)))
        loader.start()
        threading.Event().wait(1)  # the dashboards are running before the lookups start
        beside["lookup"] = wrk(url, lookup, 8, 2, DURATION)
        loader.join()
        return alone_lookup, alone_heavy, beside["lookup"], beside["heavy"]
    finally:
        server.stop()


def main():
    binaries = sys.argv[1:]
    if not binaries:
        sys.exit(__doc__)
    # Each binary synthesizes its own file: an older binary cannot open a newer schema.
    files = {}
    for n, binary in enumerate(binaries):
        files[binary] = WORK / f"x100-{n}.db"
        log(f"== {binary}: synthesizing 2,000 cities x 20 years")
        subprocess.run([binary, "synthesize", "--cities", "2000", "--years", "20", "--out", str(files[binary])],
                       check=True, capture_output=True, env={**os.environ, "RUST_LOG": "warn"})
    lookup, heavy = body_file("lookup", LOOKUP), body_file("dashboard", HEAVY)
    lines = [f"Lookup at 8 connections beside 6 connections looping the heavy dashboard (2.3 MB), x100 synthetic data, "
             f"`--cache-mb 0`, wrk {DURATION} s per run. Command: `python3 benches/isolation.py {' '.join(binaries)}`.", "",
             "| binary | heavy text | lookup alone p99 ms | lookup beside p50 ms | p99 ms | max ms | lookups refused | heavy alone req/s | heavy beside req/s | heavy refused | heavy served beside /s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    runs = [(binary, script, text) for binary in binaries
            for script, text in (("post.lua", "the same"), ("post-unique.lua", "a unique comment each"))]
    for binary, script, text in runs:
        log(f"== {binary}, {text}")
        alone_lookup, alone_heavy, lookup_beside, heavy_beside = measure(binary, files[binary], lookup, heavy, script)
        lines.append(f"| `{binary}` | {text} | {fmt(alone_lookup[2], 2)} | {fmt(lookup_beside[1], 2)} | {fmt(lookup_beside[2], 2)} "
                     f"| {fmt(lookup_beside[3], 1)} | {lookup_beside[4]} of {lookup_beside[5]} | {fmt(alone_heavy[0], 2)} "
                     f"| {fmt(heavy_beside[0], 2)} | {heavy_beside[4]} of {heavy_beside[5]} "
                     # wrk's rate counts refusals too: what was answered, per second of the run.
                     f"| {fmt((heavy_beside[5] - heavy_beside[4]) / (DURATION + 2), 2)} |")
        log(lines[-1])
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benches" / "results" / "isolation.md").write_text(text)


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)  # the x100 databases: 80 MB each
