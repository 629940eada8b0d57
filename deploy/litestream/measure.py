#!/usr/bin/env python3
"""Measures what Litestream costs rustbelt's readers and writers, with the files of this folder.

  python3 deploy/litestream/measure.py --rustbelt target/release/rustbelt \
      --litestream /path/to/litestream [--monitor-interval 1s] [--sync-interval 1s] \
      [--follow-interval 1s] \
      [--writes 30] [--drills 5] [--rate 40]

Replica lag: a primary (primary.sh) and a replica (replica.sh) on this machine, a file replica
between them; writes at random moments; for each, the time from the primary's acknowledgement
until the replica answers with it. Failover drill: a primary under a stream of writes, killed
with SIGKILL (server and Litestream at once) at a random moment; the database restored from the
replica storage; the acknowledged writes missing from it, and how long before the kill the
oldest of them was acknowledged. Clean stop: SIGTERM to primary.sh right after a write, then a
restore. Standard library only; Linux (it reads /proc for the server's
process id).
"""

import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "measure-token"
SOURCE = "https://example.org/rustbelt-litestream-measure"
COUNT = '{ city(code: "360400") { observations { totalCount } } }'
INDICATORS = ["new_jobs", "gdp", "tertiary_value_added", "disposable_income_urban", "disposable_income_all"]


