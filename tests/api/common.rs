//! Starting the real server and talking to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::call::{Call, Reply};

/// The binary under test: the one cargo built, or `RUSTBELT_TEST_BINARY` (to see a test fail
/// against an older build, as every test should against the fault it names).
pub fn binary() -> std::ffi::OsString {
    std::env::var_os("RUSTBELT_TEST_BINARY")
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_rustbelt").into())
}

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
        let mut child = Command::new(binary())
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
        self.graphql(None, query, variables).await
    }

    /// POSTs a query with a bearer token and returns the status and JSON body.
    pub async fn post_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        self.graphql(Some(token), query, variables).await
    }

    async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
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

    /// Sends `call` on a connection of its own and returns the whole answer. (The server closes
    /// a connection whose body it refused to read; a shared pool could hand that one on.)
    pub async fn send(&self, call: Call) -> Reply {
        let client = reqwest::Client::new();
        let mut request =
            client.request(call.method, format!("{}{}", self.base, call.target)).headers(call.headers);
        if !call.body.is_empty() {
            request = request.body(call.body);
        }
        let response = request.send().await.expect("a request to the server");
        let (status, headers) = (response.status(), response.headers().clone());
        Reply::new(status, headers, response.bytes().await.expect("the body").to_vec())
    }

    /// GETs `path` (with its query string).
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Call::get(path)).await
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
    pub source_grade: String,
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

/// A JSON value that keeps its objects' keys in the order they came (serde_json sorts them).
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Object(Vec<(String, Ordered)>),
    List(Vec<Ordered>),
    Other(Value),
}

impl Ordered {
    /// Parses JSON text, keeping key order.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).expect("JSON")
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> &Ordered {
        match self {
            Ordered::Object(members) => {
                &members.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key}")).1
            }
            other => panic!("not an object: {other:?}"),
        }
    }

    /// The keys of an object, in order.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Object(members) => members.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Ordered>()? {
                    members.push((key, value));
                }
                Ok(Ordered::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Ordered>()? {
                    items.push(item);
                }
                Ok(Ordered::List(items))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::String(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Other(json!(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Other(json!(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Other(json!(v)))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Other(Value::Null))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Server {
    /// POSTs a query and returns the raw body text.
    pub async fn post_text(&self, query: &str, variables: Value) -> String {
        let response = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        response.send().await.expect("POST /graphql").text().await.expect("body")
    }
}

/// Writes a synthetic database of `cities` cities with `years` years of observations each.
pub fn synthesize(path: &Path, cities: u32, years: u32) {
    let made = Command::new(binary())
        .args(["synthesize", "--cities", &cities.to_string(), "--years", &years.to_string(), "--out"])
        .arg(path)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run rustbelt synthesize");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
}

/// About a million list items on the seed: 20 aliases (the most root fields allowed), each
/// three levels of entries with their observations and sources.
pub fn a_million_nodes() -> String {
    let one = "cities(first: 500, membership: [CONFIRMED, CANDIDATE]) { nodes { province {
                 cities(first: 500, membership: [CONFIRMED, CANDIDATE]) { nodes { province {
                   cities(first: 500, membership: [CONFIRMED, CANDIDATE]) { nodes {
                     observations(first: 500) { nodes { value } } sources { url } } } } } } } } }";
    let aliased: String = (0..20).map(|i| format!("a{i}: {one} ")).collect();
    format!("{{ {aliased} }}")
}

/// Runs `rustbelt import KIND FILE --db DB EXTRA…`; gives whether it succeeded, its stdout and
/// its stderr.
pub fn import(kind: &str, db: &Path, file: &Path, extra: &[&str]) -> (bool, String, String) {
    let output = Command::new(binary())
        .args(["import", kind])
        .arg(file)
        .arg("--db")
        .arg(db)
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run rustbelt import");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (output.status.success(), text(output.stdout), text(output.stderr))
}
