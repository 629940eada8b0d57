#!/usr/bin/env python3
"""Instructions per request of rustbelt binaries on each benchmark query, uncached, counted by
callgrind (valgrind): the same count to about 1 % from run to run however busy the machine is,
where req/s moves ±15 %. It is the way to see a change of a few percent; it is not a time (a
cache miss counts as one instruction, and waiting counts nothing), so what a change does to
req/s is still measured with benches/compare.py.

Usage: python3 benches/instructions.py BINARY [BINARY ...]   (release binaries; needs valgrind:
`apt-get install valgrind`). Each binary seeds a file of its own and serves it under callgrind
with counting off; each query is sent five times uncounted (the document is parsed and checked,
statements prepared), then REQUESTS times (default 30) one after another with counting on.
Prints a table, each binary's count ÷ the first's.
"""

import os
import re
import shutil
import subprocess
import sys

import bench
from bench import NESTED_OURS, QUERIES, WORK, Server, fmt, post, rustbelt

REQUESTS = int(os.environ.get("REQUESTS", "30"))
WARM_UP = 5


def count(binary, db, query):
    """Instructions per request of `binary` answering `query` uncached on `db`."""
    out = WORK / "callgrind.out"
    out.unlink(missing_ok=True)
    server = Server(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                     str(binary), "serve", "--listen", "127.0.0.1:0", "--db", str(db), "--cache-mb", "0"])
    url = server.base + "/graphql"
    for _ in range(WARM_UP):
        check(post(url, query)[0])
    control = ["callgrind_control", "--instr"]
    subprocess.run([*control, "on", str(server.process.pid)], check=True, capture_output=True)
    for _ in range(REQUESTS):
        post(url, query)
    subprocess.run([*control, "off", str(server.process.pid)], check=True, capture_output=True)
    server.stop()  # callgrind writes its counts at exit; nothing is counted after "off"
    totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
    return int(totals.group(1)) / REQUESTS


def check(response):
    if b'"errors"' in response:
        raise RuntimeError(f"the query failed: {response[:300]!r}")


def main():
    binaries = sys.argv[1:]
    if not binaries:
        sys.exit(__doc__)
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    if len(set(binaries)) != len(binaries):
        sys.exit("a binary is named twice: copy it to another path to count it against itself")
    dbs = {}
    for index, binary in enumerate(binaries):
        dbs[binary] = WORK / f"instructions-{index}.db"
        rustbelt(dbs[binary], binary=binary).stop()  # seeded at native speed, not under valgrind
    queries = {**QUERIES, "nested": NESTED_OURS}
    columns = [f"`{name}`" for name in binaries] + [f"`{name}` ÷ first" for name in binaries[1:]]
    lines = [f"Instructions per uncached request (callgrind, {REQUESTS} requests after {WARM_UP} uncounted).", "",
             "| query | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, query in queries.items():
        counts = [count(binary, dbs[binary], query) for binary in binaries]
        bench.log(f"  {name}: " + ", ".join(f"{c:,.0f}" for c in counts))
        cells = [fmt(c) for c in counts] + [f"{c / counts[0]:.3f}" for c in counts[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
