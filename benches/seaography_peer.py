"""The seaography peer of benches/bench.py: the server seaography-cli generates from rustbelt's
SQLite file (benches/seaography/build.sh), the same logical nested query in seaography's names,
the check that it answers the same rows as rustbelt, and its block of the run: rustbelt cached
and uncached, PostGraphile and seaography in turns on the real seed, then rustbelt and
seaography one request at a time on the synthetic ×100 and ×1,000 files.

bench.py passes itself (`bench`) for its harness: rustbelt(), post(), body_file(), rounds(),
median_run(), fmt(), NESTED_OURS, STARTED and CLEANUP.
"""

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import postgraphile_peer as pgpeer

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "benches" / "seaography" / "build.sh"
HOME = ROOT / "target" / "bench-seaography"

# bench.py's NESTED_OURS in seaography's names. Relations are named after the related entity
# (`cities`, `observations`: the SQLite file has one foreign key between each pair of these
# tables); the membership condition is kept, as seaography filters on any column (`is_in`);
# `first: N` is an offset page of N from 0 (seaography has no `first`): at the root a statement
# with LIMIT/OFFSET and a COUNT(*) over the same query; under a relation, one statement per
# level reads every related row of the level's parents and the page is cut in memory (its SQL
# log). totalCount is `paginationInfo { total }`, the count of matching entries. The orders are
# stated, as in the PostGraphile query: code, admin code, id (rustbelt's defaults).
QUERY = ("{ provinces(orderBy: { code: ASC }, pagination: { offset: { limit: 31, offset: 0 } }) { nodes { code nameEn"
         ' cities(filters: { membership: { is_in: ["CONFIRMED", "CANDIDATE"] } }, orderBy: { adminCode: ASC },'
         " pagination: { offset: { limit: 20, offset: 0 } }) { paginationInfo { total } nodes { adminCode nameEn"
         " observations(orderBy: { id: ASC }, pagination: { offset: { limit: 10, offset: 0 } }) { nodes { year value } } } } } } }")
VERSIONS = {"seaography-cli": "1.1.4", "sea-orm-cli": "1.1.20"}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def build(db):
    """Generates the server from `db` and builds it (nothing is rebuilt when the schema is the
    same as last time): the path of the binary."""
    out = subprocess.run([str(BUILD), str(db)], stdout=subprocess.PIPE, text=True, check=True).stdout
    return Path(out.strip().splitlines()[-1])


