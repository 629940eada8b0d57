//! Starting the real server and talking to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// A running `rustbelt serve` with its own database file; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server on a fresh database file in a temporary folder.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with extra arguments on a fresh database file in a temporary folder.
    pub fn start_with(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let db = dir.path().join("rustbelt.db");
        let mut server = Self::start_on(&db, args);
        server._dir = Some(dir);
        server
    }

    /// Starts a server on `db` with extra arguments.
    pub fn start_on(db: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rustbelt"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rustbelt");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("first stdout line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Self { child, base, client: reqwest::Client::new(), _dir: None }
    }

    /// POSTs a query (with variables) and returns the status and JSON body.
    pub async fn post(&self, query: &str, variables: Value) -> (u16, Value) {
        self.send(None, query, variables).await
    }

    /// POSTs a query with a bearer token and returns the status and JSON body.
    pub async fn post_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        self.send(Some(token), query, variables).await
    }

    async fn send(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self.client.post(format!("{}/graphql", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.json(&json!({ "query": query, "variables": variables })).send().await;
        let response = response.expect("POST /graphql");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// POSTs a query that must succeed without errors, and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGTERM and waits: it must exit cleanly.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(killed.success());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "server exited with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One row of the seed's city files.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SeedCity {
    pub admin_code: String,
    pub name_en: String,
    pub name_zh: String,
    pub province_code: String,
    pub tier: String,
}

/// One row of the seed's observations.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SeedObservation {
    pub admin_code: String,
    pub indicator: String,
    pub year: i32,
    pub value: f64,
    pub source_url: String,
}

/// The seed's cities: confirmed ones, then candidates.
pub fn seed_cities() -> (Vec<SeedCity>, Vec<SeedCity>) {
    (read_csv("cities.csv"), read_csv("cities_candidates.csv"))
}

/// Reads a seed CSV file into rows.
pub fn read_csv<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seed").join(name);
    csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("seed rows")
}

/// The `extensions.code` of the first error of a response.
pub fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}
