//! Continuous replication with the real Litestream (deploy/litestream/): the server leaves
//! checkpoints to Litestream and a restore holds every shipped write; a kill -9 of the primary
//! loses at most the writes of Litestream's last sync interval, and a new primary restored
//! from the replica storage serves and takes writes; a replica that starts from the storage
//! follows the primary. Each test skips, loudly, where Litestream is not installed.

mod harness;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use harness::{
    Process, SYNC_INTERVAL, TOKEN, litestream, ltx_files, recorded, replicate, serve, until, write,
};

/// What a Litestream restart left in the replica storage.
struct Restarted {
    dir: tempfile::TempDir,
    db: std::path::PathBuf,
    replica: std::path::PathBuf,
    server: Process,
    litestream: Process,
    /// WAL generations seen during the writes (each new one: a checkpoint restarted the log).
    generations: usize,
    /// Bytes of the largest LTX file shipped after the restart, and of the first snapshot.
    largest_after: u64,
    snapshot: u64,
}

/// A primary under Litestream writes 40 observations; Litestream (checkpointing every 8 pages,
/// and 100 ms after the last change) is stopped after the 20th, as in a deploy or a crash, while the server writes 10 more
/// and runs for three of its checkpoint intervals, and is then started again.
async fn across_a_litestream_restart(litestream: &Path, mode: &str) -> Restarted {
    let dir = tempfile::tempdir().unwrap();
    let (db, replica) = (dir.path().join("primary.db"), dir.path().join("replica"));
    let server =
        serve(&db, &["--write-token", TOKEN, "--checkpoint-mode", mode, "--checkpoint-interval-ms", "200"]);
    let checkpoints = [("LITESTREAM_MIN_CHECKPOINT_PAGES", "8"), ("LITESTREAM_CHECKPOINT_INTERVAL", "100ms")];
    let first = replicate(litestream, &db, &replica, &checkpoints);
    let shipped = until(Duration::from_secs(10), async || !ltx_files(&replica, 0).is_empty()).await;
    assert!(shipped.is_some(), "Litestream shipped nothing");
    let client = reqwest::Client::new();
    let mut salts = BTreeSet::new();
    let mut writes = async |range: std::ops::Range<usize>| {
        for n in range {
            assert!(write(&client, &server.base, n).await, "write {n} refused");
            // The log's salt changes each time a checkpoint has let it start over.
            let wal = std::fs::read(db.with_extension("db-wal")).unwrap_or_default();
            salts.extend(wal.get(16..24).map(<[u8]>::to_vec));
            // Several of Litestream's looks at the log (every 100 ms) fall between the writes.
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    writes(0..20).await;
    tokio::time::sleep(SYNC_INTERVAL * 5).await;
    let before = ltx_files(&replica, 0).last().map_or(0, |file| file.max_txid);
    assert!(first.signal("-TERM").success(), "Litestream stopped cleanly");
    writes(20..30).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = replicate(litestream, &db, &replica, &checkpoints);
    writes(30..40).await;
    let after = async || ltx_files(&replica, 0).iter().any(|file| file.max_txid > before);
    assert!(until(Duration::from_secs(10), after).await.is_some(), "nothing shipped after the restart");
    tokio::time::sleep(SYNC_INTERVAL * 5).await;
    let shipped_after = ltx_files(&replica, 0).into_iter().filter(|file| file.max_txid > before);
    Restarted {
        largest_after: shipped_after.map(|file| file.bytes).max().unwrap_or(0),
        snapshot: ltx_files(&replica, 0).first().map_or(0, |file| file.bytes),
        generations: salts.len(),
        dir,
        db,
        replica,
        server,
        litestream: second,
    }
}

#[tokio::test]
async fn the_server_leaves_checkpoints_to_litestream_and_a_restore_holds_every_shipped_write() {
    let Some(litestream) = litestream() else { return };
    // The fault `--checkpoint-mode external` avoids: the server's own TRUNCATE checkpoint
    // empties the log while Litestream is away, and Litestream then ships the whole database.
    let faulty = across_a_litestream_restart(&litestream, "server").await;
    assert!(
        faulty.largest_after * 2 > faulty.snapshot,
        "with the server's checkpoints a restart re-ships the database: {} of {} bytes",
        faulty.largest_after,
        faulty.snapshot
    );
    // And stopping waits for the shutdown checkpoint, which Litestream's read lock holds up
    // for SQLite's whole busy timeout (5 s), with the write lock taken.
    let stopping = Instant::now();
    assert!(faulty.server.signal("-TERM").success());
    let stopped = stopping.elapsed();
    eprintln!(
        "server checkpoints: after a Litestream restart it shipped {} bytes; the database is {}; stopping took {stopped:?}",
        faulty.largest_after, faulty.snapshot
    );
    assert!(stopped > Duration::from_secs(3), "the shutdown checkpoint waited: {stopped:?}");
    drop((faulty.litestream, faulty.dir));

    let run = across_a_litestream_restart(&litestream, "external").await;
    assert!(
        run.generations >= 3,
        "Litestream's checkpoints restarted the log: {} generations",
        run.generations
    );
    assert!(
        run.largest_after * 4 < run.snapshot,
        "after the restart Litestream ships only what changed: {} bytes, the database is {}",
        run.largest_after,
        run.snapshot
    );
    eprintln!(
        "external checkpoints: {} log generations; after the restart at most {} bytes shipped at once; the database is {}",
        run.generations, run.largest_after, run.snapshot
    );
    // Every write was acknowledged more than five sync intervals ago: after a kill -9 of both
    // processes, the restore holds all forty, and SQLite finds it whole.
    let (db, replica) = (run.db.clone(), run.replica.clone());
    assert!(!run.server.signal("-KILL").success());
    assert!(!run.litestream.signal("-KILL").success());
    let restored = db.with_file_name("restored.db");
    harness::restore(&litestream, &replica, &restored);
    assert_eq!(recorded(&restored), (0..40).collect::<BTreeSet<_>>());
}

/// The primary as deploy/litestream/primary.sh starts it: Litestream with rustbelt as its child.
fn primary(litestream: &Path, db: &Path, replica: &Path) -> Process {
    let mut command = Command::new("sh");
    command.arg(harness::deploy("primary.sh")).envs(harness::environment(db, replica));
    command.env("LITESTREAM", litestream).env("RUSTBELT", crate::common::binary());
    command.env("RUSTBELT_LISTEN", "127.0.0.1:0").env("RUSTBELT_WRITE_TOKEN", TOKEN);
    Process::start(command, true)
}

#[tokio::test]
async fn a_primary_killed_mid_stream_loses_only_its_last_sync_interval_and_a_restored_one_takes_over() {
    let Some(litestream) = litestream() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (db, replica) = (dir.path().join("primary.db"), dir.path().join("replica"));
    let node = primary(&litestream, &db, &replica);
    let server = harness::children(node.pid());
    assert_eq!(server.len(), 1, "Litestream runs the server as its one child");
    let shipped = until(Duration::from_secs(10), async || !ltx_files(&replica, 0).is_empty()).await;
    assert!(shipped.is_some(), "Litestream shipped nothing");

    // A stream of writes, one after another; each acknowledged one is noted with its time.
    let (base, stop) = (node.base.clone(), Arc::new(AtomicBool::new(false)));
    let writer = tokio::spawn({
        let stop = stop.clone();
        async move {
            let (client, mut acknowledged) = (reqwest::Client::new(), Vec::new());
            for n in 0..390 {
                if stop.load(Ordering::Relaxed) || !write(&client, &base, n).await {
                    break;
                }
                acknowledged.push((n, Instant::now()));
                // At most 100 a second, so the stream outlasts the kill on a fast machine.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            acknowledged
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    // kill -9 of the server and of Litestream, at once, in the middle of the stream.
    harness::signal_pid(server[0], "-KILL");
    let killed = Instant::now();
    assert!(!node.signal("-KILL").success());
    stop.store(true, Ordering::Relaxed);
    let acknowledged = writer.await.unwrap();
    assert!(acknowledged.len() > 20, "the stream was under way: {} writes", acknowledged.len());

    // A new primary on another path, from the replica storage alone.
    let restored = dir.path().join("new-primary.db");
    harness::restore(&litestream, &replica, &restored);
    let found = recorded(&restored);
    let lost: Vec<(usize, Duration)> = acknowledged
        .iter()
        .filter(|(n, _)| !found.contains(n))
        .map(|(n, at)| (*n, killed.saturating_duration_since(*at)))
        .collect();
    eprintln!(
        "failover drill: {} writes acknowledged, {} of them lost, acknowledged at most {:?} before the kill",
        acknowledged.len(),
        lost.len(),
        lost.iter().map(|(_, before)| *before).max()
    );
    // Litestream looks at the log every monitor interval and ships it every sync interval
    // (both 100 ms here); only writes acknowledged within that window may be missing, with
    // room for a loaded machine.
    let window = SYNC_INTERVAL * 2 + Duration::from_millis(400);
    assert!(lost.iter().all(|(_, before)| *before <= window), "lost beyond {window:?}: {lost:?}");
    let newest = acknowledged.last().unwrap().0;
    assert!(found.iter().all(|n| *n <= newest + 1), "the restore holds only writes that were sent");

    let new_primary = serve(&restored, &["--write-token", TOKEN, "--checkpoint-mode", "external"]);
    let client = reqwest::Client::new();
    let before = count(&client, &new_primary.base).await;
    assert!(write(&client, &new_primary.base, 389).await, "the new primary takes writes");
    assert_eq!(count(&client, &new_primary.base).await, before + 1);
}

const COUNT: &str = "{ city(code: \"360400\") { observations { totalCount } } }";

/// How many observations Fuxin has, as the server at `base` answers.
async fn count(client: &reqwest::Client, base: &str) -> u64 {
    let response = client.post(format!("{base}/graphql")).json(&json!({ "query": COUNT })).send();
    let body: Value = response.await.unwrap().json().await.unwrap();
    body["data"]["city"]["observations"]["totalCount"].as_u64().unwrap_or_else(|| panic!("{body}"))
}

/// The `ETag` of the count, asked over GET.
async fn etag(client: &reqwest::Client, base: &str) -> String {
    let response = client.get(format!("{base}/graphql")).query(&[("query", COUNT)]).send().await.unwrap();
    response.headers()["etag"].to_str().unwrap().to_string()
}

/// The replica as deploy/litestream/replica.sh starts it: restored from the storage, following
/// it, served read-only.
fn replica_node(litestream: &Path, db: &Path, replica: &Path, primary: &str) -> Process {
    let mut command = Command::new("sh");
    command.arg(harness::deploy("replica.sh")).envs(harness::environment(db, replica));
    command.env("LITESTREAM", litestream).env("RUSTBELT", crate::common::binary());
    command.env("RUSTBELT_LISTEN", "127.0.0.1:0").env("RUSTBELT_PRIMARY", primary);
    command.env("LITESTREAM_FOLLOW_INTERVAL", format!("{}ms", SYNC_INTERVAL.as_millis()));
    Process::start(command, true)
}

/// A `graphql-transport-ws` subscription to every recording, on the server at `base`.
async fn recordings(base: &str) -> impl futures_util::Stream<Item = Value> + use<> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("{}/graphql", base.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("WebSocket upgrade");
    let query = "subscription { observationsRecorded { observations { value } } }";
    for message in [
        json!({ "type": "connection_init" }),
        json!({ "type": "subscribe", "id": "s", "payload": { "query": query } }),
    ] {
        socket.send(Message::text(message.to_string())).await.unwrap();
    }
    socket.filter_map(|message| async move {
        let Ok(Message::Text(text)) = message else { return None };
        let message: Value = serde_json::from_str(&text).ok()?;
        (message["type"] == "next").then(|| message["payload"]["data"]["observationsRecorded"].clone())
    })
}

#[tokio::test]
async fn a_replica_started_from_the_storage_follows_the_primary() {
    let Some(litestream) = litestream() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (db, replica) = (dir.path().join("primary.db"), dir.path().join("replica"));
    let primary = serve(&db, &["--write-token", TOKEN, "--checkpoint-mode", "external"]);
    let _shipping = replicate(&litestream, &db, &replica, &[]);
    let shipped = until(Duration::from_secs(10), async || !ltx_files(&replica, 0).is_empty()).await;
    assert!(shipped.is_some(), "Litestream shipped nothing");
    let node = replica_node(&litestream, &dir.path().join("replica.db"), &replica, &primary.base);
    let client = reqwest::Client::new();
    assert_eq!(count(&client, &node.base).await, count(&client, &primary.base).await);
    let mut events = Box::pin(recordings(&node.base).await);
    tokio::time::sleep(Duration::from_millis(300)).await; // the subscription starts

    let mut lags = Vec::new();
    for n in 0..10 {
        let tag = etag(&client, &node.base).await;
        assert!(write(&client, &primary.base, n).await, "write {n} refused");
        let acknowledged = Instant::now();
        let want = count(&client, &primary.base).await;
        let followed =
            until(Duration::from_secs(10), async || count(&client, &node.base).await == want).await;
        assert!(followed.is_some(), "the replica never served write {n}");
        lags.push(acknowledged.elapsed());
        let moved = etag(&client, &node.base).await;
        assert_ne!(moved, tag, "the replica's ETag follows write {n}");
        assert_eq!(
            moved,
            etag(&client, &primary.base).await,
            "one ETag for one state, wherever it is served"
        );
        let event = tokio::time::timeout(Duration::from_secs(10), events.next()).await;
        let event = event.expect("no event on the replica").expect("the socket ended");
        assert_eq!(event["observations"][0]["value"], json!(n as f64), "{event}");
    }
    lags.sort();
    eprintln!(
        "replica lag, write acknowledged on the primary to answer on the replica: median {:?}, max {:?}",
        lags[lags.len() / 2],
        lags[lags.len() - 1]
    );

    let (status, refused) = {
        let response = client
            .post(format!("{}/graphql", node.base))
            .bearer_auth(TOKEN)
            .json(&json!({ "query": harness::record(99) }))
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(refused["errors"][0]["extensions"]["code"], "READ_ONLY_REPLICA", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains(&primary.base), "{refused}");
    assert!(node.signal("-TERM").success(), "the replica node stops cleanly");
    // With Litestream still running, the primary stops at once: it has no checkpoint to wait for.
    let stopping = Instant::now();
    assert!(primary.signal("-TERM").success());
    eprintln!("external checkpoints: the primary stopped in {:?} beside Litestream", stopping.elapsed());
    assert!(stopping.elapsed() < Duration::from_secs(2), "{:?}", stopping.elapsed());
}