def locked(name):
    """The version of `name` that benches/seaography/Cargo.lock pins."""
    lock = (ROOT / "benches" / "seaography" / "Cargo.lock").read_text()
    return re.search(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', lock).group(1)


class Seaography:
    """The generated server (axum, one process) over `db`, opened read-only by SeaORM's sqlx
    SQLite pool at its defaults (one connection for SQLite). The process goes on `started`, so
    that bench.py's atexit hook ends it if the run fails."""

    def __init__(self, binary, db, started):
        port = pgpeer.free_port()
        self.log = HOME / "server.log"
        env = {**os.environ, "DATABASE_URL": f"sqlite://{db}?mode=ro", "URL": f"127.0.0.1:{port}"}
        with open(self.log, "w") as out:
            # Its working directory holds no .env: the generated main loads one if present.
            self.process = subprocess.Popen([str(binary)], cwd=HOME, env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append(self.process)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            if self.process.poll() is not None:
                break
            try:
                ask(self.base, "{ __typename }")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"seaography did not start:\n{self.log.read_text()[-2000:]}")

    def peak_rss_mb(self):
        return peak_rss_mb(self.process)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def ask(url, query):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


class DifferentRows(RuntimeError):
    """rustbelt and seaography answered the nested query with different rows."""


def rows(provinces, cities, total, observations):
    """An answer to the nested query as the rows it holds, in its order: one per province
    (code, name, entries matching), one per entry (province, admin code, name), one per
    observation (entry, year, value). `value` is compared as a number: rustbelt sends a JSON
    number, seaography a string (SeaORM's generator maps SQLite's REAL to Decimal)."""
    out = []
    for p in provinces:
        out.append(("province", p["code"], p["nameEn"], total(p[cities])))
        for c in p[cities]["nodes"]:
            out.append(("entry", p["code"], c["adminCode"], c["nameEn"]))
            out += [("observation", c["adminCode"], int(o["year"]), float(o["value"])) for o in c[observations]["nodes"]]
    return out


def rows_ours(answer):
    return rows(answer["data"]["provinces"]["nodes"], "cities", lambda c: c["totalCount"], "observations")


def rows_theirs(answer):
    return rows(answer["data"]["provinces"]["nodes"], "cities", lambda c: c["paginationInfo"]["total"], "observations")


def alike(mine, theirs):
    """Two rows are alike when equal, but for an observation's value, which has to agree to
    15 significant digits: SeaORM reads SQLite's REAL as f64 and makes it a Decimal with
    rust_decimal's from_f64, which keeps the 15 digits an f64 guarantees (52.81193881287747
    is sent as "52.8119388128775"), a relative difference of at most 5e-15."""
    if mine[0] != "observation" or mine[:-1] != theirs[:-1]:
        return mine == theirs
    return math.isclose(mine[-1], theirs[-1], rel_tol=1e-14)


def same_rows(label, ours, theirs):
    """Stops the run, saying where, unless both answers hold the same rows in the same order:
    the same provinces with the same names and counts, the same entries under each, the same
    observations under each entry. The entries and observations compared."""
    for answer, who in ((ours, label), (theirs, "seaography")):
        if answer.get("errors") or not answer.get("data"):
            raise DifferentRows(f"seaography: {who} answered with errors: {json.dumps(answer.get('errors'))[:300]}")
    rows_of = {label: rows_ours, "seaography": rows_theirs}
    for answer, who in ((ours, label), (theirs, "seaography")):
        try:
            rows_of[who] = rows_of[who](answer)
        except (KeyError, TypeError, ValueError) as error:
            raise DifferentRows(f"seaography: {who}'s answer is not shaped as the nested query's: {error!r}")
    mine, other = rows_of[label], rows_of["seaography"]
    if len(mine) != len(other) or not all(map(alike, mine, other)):
        first = next((i for i, (a, b) in enumerate(zip(mine, other)) if not alike(a, b)), min(len(mine), len(other)))
        raise DifferentRows(f"seaography: {label} and seaography answer the nested query with different rows"
                            f" ({len(mine)} against {len(other)}); the first difference, row {first}:"
                            f" {label} {mine[first:first + 1]}, seaography {other[first:first + 1]}")
    entries, observations = (sum(row[0] == kind for row in mine) for kind in ("entry", "observation"))
    if not entries or not observations:
        raise DifferentRows(f"seaography: the nested query found {entries} entries and {observations} observations;"
                            " comparing empty answers proves nothing")
    return entries, observations


def check_can_fail(label, ours, url):
    """The comparison must see a difference it is meant to see: the same query with each
    entry's observations in the opposite order has to be refused."""
    reversed_query = QUERY.replace("orderBy: { id: ASC }", "orderBy: { id: DESC }")
    assert reversed_query != QUERY
    try:
        same_rows(label, ours, ask(url, reversed_query))
    except DifferentRows:
        return
    raise RuntimeError("seaography: the row check accepted observations in the opposite order; it compares nothing")


def peak_rss_mb(process):
    """The process's high-water mark of resident memory, in MB."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def note(turn, entries, observations):
    """What the table compares, for the paragraph above it."""
    return (f"The nested query (31 provinces → 20 entries each, confirmed and candidates → 10 observations each;"
            f" {entries} entries and {observations} observations, checked to be the same rows from all three) on rustbelt,"
            f" on PostGraphile (set up as for its own table, over a PostgreSQL copy of the file) and on the server seaography-cli"
            f" {VERSIONS['seaography-cli']} generates from the same SQLite file (entities by sea-orm-cli"
            f" {VERSIONS['sea-orm-cli']}; seaography {locked('seaography')}, SeaORM {locked('sea-orm')}, sqlx"
            f" {locked('sqlx')}, async-graphql {locked('async-graphql')}, axum {locked('axum')}; release build;"
            f" benches/seaography/build.sh), which reads the file read-only through SeaORM's default pool: for SQLite one"
            f" connection, unless the code sets max_connections (the generated code does not). Two"
            f" changes from the generated code: primary keys typed T, not Option<T>, without which it does not"
            f" compile (SeaQL/sea-orm#2051), and logging at WARN, not INFO (sqlx logs every statement at INFO), as"
            f" rustbelt runs at RUST_LOG=warn. Each cell: the median of three {turn} s wrk runs, the four servers in"
            f" turns, after one uncounted run of PostGraphile. Peak RSS: each process's high-water mark over the"
            f" block (PostgreSQL's processes not counted).")


def measure(bench, tables, binary, db):
    """rustbelt cached and uncached, PostGraphile and seaography on the nested query, checked to
    answer the same rows, measured in turns at 1, 8 and 64 connections (medians of three)."""
    turn = max(2, bench.DURATION // 2)
    theirs = pgpeer.PostGraphile(db, bench.CLEANUP, bench.STARTED)
    servers = {"rustbelt cached": bench.rustbelt(db), "rustbelt uncached": bench.rustbelt(db, "--cache-mb", "0")}
    sea = Seaography(binary, db, bench.STARTED)
    try:
        answer, pg_answer = ask(sea.base, QUERY), pgpeer.ask(theirs.base + "/graphql", pgpeer.QUERY)
        for label, server in servers.items():
            ours = json.loads(bench.post(server.base + "/graphql", bench.NESTED_OURS)[0])
            entries, observations = same_rows(label, ours, answer)
            pgpeer.same_rows(label, ours, pg_answer)
        check_can_fail(label, ours, sea.base)
        ours_body = bench.body_file("nested", bench.NESTED_OURS)
        pg_body, sea_body = bench.body_file("nested-postgraphile", pgpeer.QUERY), bench.body_file("nested-seaography", QUERY)
        bench.wrk(theirs.base + "/graphql", pg_body, 8, duration=turn)  # not counted: Node's JIT warms up
        targets = [(server.base + "/graphql", ours_body) for server in servers.values()]
        targets += [(theirs.base + "/graphql", pg_body), (sea.base + "/", sea_body)]
        names = [*servers, "PostGraphile", "seaography"]
        lines = ["### Against seaography (same nested query, same rows, the same SQLite file)", "",
                 note(turn, entries, observations), "",
                 "| conns | server | req/s | p50 ms | p99 ms | refused | ÷ seaography | ÷ PostGraphile |",
                 "|---:|---|---:|---:|---:|---:|---:|---:|"]
        for connections in bench.CONNECTIONS:
            runs = bench.rounds(targets, connections, turn)
            medians = [bench.median_run(server_runs) for server_runs in runs]
            pg_rps, sea_rps = medians[2][0], medians[3][0]
            for name, server_runs, (rps, p50, p99) in zip(names, runs, (m[:3] for m in medians)):
                failed, total = (sum(run[i] for run in server_runs) for i in (3, 4))
                of_sea = f"{rps / sea_rps:,.1f}" if name != "seaography" else ""
                of_pg = f"{rps / pg_rps:,.1f}" if name != "PostGraphile" else ""
                lines.append(f"| {connections} | {name} | {bench.fmt(rps)} | {p50:.2f} | {p99:.2f} | {failed} of {total} |"
                             f" {of_sea} | {of_pg} |")
            log(f"  seaography c={connections}: rustbelt {medians[0][0]:.0f} / {medians[1][0]:.0f} rps,"
                f" PostGraphile {pg_rps:.0f}, seaography {sea_rps:.0f} rps")
        rss = [server.peak_rss_mb() for server in servers.values()] + [peak_rss_mb(theirs.process), sea.peak_rss_mb()]
        lines += ["", "Peak RSS over the block: " + ", ".join(f"{name} {mb:.1f} MB" for name, mb in zip(names, rss)) + "."]
    finally:
        for server in servers.values():
            server.stop()
        sea.stop()
        theirs.stop()
    tables.append("\n".join(lines))


def scale(bench, tables, binary, databases):
    """The nested query on rustbelt uncached and seaography over the synthetic files, checked to
    answer the same rows: the median of five requests sent one at a time. Not under wrk: there
    a seaography request takes seconds, so a run of a few seconds completes a handful."""
    lines = ["### seaography at scale: the nested query on synthetic data", "",
             "The same query and row check as above on the ×100 and ×1,000 files (rustbelt uncached, seaography):"
             " the median of five requests sent one at a time, and each process's peak RSS after them.", "",
             "| database | cities | rustbelt uncached ms | seaography ms | seaography ÷ rustbelt | rustbelt peak RSS MB |"
             " seaography peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, db, cities in databases:
        ours, sea = bench.rustbelt(db, "--cache-mb", "0"), Seaography(binary, db, bench.STARTED)
        try:
            same_rows("rustbelt uncached", json.loads(bench.post(ours.base + "/graphql", bench.NESTED_OURS)[0]),
                      ask(sea.base, QUERY))
            mine, theirs = (sorted(bench.post(url, query)[1] for _ in range(5))[2] * 1000
                            for url, query in ((ours.base + "/graphql", bench.NESTED_OURS), (sea.base + "/", QUERY)))
            lines.append(f"| {label} | {bench.fmt(cities)} | {mine:.1f} | {theirs:.1f} | {theirs / mine:,.1f} |"
                         f" {ours.peak_rss_mb():.1f} | {sea.peak_rss_mb():.1f} |")
            log(f"  seaography {label}: rustbelt {mine:.1f} ms, seaography {theirs:.1f} ms")
        finally:
            ours.stop()
            sea.stop()
    tables.append("\n".join(lines))
