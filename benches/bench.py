#!/usr/bin/env python3
"""The rustbelt benchmark: the release binary on a free port under a real load generator (wrk),
beside three peers (Datasette + datasette-graphql on the same SQLite file; PostGraphile 5 over a
copy of it in PostgreSQL, benches/postgraphile_peer.py; the server seaography generates from the
same file, benches/seaography_peer.py), a floor (the same response bytes from
a trivial axum handler on the same runtime) and a ceiling (the same answers re-served through
async-graphql alone, from memory), in one run on one machine.

Run it through benches/run.sh, which installs what it needs. Prints Markdown tables and writes
them to benches/results/latest.md. Environment: DURATION (seconds per wrk run, default 8);
ONLY=postgraphile or ONLY=seaography (or that argument) runs only that peer's comparison;
RUSTBELT, another rustbelt binary to measure.
"""

import atexit
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import postgraphile_peer as pgpeer
import seaography_peer as seapeer

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target"
RUSTBELT = Path(os.environ.get("RUSTBELT", TARGET / "release" / "rustbelt"))
FLOOR = TARGET / "release" / "examples" / "floor"
CEILING = TARGET / "release" / "examples" / "ceiling"
VENV = TARGET / "bench-venv"
WORK = Path(tempfile.mkdtemp(prefix="rustbelt-bench-"))
DURATION = int(os.environ.get("DURATION", "8"))
CONNECTIONS = [1, 8, 64]

QUERIES = {
    "lookup": '{ city(code: "Bengbu") { adminCode nameEn nameZh membership province { nameEn } } }',
    # plan → provinces → cities → observations → evaluation of every target.
    "dashboard": "{ plan { provinces(first: 31) { nodes { code nameEn cities(first: 20, membership: [CONFIRMED, CANDIDATE]) {"
    " totalCount nodes { adminCode nameEn observations(first: 10) { nodes { year value } } evaluation { status gap } } } } } } }",
    "evaluations": '{ target(code: "services_share_2017") { evaluations(first: 500, filter: { membership: [CONFIRMED, CANDIDATE] })'
    " { totalCount statusCounts { status count } nodes { city { adminCode } status latestValue gap } } } }",
}
# The same logical nested query for rustbelt and for the peer (the peer cannot evaluate).
NESTED_OURS = ("{ provinces(first: 31) { nodes { code nameEn cities(first: 20, membership: [CONFIRMED, CANDIDATE]) {"
               " totalCount nodes { adminCode nameEn observations(first: 10) { nodes { year value } } } } } } }")
NESTED_PEER = ("{ provinces(first: 31) { nodes { code name_en cities_list(first: 20) {"
               " totalCount nodes { admin_code name_en observations_list(first: 10) { nodes { year value } } } } } } }")


STARTED = []
CLEANUP = []  # run after the processes are gone: the PostgreSQL cluster's stop


@atexit.register
def stop_everything():
    """No server outlives the benchmark, even when it fails."""
    for process in STARTED:
        if process.poll() is None:
            process.kill()
    for cleanup in reversed(CLEANUP):
        cleanup()