def post(base, query, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    request = urllib.request.Request(base + "/graphql", json.dumps({"query": query}).encode(), headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def write(base, n):
    """Write number n (its value), under an indicator and year of its own; True once acknowledged."""
    indicator, year = INDICATORS[n // 78 % len(INDICATORS)], 1949 + n % 78
    query = ('mutation { recordObservations(input: [{ subjectCode: "360400", indicatorCode: "%s", '
             'year: %d, value: %d, source: "%s", sourceGrade: SECONDARY }]) { id } }' % (indicator, year, n, SOURCE))
    try:
        return "errors" not in post(base, query, TOKEN)
    except OSError:
        return False


def count(base):
    return post(base, COUNT)["data"]["city"]["observations"]["totalCount"]


def start(script, env):
    """Runs a script of this folder; returns the process and the server's address."""
    process = subprocess.Popen(["sh", os.path.join(HERE, script)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if line.startswith("listening on "):
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, line.strip().removeprefix("listening on ")
    raise SystemExit(f"{script} ended before its server listened")


def children(pid):
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(p) for p in f.read().split()]
    return found


def environment(args, folder, db):
    return {**os.environ, "LITESTREAM": args.litestream, "RUSTBELT": args.rustbelt, "RUST_LOG": "warn",
            "RUSTBELT_DB": db, "RUSTBELT_LISTEN": "127.0.0.1:0",
            "LITESTREAM_REPLICA_URL": "file://" + os.path.join(folder, "replica"),
            "LITESTREAM_SYNC_INTERVAL": args.sync_interval, "LITESTREAM_MONITOR_INTERVAL": args.monitor_interval,
            "LITESTREAM_FOLLOW_INTERVAL": args.follow_interval}


def shipped(folder):
    level0 = os.path.join(folder, "replica", "ltx", "0")
    return os.path.isdir(level0) and len(os.listdir(level0)) > 0


def wait(condition, limit=15.0):
    ended = time.monotonic() + limit
    while time.monotonic() < ended:
        if condition():
            return True
        time.sleep(0.01)
    return False


def lag(args):
    with tempfile.TemporaryDirectory() as folder:
        env = environment(args, folder, os.path.join(folder, "primary.db"))
        primary, primary_base = start("primary.sh", {**env, "RUSTBELT_WRITE_TOKEN": TOKEN})
        try:
            assert wait(lambda: shipped(folder)), "Litestream shipped nothing"
            replica_env = {**env, "RUSTBELT_DB": os.path.join(folder, "replica.db"), "RUSTBELT_PRIMARY": primary_base}
            replica, replica_base = start("replica.sh", replica_env)
            try:
                lags = []
                for n in range(args.writes):
                    time.sleep(random.uniform(0, 1.5))
                    assert write(primary_base, n)
                    acknowledged = time.monotonic()
                    want = count(primary_base)
                    assert wait(lambda: count(replica_base) == want), f"the replica never served write {n}"
                    lags.append(time.monotonic() - acknowledged)
                return lags
            finally:
                replica.send_signal(signal.SIGTERM)
                replica.wait()
        finally:
            primary.send_signal(signal.SIGTERM)
            primary.wait()


def drill(args):
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "primary.db")
        env = {**environment(args, folder, db), "RUSTBELT_WRITE_TOKEN": TOKEN}
        primary, base = start("primary.sh", env)
        server = children(primary.pid)
        assert wait(lambda: shipped(folder)), "Litestream shipped nothing"
        acknowledged, stop = [], threading.Event()

        def stream():
            for n in range(390):
                if stop.is_set() or not write(base, n):
                    return
                acknowledged.append((n, time.monotonic()))
                time.sleep(1 / args.rate)

        writer = threading.Thread(target=stream)
        writer.start()
        time.sleep(random.uniform(2, 4))
        for pid in server + [primary.pid]:
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        primary.wait()
        stop.set()
        writer.join()
        restored = os.path.join(folder, "restored.db")
        subprocess.run([args.litestream, "restore", "-o", restored, env["LITESTREAM_REPLICA_URL"]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        connection = sqlite3.connect(restored)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = {n for (n,) in connection.execute(
            "SELECT CAST(o.value AS INTEGER) FROM observations o JOIN sources s ON s.id = o.source_id "
            "WHERE s.url = ?", (SOURCE,))}
        connection.close()
        lost = [killed - at for n, at in acknowledged if n not in found]
        return len(acknowledged), len(lost), max(lost, default=0.0)


def clean_stop(args):
    """Twenty writes, then SIGTERM to primary.sh at once: how many a restore holds."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**environment(args, folder, os.path.join(folder, "primary.db")), "RUSTBELT_WRITE_TOKEN": TOKEN}
        primary, base = start("primary.sh", env)
        assert wait(lambda: shipped(folder)), "Litestream shipped nothing"
        assert all(write(base, n) for n in range(20))
        primary.send_signal(signal.SIGTERM)
        primary.wait()
        restored = os.path.join(folder, "restored.db")
        subprocess.run([args.litestream, "restore", "-o", restored, env["LITESTREAM_REPLICA_URL"]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        connection = sqlite3.connect(restored)
        (found,) = connection.execute(
            "SELECT count(*) FROM observations o JOIN sources s ON s.id = o.source_id WHERE s.url = ?",
            (SOURCE,)).fetchone()
        connection.close()
        return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rustbelt", required=True)
    parser.add_argument("--litestream", default="litestream")
    parser.add_argument("--sync-interval", default="1s")
    parser.add_argument("--monitor-interval", default="1s")
    parser.add_argument("--follow-interval", default="1s")
    parser.add_argument("--writes", type=int, default=30)
    parser.add_argument("--drills", type=int, default=5)
    parser.add_argument("--stops", type=int, default=3, help="clean stops right after a write")
    parser.add_argument("--rate", type=float, default=40, help="writes a second in the drill, at most")
    args = parser.parse_args()
    print(f"monitor interval {args.monitor_interval}, sync interval {args.sync_interval}, "
          f"follow interval {args.follow_interval}, "
          f"drill writes at most {args.rate:g} a second")
    if args.writes:
        lags = sorted(lag(args))
        print(f"replica lag over {len(lags)} writes: min {lags[0]:.3f} s, median {statistics.median(lags):.3f} s, "
              f"90th percentile {lags[int(len(lags) * 0.9)]:.3f} s, max {lags[-1]:.3f} s")
    for run in range(args.drills):
        written, lost, oldest = drill(args)
        print(f"drill {run + 1}: {written} writes acknowledged, {lost} lost "
              f"(the oldest of them acknowledged {oldest:.3f} s before the kill)")
    for run in range(args.stops):
        print(f"clean stop {run + 1}: SIGTERM right after the 20th write; the restore holds {clean_stop(args)} of 20")


if __name__ == "__main__":
    main()
