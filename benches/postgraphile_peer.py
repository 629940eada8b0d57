"""The PostGraphile peer of benches/bench.py: a throwaway PostgreSQL cluster holding a copy of
rustbelt's SQLite file (benches/sqlite_to_pg.py), PostGraphile 5 over it on Node 22, the same
logical nested query in PostGraphile's names, and the check that both answer the same rows.

What it needs is installed by benches/run.sh: PostgreSQL (Debian), Node 22 (npm's `node`
package, target/bench-node) and PostGraphile (npm ci of benches/postgraphile into
target/bench-postgraphile); psycopg in target/bench-venv for the copy.
"""

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "target" / "bench-node" / "node_modules" / ".bin" / "node"
INSTALL = ROOT / "target" / "bench-postgraphile"
PYTHON = ROOT / "target" / "bench-venv" / "bin" / "python"

# bench.py's NESTED_OURS in PostGraphile's names (amber preset: relations named after their
# foreign key, `citiesByProvinceCode`; a column `id` is `rowId`, as `id` is the Node ID; bigint
# `year` comes back as a BigInt string). The orders are stated although they are PostGraphile's
# defaults (primary key), because they are also rustbelt's: provinces by code, entries by admin
# code, observations by id ("ties end in … order", and with no orderBy the key is the only sort
# key: src/db/list.rs). No condition on membership: rustbelt's query asks for CONFIRMED and
# CANDIDATE, every value the column may hold (its CHECK), and `memberships` below makes sure of
# that on the file being measured.
QUERY = ("{ allProvinces(first: 31, orderBy: [CODE_ASC]) { nodes { code nameEn"
         " citiesByProvinceCode(first: 20, orderBy: [ADMIN_CODE_ASC]) { totalCount nodes { adminCode nameEn"
         " observationsByCityCode(first: 10, orderBy: [ROW_ID_ASC]) { nodes { year value } } } } } } }")
ASKED = {"CONFIRMED", "CANDIDATE"}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on 127.0.0.1 only, trust authentication.
    initdb and postgres refuse to run as root: as root they run as Debian's `postgres` user,
    which owns the directory."""

    def __init__(self, port, cleanup):
        bin_dir = pg_bin()
        self.ctl = str(bin_dir / "pg_ctl")
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.dir = Path(tempfile.mkdtemp(prefix="rustbelt-bench-pg-"))
        self.running = False
        cleanup.append(self.stop)  # before anything can fail
        if self.as_owner:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        # C locale: text sorts by bytes, as SQLite's default BINARY collation does.
        self.run(str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync")
        # The socket goes in the temporary directory too: /var/run/postgresql may not exist.
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={self.dir}"
        self.running = True
        self.run(self.ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def run(self, *argv):
        result = subprocess.run([*self.as_owner, *argv], capture_output=True, text=True)
        if result.returncode != 0:
            log_tail = (self.dir / "log").read_text()[-2000:] if (self.dir / "log").exists() else ""
            raise RuntimeError(f"{Path(argv[0]).name} failed: {result.stderr.strip()}\n{log_tail}")

    def stop(self):
        """Stops the server and removes the directory; safe to call twice (atexit calls it)."""
        if self.running:
            self.running = False
            subprocess.run([*self.as_owner, self.ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_bin():
    """The newest Debian PostgreSQL's programs (Debian keeps initdb off the PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(re.sub(r"\D", "", p.parts[-3]) or 0))
    if found:
        return found[-1].parent
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).resolve().parent
    sys.exit("PostgreSQL's initdb is missing: run benches/run.sh, which installs Debian's postgresql")


def node_version():
    return subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=True).stdout.strip().lstrip("v")


def postgres_version():
    """`PostgreSQL 15.18`, from pg_ctl (the server it starts is the same build)."""
    out = subprocess.run([str(pg_bin() / "pg_ctl"), "--version"], capture_output=True, text=True, check=True).stdout
    return "PostgreSQL " + re.search(r"\(PostgreSQL\) (\S+)", out).group(1)


def load(db, cluster):
    """The SQLite file's tables, keys, indexes and rows, copied into the cluster."""
    subprocess.run([str(PYTHON), str(ROOT / "benches" / "sqlite_to_pg.py"), str(db), cluster.url], check=True)