# A SIGTERM (a CI timeout, `kill`) ends the run through atexit as well, not around it.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Server:
    """A process that prints `listening on http://HOST:PORT` first (rustbelt, the floor)."""

    def __init__(self, argv):
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env={**os.environ, "RUST_LOG": "warn"}, text=True)
        STARTED.append(self.process)
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"{argv[0]} did not start: {line!r}")
        self.base = line.removeprefix("listening on ")

    def peak_rss_mb(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


class Datasette:
    """The peer: Datasette with datasette-graphql serving the same file (Datasette opens it
    read-only; not `--immutable`, which would ignore the write-ahead log rustbelt keeps)."""

    def __init__(self, db):
        port = free_port()
        # The plugin refuses requests over 1 s or 100 SQL queries by default; under load its
        # nested requests take longer, so its limits are raised: we measure work, not refusals.
        metadata = WORK / "datasette-metadata.json"
        metadata.write_text(json.dumps(
            {"plugins": {"datasette-graphql": {"time_limit_ms": 60_000, "num_queries_limit": 10_000}}}))
        self.process = subprocess.Popen([str(VENV / "bin" / "datasette"), "serve", str(db), "-p", str(port),
                                         "-m", str(metadata), "--setting", "sql_time_limit_ms", "10000"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        STARTED.append(self.process)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.base + "/-/versions.json", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("datasette did not start")

    def peak_rss_mb(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def free_port():
    """A port nothing listens on now (the peer takes a port number, not port 0)."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url, query):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "Accept": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        data = response.read()
    return data, time.perf_counter() - started


def body_file(name, query):
    path = WORK / f"{name}.json"
    path.write_text(json.dumps({"query": query}))
    return path


def wrk(url, body, connections, duration=DURATION):
    """Requests per second and p50/p99 latency (ms) of one wrk run."""
    threads = min(connections, 2)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s",
                          "-s", str(ROOT / "benches" / "post.lua"), url],
                         env={**os.environ, "BODY": str(body)}, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # Refusals (503 TIMEOUT under overload) are counted and reported, not hidden.
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    total = int(re.search(r"(\d+) requests in", out).group(1))
    latency = {}
    for percentile in ("50", "99"):
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", out).groups()
        latency[percentile] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, latency["50"], latency["99"], failed, total


def rustbelt(db, *extra, binary=RUSTBELT):
    return Server([str(binary), "serve", "--listen", "127.0.0.1:0", "--db", str(db), *extra])


def fmt(x, digits=0):
    return f"{x:,.{digits}f}"


def throughput(tables, db, cache_note):
    """Each query at 1, 8 and 64 connections, cached and uncached, beside the floor.

    The floor and rustbelt run side by side and are measured in turns (floor, ours, three
    times over) for every cell, and each reports its median: load from the rest of a shared
    machine then weighs on both alike instead of on whichever ran during a busy spell.
    Returns the uncached ratios, by query and connections, for the ceiling's table."""
    rows = []
    turn = max(2, DURATION // 2)
    for cached in (True, False):
        for name, query in QUERIES.items():
            server = rustbelt(db, *([] if cached else ["--cache-mb", "0"]))
            body = body_file(name, query)
            response, _ = post(server.base + "/graphql", query)
            if b'"errors"' in response:
                raise RuntimeError(f"{name}: {response[:300]!r}")
            floor_body = WORK / f"{name}.response"
            floor_body.write_bytes(response)
            floor = Server([str(FLOOR), str(floor_body)])
            for connections in CONNECTIONS:
                floors, ours = in_turns(floor, server, body, connections, turn)
                base, mine = median_run(floors), median_run(ours)
                total = tuple(sum(run[i] for run in ours) for i in (3, 4))
                mine = mine[:3] + total
                rows.append((name, "cached" if cached else "uncached", connections, mine, base, len(response)))
                log(f"  {name} {'cached' if cached else 'uncached'} c={connections}: {mine[0]:.0f} rps vs floor {base[0]:.0f}")
            floor.stop()
            rows[-1] = rows[-1] + (server.peak_rss_mb(),)
            server.stop()
    lines = [f"### Throughput on {cache_note}", "",
             f"Each cell: the median of three {turn} s wrk runs, taken in turns with the floor's.", "",
             "| query | cache | conns | req/s | p50 ms | p99 ms | refused | floor req/s | ours ÷ floor | response bytes | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        name, cache, connections, (rps, p50, p99, failed, total), floor, size = row[:6]
        rss = fmt(row[6], 1) if len(row) > 6 else ""
        lines.append(f"| {name} | {cache} | {connections} | {fmt(rps)} | {p50:.2f} | {p99:.2f} | {failed} of {total} |"
                     f" {fmt(floor[0])} | {rps / floor[0]:.2f} | {fmt(size)} | {rss} |")
    tables.append("\n".join(lines))
    return {(row[0], row[2]): row[3][0] / row[4][0] for row in rows if row[1] == "uncached"}


def ceiling(tables, db, uncached):
    """Each query through async-graphql alone, beside the floor: examples/ceiling.rs re-serves
    rustbelt's own answers from memory (no database, loaders or HTTP layers), so `ceiling ÷
    floor` bounds what any server that resolves these values with async-graphql can reach.
    Measured in turns with the floor, as the throughput table is."""
    turn = max(2, DURATION // 2)
    top, saved = start_ceiling(db)
    lines = ["### The executor's ceiling: async-graphql alone, answering from memory", "",
             f"rustbelt's answers re-served through async-graphql 7 with no database (`examples/ceiling.rs`);"
             f" each cell the median of three {turn} s wrk runs, in turns with the floor's.", "",
             "| query | conns | ceiling req/s | p50 ms | p99 ms | floor req/s | ceiling ÷ floor | rustbelt uncached ÷ floor |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, query in QUERIES.items():
        ours = json.loads(saved[name].read_bytes())
        theirs = json.loads(post(top.base + "/graphql", query)[0])
        if theirs.get("errors") or theirs.get("data") != ours["data"]:
            raise RuntimeError(f"ceiling: {name} answered differently: {json.dumps(theirs)[:300]}")
        body = body_file(name, query)
        floor = Server([str(FLOOR), str(saved[name])])
        for connections in CONNECTIONS:
            base, best = map(median_run, in_turns(floor, top, body, connections, turn))
            lines.append(f"| {name} | {connections} | {fmt(best[0])} | {best[1]:.2f} | {best[2]:.2f} | {fmt(base[0])} |"
                         f" {best[0] / base[0]:.2f} | {uncached[(name, connections)]:.2f} |")
            log(f"  ceiling {name} c={connections}: {best[0]:.0f} rps vs floor {base[0]:.0f}")
        floor.stop()
    top.stop()
    tables.append("\n".join(lines))


def start_ceiling(db):
    """examples/ceiling.rs serving rustbelt's own answers on `db` to the three queries, and
    where those answers were saved."""
    server = rustbelt(db, "--cache-mb", "0")
    saved = {}
    for name, query in QUERIES.items():
        saved[name] = WORK / f"{name}.response"
        saved[name].write_bytes(post(server.base + "/graphql", query)[0])
    server.stop()
    return Server([str(CEILING), *(str(saved[name]) for name in ("lookup", "dashboard", "evaluations"))]), saved


def in_turns(floor, server, body, connections, turn):
    """Three wrk runs of each server, the floor first, in turns: the runs of each."""
    return rounds([(floor.base + "/graphql", body), (server.base + "/graphql", body)], connections, turn)


def rounds(targets, connections, turn):
    """Three wrk runs of each (url, body), in turns, in the order given: the runs of each."""
    runs = [[] for _ in targets]
    for _ in range(3):
        for mine, (url, body) in zip(runs, targets):
            mine.append(wrk(url, body, connections, duration=turn))
    return runs


def median_run(runs):
    """The run with the median throughput (its latencies come with it)."""
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def peer(tables, db):
    """The same nested query on rustbelt (uncached) and on Datasette + datasette-graphql."""
    lines = ["### Against the peer (same nested query, same SQLite file)", "",
             "| server | conns | req/s | p50 ms | p99 ms | refused | peak RSS MB |", "|---|---:|---:|---:|---:|---:|---:|"]
    server = rustbelt(db, "--cache-mb", "0")
    ours_body = body_file("nested", NESTED_OURS)
    datasette = Datasette(db)
    try:
        compare(lines, server, ours_body, datasette)
    finally:
        server.stop()
        datasette.stop()
    tables.append("\n".join(lines))


def compare(lines, server, ours_body, datasette):
    """Fills the peer table: the same nested query at 1 and 8 connections on both servers."""
    peer_body = body_file("nested-peer", NESTED_PEER)
    response, _ = post(datasette.base + "/graphql", NESTED_PEER)
    if b'"errors"' in response:
        raise RuntimeError(f"peer: {response[:300]!r}")
    ratios = []
    for connections in (1, 8):
        ours = wrk(server.base + "/graphql", ours_body, connections)
        theirs = wrk(datasette.base + "/graphql", peer_body, connections, duration=max(DURATION, 10))
        ratios.append((connections, ours[0] / theirs[0]))
        lines.append(f"| rustbelt | {connections} | {fmt(ours[0])} | {ours[1]:.2f} | {ours[2]:.2f} | {ours[3]} of {ours[4]} |"
                     f" {server.peak_rss_mb():.1f} |")
        lines.append(f"| datasette-graphql | {connections} | {fmt(theirs[0], 1)} | {theirs[1]:.2f} | {theirs[2]:.2f} |"
                     f" {theirs[3]} of {theirs[4]} | {datasette.peak_rss_mb():.1f} |")
        log(f"  peer c={connections}: ours {ours[0]:.0f} rps, peer {theirs[0]:.1f} rps")
    lines.append("")
    lines.append("ours ÷ peer: " + ", ".join(f"{ratio:,.0f}× at {c} connection{'s' if c > 1 else ''}" for c, ratio in ratios))


def postgraphile(tables, db):
    """The nested query on rustbelt, cached and uncached, and on PostGraphile 5 over a copy of
    the same file in PostgreSQL, beside the ceiling and the floor (the bounds of any answer on
    async-graphql and on this HTTP stack). The answers must hold the same rows; then the five
    servers are measured in turns (three times over) for each number of connections, and each
    reports its median run, as the throughput table does."""
    turn = max(2, DURATION // 2)
    top, _ = start_ceiling(db)
    theirs = pgpeer.PostGraphile(db, CLEANUP, STARTED)
    servers = {"cached": rustbelt(db), "uncached": rustbelt(db, "--cache-mb", "0")}
    bounds = [top]
    try:
        answer = pgpeer.ask(theirs.base + "/graphql", pgpeer.QUERY)
        for label, server in servers.items():
            ours = json.loads(post(server.base + "/graphql", NESTED_OURS)[0])
            entries, observations = pgpeer.same_rows(f"rustbelt {label}", ours, answer)
        if json.loads(post(top.base + "/graphql", NESTED_OURS)[0]).get("data") != ours["data"]:
            raise RuntimeError("ceiling: the nested query answered differently from rustbelt")
        saved = WORK / "nested.response"
        saved.write_bytes(post(servers["cached"].base + "/graphql", NESTED_OURS)[0])
        floor = Server([str(FLOOR), str(saved)])
        bounds.append(floor)
        ours_body, their_body = body_file("nested", NESTED_OURS), body_file("nested-postgraphile", pgpeer.QUERY)
        wrk(theirs.base + "/graphql", their_body, 8, duration=turn)  # not counted: Node's JIT warms up
        targets = [(server.base + "/graphql", ours_body) for server in (*servers.values(), top, floor)]
        targets.append((theirs.base + "/graphql", their_body))
        names = ("rustbelt cached", "rustbelt uncached", "ceiling: async-graphql alone", "floor: the bytes from memory",
                 "PostGraphile")
        lines = ["### Against PostGraphile 5 (same nested query, same rows, PostgreSQL)", "",
                 theirs.note(turn, entries, observations), "",
                 "| conns | server | req/s | p50 ms | p99 ms | refused | ÷ PostGraphile | ÷ ceiling |",
                 "|---:|---|---:|---:|---:|---:|---:|---:|"]
        for connections in CONNECTIONS:
            runs = rounds(targets, connections, turn)
            top_rps, base = median_run(runs[2])[0], median_run(runs[4])[0]
            for name, server_runs in zip(names, runs):
                rps, p50, p99 = median_run(server_runs)[:3]
                failed, total = (sum(run[i] for run in server_runs) for i in (3, 4))
                ratio = f"{rps / base:,.1f}" if name != "PostGraphile" else ""
                of_top = f"{rps / top_rps:.2f}" if name.startswith("rustbelt") else ""
                lines.append(f"| {connections} | {name} | {fmt(rps)} | {p50:.2f} | {p99:.2f} | {failed} of {total} |"
                             f" {ratio} | {of_top} |")
            log(f"  postgraphile c={connections}: ours {median_run(runs[0])[0]:.0f} / {median_run(runs[1])[0]:.0f} rps,"
                f" ceiling {top_rps:.0f}, PostGraphile {base:.0f} rps")
    finally:
        for server in (*servers.values(), *bounds):
            server.stop()
        theirs.stop()
    tables.append("\n".join(lines))


def scale(tables, databases):
    """The dashboard on the real seed and on synthetic data ×100 and ×1,000."""
    lines = ["### Scale: the dashboard query", "",
             "| database | cities | rows returned | ms per request | µs per row | statements | peak RSS MB (64 conns, all 3 queries) | refused at 64 conns | errors, one request each |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for label, db, cities in databases:
        server = rustbelt(db, "--cache-mb", "0")
        times, body = [], b""
        for _ in range(5):
            body, seconds = post(server.base + "/graphql", QUERIES["dashboard"])
            times.append(seconds)
        data = json.loads(body)
        provinces = data["data"]["plan"]["provinces"]["nodes"]
        rows = sum(1 + len(c["observations"]["nodes"]) + len(c["evaluation"]) for p in provinces for c in p["cities"]["nodes"])
        median = sorted(times)[len(times) // 2]
        # Each query once, alone: an answer with errors (a TIMEOUT on large data) is reported,
        # not hidden behind a 200 status.
        errors = []
        for name in QUERIES:
            answer = json.loads(post(server.base + "/graphql", QUERIES[name])[0])
            codes = sorted({e.get("extensions", {}).get("code", "?") for e in answer.get("errors", [])})
            if codes:
                errors.append(f"{name}: {', '.join(codes)}")
        failed = total = 0
        for name in QUERIES:
            run = wrk(server.base + "/graphql", body_file(name, QUERIES[name]), 64, duration=max(3, DURATION // 2))
            failed, total = failed + run[3], total + run[4]
        lines.append(f"| {label} | {fmt(cities)} | {fmt(rows)} | {median * 1000:.1f} | {median * 1e6 / rows:.1f} |"
                     f" {data['extensions']['sqlStatements']} | {server.peak_rss_mb():.1f} | {failed} of {total} |"
                     f" {'; '.join(errors) or 'none'} |")
        log(f"  scale {label}: {median * 1000:.1f} ms, {rows} rows")
        server.stop()
    tables.append("\n".join(lines))


def main():
    for tool in ("wrk",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run benches/run.sh, which installs it")
    only = os.environ.get("ONLY") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if only not in ("", "postgraphile", "seaography"):
        sys.exit(f"unknown part {only!r}: the parts that run alone are `postgraphile` and `seaography`")
    real = WORK / "real.db"
    x100, x1000 = WORK / "x100.db", WORK / "x1000.db"
    # Every entry of the seed, confirmed and candidate (the benchmark queries ask for both).
    entries = sum(len((ROOT / "seed" / name).read_text().splitlines()) - 1
                  for name in ("cities.csv", "cities_candidates.csv"))
    rustbelt(real).stop()  # create and seed
    bench = sys.modules[__name__]  # the harness the seaography block uses
    if only != "postgraphile":
        log("generating and building the seaography server from the seeded file (benches/seaography/build.sh)")
        sea_binary = seapeer.build(real)
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    header = (f"## Benchmark run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
              f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
              f"wrk {DURATION} s per run; release build. Command: `{f'ONLY={only} ' if only else ''}benches/run.sh`.")
    tables = [header]
    if only == "postgraphile":
        log("PostGraphile (rustbelt cached and uncached, PostGraphile)")
        postgraphile(tables, real)
        print("\n\n".join(tables))  # not written to latest.md, which holds whole runs
        shutil.rmtree(WORK, ignore_errors=True)
        return
    log("generating synthetic databases (×100: 1,800 cities, ×1,000: 18,000 cities; 20 years × 6 indicators)")
    for path, cities in ((x100, 1_800), (x1000, 18_000)):
        subprocess.run([str(RUSTBELT), "synthesize", "--out", str(path), "--cities", str(cities), "--years", "20"],
                       check=True, stdout=subprocess.DEVNULL)
    synthetic = [("×100 synthetic", x100, 1_800 + entries), ("×1,000 synthetic", x1000, 18_000 + entries)]
    if only == "seaography":
        log("seaography (rustbelt cached and uncached, PostGraphile, seaography; then the synthetic files)")
        seapeer.measure(bench, tables, sea_binary, real)
        seapeer.scale(bench, tables, sea_binary, synthetic)
        print("\n\n".join(tables))  # not written to latest.md, which holds whole runs
        shutil.rmtree(WORK, ignore_errors=True)
        return
    log("throughput on the real seed (rustbelt cached and uncached, floor)")
    uncached = throughput(tables, real, f"the real seed ({entries} entries)")
    log("the executor's ceiling (async-graphql alone, floor)")
    ceiling(tables, real, uncached)
    log("peer")
    peer(tables, real)
    log("PostGraphile (rustbelt cached and uncached, PostGraphile)")
    postgraphile(tables, real)
    log("seaography (rustbelt cached and uncached, PostGraphile, seaography)")
    seapeer.measure(bench, tables, sea_binary, real)
    log("scale")
    scale(tables, [("real seed", real, entries), *synthetic])
    seapeer.scale(bench, tables, sea_binary, synthetic)
    report = "\n\n".join(tables) + "\n"
    out = ROOT / "benches" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.md").write_text(report)
    print(report)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
