//! Every GraphQL example in README.md and docs/*.md runs on the real server, and answers what
//! the page shows.
//!
//! The rule a page follows:
//!
//! - Each ```` ```graphql ```` block is an example. A page's examples run in page order on one
//!   server of its own: the real binary on a fresh seed database, started with a write token.
//! - A query is sent as `POST /graphql` without the token, a mutation with it (so a later
//!   example on the page sees what a mutation wrote). A subscription is sent over
//!   `graphql-transport-ws`; the page's next mutation is its trigger and its first event is its
//!   answer. A subscription is live a moment after `subscribe`, with no acknowledgement, so the
//!   trigger is sent again (at most five times) until the event comes.
//! - `<!-- not run: WHY -->` on the line right before the fence leaves a block out (an excerpt
//!   with `…` in it, a schema sketch); the reason must be given.
//! - A ```` ```json ```` block right after an example (blank lines between at most) is its
//!   answer, compared with the body the server sent:
//!   - `data` and `errors` are compared whole, and each is shown exactly when the server sends
//!     it: an answer shown without `errors` fails when the server sends any.
//!   - under `extensions`, only the keys the answer shows are compared (`cost`, say); the others
//!     (`elapsedMs`, `rowsRead`, `sqlStatements`) change from run to run.
//!   - values compare as JSON values: key order is free, and numbers compare as numbers (`45`
//!     is `45.0`), to every digit the server sends (`2.1000000000000014`).
//! - An example with no answer shown must answer without `errors`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::common::Server;
use crate::live::Socket;

const TOKEN: &str = "docs-test-token";
const NOT_RUN: &str = "<!-- not run:";

/// One fenced block of a page.
struct Fence {
    /// 1-based line of the opening fence.
    line: usize,
    lang: String,
    text: String,
    /// The line before the opening fence.
    before: String,
    /// Whether only blank lines separate it from the fence before it.
    adjacent: bool,
}

/// One ```` ```graphql ```` block with what the page says about it.
struct Example {
    line: usize,
    document: String,
    not_run: Option<String>,
    answer: Option<Result<Value, String>>,
}

/// README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_dir(root.join("docs")).expect("docs/").map(|entry| entry.unwrap().path());
    let mut pages: Vec<PathBuf> = docs.filter(|path| path.extension().is_some_and(|e| e == "md")).collect();
    pages.sort();
    pages.insert(0, root.join("README.md"));
    pages
}

fn fences(page: &str) -> Vec<Fence> {
    let lines: Vec<&str> = page.lines().collect();
    let (mut found, mut i, mut last_close) = (Vec::<Fence>::new(), 0, None);
    while i < lines.len() {
        let Some(lang) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let close = (i + 1..lines.len()).find(|&j| lines[j].trim() == "```").unwrap_or(lines.len());
        let between = last_close.map(|c: usize| &lines[c + 1..i]);
        found.push(Fence {
            line: i + 1,
            lang: lang.trim().to_string(),
            text: lines[i + 1..close].join("\n"),
            before: i.checked_sub(1).map(|b| lines[b].trim().to_string()).unwrap_or_default(),
            adjacent: between.is_some_and(|between| between.iter().all(|l| l.trim().is_empty())),
        });
        last_close = Some(close);
        i = close + 1;
    }
    found
}

fn examples(page: &str) -> Vec<Example> {
    let fences = fences(page);
    let mut examples = Vec::new();
    for (n, fence) in fences.iter().enumerate().filter(|(_, f)| f.lang == "graphql") {
        let next = fences.get(n + 1).filter(|next| next.lang == "json" && next.adjacent);
        let answer = next.map(|json| serde_json::from_str(&json.text).map_err(|e| e.to_string()));
        let not_run =
            fence.before.strip_prefix(NOT_RUN).map(|why| why.trim_end_matches("-->").trim().to_string());
        examples.push(Example { line: fence.line, document: fence.text.clone(), not_run, answer });
    }
    examples
}

/// `mutation`, `subscription` or `query`: the keyword a line of the document begins with.
fn kind(document: &str) -> &'static str {
    let starts = |word: &str| document.lines().any(|line| line.trim_start().starts_with(word));
    if starts("mutation") {
        "mutation"
    } else if starts("subscription") {
        "subscription"
    } else {
        "query"
    }
}

/// Whether two JSON values are the same, numbers compared as numbers (`45` and `45.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, a)| b.get(key).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

/// How `body` differs from the answer a page shows, by the rule in this module's doc.
fn difference(shown: &Value, body: &Value) -> Option<String> {
    for key in ["data", "errors"] {
        let agree = match (shown.get(key), body.get(key)) {
            (Some(shown), Some(sent)) => same(shown, sent),
            (shown, sent) => shown.is_none() && sent.is_none(),
        };
        if !agree {
            let got = body.get(key).map_or("nothing".into(), Value::to_string);
            return Some(format!("`{key}` differs: the server sent {got}"));
        }
    }
    let empty = Map::new();
    let shown_extensions = shown.get("extensions").and_then(Value::as_object).unwrap_or(&empty);
    for (key, value) in shown_extensions {
        if !body["extensions"].get(key).is_some_and(|sent| same(value, sent)) {
            return Some(format!("`extensions.{key}` differs: the server sent {}", body["extensions"][key]));
        }
    }
    None
}