def memberships(db):
    """Fails unless every entry's membership is one the nested query asks for, so that the
    PostGraphile query, which lists every entry, selects the same entries."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as lite:
        found = {value for (value,) in lite.execute("SELECT DISTINCT membership FROM cities")}
    if not found <= ASKED:
        raise RuntimeError(f"postgraphile: entries with membership {sorted(found - ASKED)} exist; the"
                           " PostGraphile query would list them and rustbelt's would not")


class PostGraphile:
    """PostGraphile's own server (its CLI, grafserv on Node's http), one Node process, over a
    new cluster holding a copy of `db`. The cluster's stop goes on `cleanup`, the Node process on
    `started`, so that bench.py's atexit hook ends both if the run fails."""

    def __init__(self, db, cleanup, started):
        memberships(db)
        self.cluster = Cluster(free_port(), cleanup)
        load(db, self.cluster)
        port = free_port()
        config = INSTALL / "graphile.config.mjs"
        shutil.copy(ROOT / "benches" / "postgraphile" / "graphile.config.mjs", config)
        # .bin/postgraphile starts with `#!/usr/bin/env node` (the system's Node 20): run its
        # script with Node 22 instead.
        cli = (INSTALL / "node_modules" / ".bin" / "postgraphile").resolve()
        if not NODE.exists() or not cli.exists():
            sys.exit("Node 22 or PostGraphile is missing: run benches/run.sh, which installs them under target/")
        self.log = INSTALL / "server.log"
        env = {**os.environ, "DATABASE_URL": self.cluster.url, "PORT": str(port), "NODE_ENV": "production",
               "GRAPHILE_ENV": "production"}
        with open(self.log, "w") as out:
            self.process = subprocess.Popen([str(NODE), str(cli), "-C", str(config)], cwd=INSTALL, env=env,
                                            stdout=out, stderr=subprocess.STDOUT)
        started.append(self.process)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            if self.process.poll() is not None:
                break
            try:
                ask(self.base + "/graphql", "{ __typename }")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"postgraphile did not start:\n{self.log.read_text()[-2000:]}")

    def note(self, turn, entries, observations):
        """What the table compares, for the paragraph above it."""
        version = json.loads((INSTALL / "node_modules" / "postgraphile" / "package.json").read_text())["version"]
        return (f"The nested query (31 provinces → 20 entries each, confirmed and candidates → 10 observations each;"
                f" {entries} entries and {observations} observations, checked to be the same rows from both) on rustbelt"
                f" and on PostGraphile {version} (amber preset, its own server, production mode) on Node {node_version()},"
                f" over {postgres_version()} holding a copy of the same file (benches/sqlite_to_pg.py), default"
                f" settings, on the same cores. PostGraphile runs as one Node process: version 5 has no clustering of"
                f" its own (4's `--cluster-workers` is gone); a production deployment may run a process per core"
                f" under a process manager or Node's cluster module, not measured here. It caches parsed documents and"
                f" operation plans but not responses, like rustbelt uncached. The ceiling is examples/ceiling.rs"
                f" answering the same query from memory through async-graphql alone (no database, loaders or HTTP"
                f" layers; checked to give rustbelt's data): what any server resolving these values with async-graphql"
                f" can reach. The floor serves rustbelt's response bytes from memory with a trivial handler"
                f" (examples/floor.rs): what any server on this HTTP stack can reach, and so the largest ratio to"
                f" PostGraphile any answer can have. Each cell: the median of three {turn} s wrk runs, the five"
                f" servers in turns, after one uncounted run of PostGraphile.")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.cluster.stop()


def free_port():
    """A port nothing listens on now (postgres and PostGraphile take a number, not 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ask(url, query):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def rows_ours(answer):
    """rustbelt's answer as (province code, admin code, [(year, value)…]) and (province, total)."""
    provinces = answer["data"]["provinces"]["nodes"]
    return ([(p["code"], c["adminCode"], [(int(o["year"]), float(o["value"])) for o in c["observations"]["nodes"]])
             for p in provinces for c in p["cities"]["nodes"]],
            [(p["code"], p["cities"]["totalCount"]) for p in provinces])


def rows_theirs(answer):
    provinces = answer["data"]["allProvinces"]["nodes"]
    return ([(p["code"], c["adminCode"], [(int(o["year"]), float(o["value"])) for o in c["observationsByCityCode"]["nodes"]])
             for p in provinces for c in p["citiesByProvinceCode"]["nodes"]],
            [(p["code"], p["citiesByProvinceCode"]["totalCount"]) for p in provinces])


def same_rows(label, ours, theirs):
    """Fails the run, saying where, unless both answers hold the same rows in the same order."""
    for answer, who in ((ours, label), (theirs, "PostGraphile")):
        if answer.get("errors"):
            raise RuntimeError(f"postgraphile: {who} answered with errors: {json.dumps(answer['errors'])[:300]}")
    (mine, my_totals), (other, other_totals) = rows_ours(ours), rows_theirs(theirs)
    if my_totals != other_totals:
        raise RuntimeError(f"postgraphile: entries per province differ, {label} {my_totals} against {other_totals}")
    if mine != other:
        first = next((i for i, (a, b) in enumerate(zip(mine, other)) if a != b), min(len(mine), len(other)))
        raise RuntimeError(f"postgraphile: {label} and PostGraphile answer different rows ({len(mine)} against"
                           f" {len(other)} entries); first difference at entry {first}:"
                           f" {mine[first:first + 1]} against {other[first:first + 1]}")
    return len(mine), sum(len(obs) for _, _, obs in mine)
