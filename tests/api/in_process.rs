//! The in-process tier: the real router (`rustbelt::build`, from the configuration clap
//! parses as the binary does) on a real SQLite file, asked with tower's `oneshot`: no process,
//! no socket, no port.
//!
//! It is for tests that only talk to the API. Whatever needs a process (signals, sockets,
//! connection and descriptor limits, memory, other processes on the file, restarts, logs)
//! uses `common::Server`. Both have the same methods, so a test file moves with its `use` line.
//!
//! With `RUSTBELT_TEST_BINARY` set, this tier starts that binary instead, as a process: every
//! test can still be seen failing against an older build.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, Request, header};
use clap::Parser;
use rustbelt::config::{Command, Config, ServeConfig};
use rustbelt::engine::Db;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::call::{Call, Reply};
use crate::common;

/// The real router on a fresh (or given) database file, inside the test.
pub struct Server {
    inner: Inner,
    _dir: Option<tempfile::TempDir>,
}

enum Inner {
    /// The router, on a runtime of its own built as the binary builds its own.
    Router { router: Router, runtime: Option<tokio::runtime::Runtime>, _db: Db },
    /// `RUSTBELT_TEST_BINARY` names a binary: it runs as a process.
    Process(common::Server),
}

impl Server {
    /// The router on a fresh database file in a temporary folder.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// The router with extra arguments on a fresh database file in a temporary folder.
    pub fn start_with(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut server = Self::start_on(&dir.path().join("rustbelt.db"), args);
        server._dir = Some(dir);
        server
    }

    /// The router on `db` with extra arguments: the arguments `common::Server` gives the binary.
    pub fn start_on(db: &Path, args: &[&str]) -> Self {
        if std::env::var_os("RUSTBELT_TEST_BINARY").is_some_and(|path| !path.is_empty()) {
            return Self { inner: Inner::Process(common::Server::start_on(db, args)), _dir: None };
        }
        let config = serve_config(db, args);
        let runtime = rustbelt::runtime(&config).expect("a runtime");
        // `build` spawns tasks (the data-version watcher, the log folding) onto the runtime it
        // runs in; a thread of its own may block on it inside an async test.
        let built = std::thread::scope(|scope| {
            scope.spawn(|| runtime.block_on(rustbelt::build(&config))).join().expect("building the app")
        });
        let (router, db) = built.unwrap_or_else(|error| panic!("error: {error:#}"));
        Self { inner: Inner::Router { router, runtime: Some(runtime), _db: db }, _dir: None }
    }

    /// Sends `call` and returns the whole answer.
    pub async fn send(&self, call: Call) -> Reply {
        let (router, runtime) = match &self.inner {
            Inner::Process(server) => return server.send(call).await,
            Inner::Router { router, runtime, .. } => (router.clone(), runtime.as_ref().expect("running")),
        };
        let request = request(call);
        // The request runs on the app's runtime, as the binary runs it, not on the test's.
        let answer = runtime.spawn(async move {
            let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.expect("the response body");
            Reply::new(parts.status, parts.headers, body.to_vec())
        });
        answer.await.expect("the request ran to its end")
    }

    /// GETs `path` (with its query string).
    pub async fn get(&self, path: &str) -> Reply {
        match &self.inner {
            Inner::Process(server) => server.get(path).await,
            Inner::Router { .. } => self.send(Call::get(path)).await,
        }
    }

    /// POSTs a query (with variables) and returns the status and JSON body.
    pub async fn post(&self, query: &str, variables: Value) -> (u16, Value) {
        match &self.inner {
            Inner::Process(server) => server.post(query, variables).await,
            Inner::Router { .. } => self.graphql(None, query, variables).await,
        }
    }

    /// POSTs a query with a bearer token and returns the status and JSON body.
    pub async fn post_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        match &self.inner {
            Inner::Process(server) => server.post_as(token, query, variables).await,
            Inner::Router { .. } => self.graphql(Some(token), query, variables).await,
        }
    }

    /// POSTs a query that must succeed without errors, and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POSTs a query and returns the raw body text.
    pub async fn post_text(&self, query: &str, variables: Value) -> String {
        match &self.inner {
            Inner::Process(server) => server.post_text(query, variables).await,
            Inner::Router { .. } => self.send(graphql_call(query, variables)).await.text(),
        }
    }

    async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut call = graphql_call(query, variables);
        if let Some(token) = token {
            call = call.bearer(token);
        }
        let reply = self.send(call).await;
        (reply.status().as_u16(), reply.json())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Tests drop the server inside their own runtime, where waiting for another one's
        // tasks is refused; nothing of the app is needed past this point.
        if let Inner::Router { runtime, .. } = &mut self.inner {
            if let Some(runtime) = runtime.take() {
                runtime.shutdown_background();
            }
        }
    }
}

/// `{ query, variables }` POSTed to `/graphql` as JSON, as `common::Server` sends it.
fn graphql_call(query: &str, variables: Value) -> Call {
    Call::post("/graphql").json(&json!({ "query": query, "variables": variables }))
}

/// The serve configuration the binary would parse from the arguments `common::Server` gives
/// it (the environment's `RUSTBELT_*` variables count too, as they do for the binary).
fn serve_config(db: &Path, args: &[&str]) -> ServeConfig {
    let db = db.to_str().expect("a UTF-8 database path");
    let argv =
        ["rustbelt", "serve", "--listen", "127.0.0.1:0", "--db", db].into_iter().chain(args.iter().copied());
    match Config::try_parse_from(argv).unwrap_or_else(|error| panic!("{error}")).command {
        Some(Command::Serve(config)) => *config,
        other => panic!("`serve` parsed as {other:?}"),
    }
}

/// `call` as an HTTP request, with the headers an HTTP client adds to each request
/// (`reqwest` sends `Accept: */*` unless told otherwise, and the body's length).
fn request(call: Call) -> Request<axum::body::Body> {
    let length = call.body.len();
    let mut request = Request::builder()
        .method(call.method)
        .uri(call.target)
        .body(axum::body::Body::from(call.body))
        .expect("a request");
    let headers = request.headers_mut();
    *headers = call.headers;
    headers.entry(header::ACCEPT).or_insert(HeaderValue::from_static("*/*"));
    if length > 0 {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    request
}