/// What is wrong with `body` as the answer to `example`, if anything.
fn check(example: &Example, body: &Value) -> Option<String> {
    match &example.answer {
        Some(Ok(shown)) => difference(shown, body),
        Some(Err(error)) => Some(format!("the answer shown is not JSON: {error}")),
        None => body.get("errors").map(|errors| format!("answered with errors: {errors}")),
    }
}

/// A subscription waiting for the page's next mutation.
struct Waiting<'a> {
    example: &'a Example,
    socket: Socket,
}

/// Sends `example` (a mutation) until `waiting` hears an event, and checks that event.
async fn trigger(server: &Server, example: &Example, waiting: &mut Waiting<'_>) -> Option<String> {
    for _ in 0..5 {
        let (_, body) = server.post_as(TOKEN, &example.document, json!({})).await;
        if let Some(wrong) = check(example, &body) {
            return Some(wrong);
        }
        if let Some(message) = waiting.socket.within(Duration::from_millis(800)).await {
            let event = match message["type"].as_str() {
                Some("next") => message["payload"].clone(),
                _ => return Some(format!("the subscription answered {message}")),
            };
            let wrong = check(waiting.example, &event)?;
            return Some(format!("its event (line {}): {wrong}", waiting.example.line));
        }
    }
    Some(format!("the subscription at line {} heard no event after five sends", waiting.example.line))
}

/// Runs a page's examples in order; returns how many ran, and every failure as `page:line: why`.
async fn run_page(name: &str, examples: &[Example]) -> (usize, Vec<String>) {
    let server = Server::start_with(&["--write-token", TOKEN]);
    let (mut ran, mut failures, mut waiting) = (0, Vec::new(), None::<Waiting>);
    for example in examples.iter().filter(|e| e.not_run.is_none()) {
        ran += 1;
        let wrong = match kind(&example.document) {
            "subscription" => {
                let mut socket = Socket::ready(&server, json!({})).await;
                socket.subscribe("docs", &example.document, json!({})).await;
                waiting = Some(Waiting { example, socket });
                None
            }
            "mutation" => match waiting.as_mut() {
                Some(waiting) => trigger(&server, example, waiting).await,
                None => check(example, &server.post_as(TOKEN, &example.document, json!({})).await.1),
            },
            _ => check(example, &server.post(&example.document, json!({})).await.1),
        };
        if kind(&example.document) == "mutation" {
            waiting = None;
        }
        failures.extend(wrong.map(|why| format!("{name}:{}: {why}", example.line)));
    }
    if let Some(waiting) = waiting {
        failures.push(format!("{name}:{}: a subscription with no mutation after it", waiting.example.line));
    }
    (ran, failures)
}

#[tokio::test]
async fn every_graphql_example_in_the_readme_and_docs_runs_and_answers_as_shown() {
    let mut failures = Vec::new();
    for path in pages() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let examples = examples(&std::fs::read_to_string(&path).expect("a page"));
        for example in examples.iter().filter(|e| e.not_run.as_ref().is_some_and(String::is_empty)) {
            failures.push(format!("{name}:{}: `not run` without a reason", example.line));
        }
        if examples.iter().all(|e| e.not_run.is_some()) {
            continue;
        }
        let (ran, wrong) = run_page(&name, &examples).await;
        let answered = examples.iter().filter(|e| e.not_run.is_none() && e.answer.is_some()).count();
        println!("{name}: {ran} examples run, {answered} with an answer shown");
        if name == "README.md" && answered < 3 {
            failures.push(format!("README.md: {answered} examples with answers; the front page shows three"));
        }
        failures.extend(wrong);
    }
    assert!(failures.is_empty(), "examples that do not answer as their page says:\n{}", failures.join("\n"));
}

#[test]
fn an_answer_is_read_only_right_after_its_example() {
    let page = "```graphql\n{ a }\n```\n\n```json\n{\"data\":{\"a\":1}}\n```\n\
                ```graphql\n{ b }\n```\nprose\n```json\n{}\n```\n\
                <!-- not run: a sketch -->\n```graphql\ntype T\n```\n";
    let examples = examples(page);
    assert_eq!(examples.len(), 3);
    assert_eq!(examples[0].answer.as_ref().unwrap().as_ref().unwrap(), &json!({"data": {"a": 1}}));
    assert!(examples[1].answer.is_none(), "prose between: not an answer");
    assert_eq!(examples[2].not_run.as_deref(), Some("a sketch"));
}

#[test]
fn extensions_compare_only_where_shown() {
    let body = json!({"data": {"a": 1}, "extensions": {"elapsedMs": 3.2, "cost": {"n": 1}}});
    assert_eq!(difference(&json!({"data": {"a": 1}}), &body), None);
    assert_eq!(difference(&json!({"data": {"a": 1}, "extensions": {"cost": {"n": 1}}}), &body), None);
    assert!(difference(&json!({"data": {"a": 1}, "extensions": {"cost": {"n": 2}}}), &body).is_some());
    assert!(difference(&json!({"data": {"a": 2}}), &body).is_some());
    assert_eq!(difference(&json!({"data": {"a": 1.0}}), &body), None, "numbers as numbers");
    let partial = json!({"data": {"a": null}, "errors": [{"message": "m"}]});
    assert!(difference(&json!({"data": {"a": null}}), &partial).is_some(), "errors not shown");
}
