//! Pages answered in one step (`src/graphql/types/plain.rs`: plain fields straight from each
//! row, only fields with their own selections through the executor; `src/graphql/types/paging.rs`
//! `reading`: only the text columns the nodes show) against the same pages read whole and
//! resolved field by field by async-graphql (`--read-everything`), on random selections of
//! provinces, entries and observations: aliases, repeated fields, `__typename`, inline
//! fragments, fragments on `Node`, named fragments, `@include`/`@skip`, links and lists
//! between them. The two answers must be the same bytes.

use proptest::test_runner::{Config, TestCaseError, TestRunner};
use proptest::{prop_assert, prop_assert_eq};
use serde_json::json;

use crate::common::synthesize;
use crate::in_process::Server;

const PROVINCE: &[&str] = &["id", "code", "nameEn", "nameZh", "isoCode", "kind", "region"];
const CITY: &[&str] = &[
    "id",
    "adminCode",
    "nameEn",
    "nameZh",
    "tier",
    "latitude",
    "longitude",
    "synthetic",
    "membership",
    "evidence",
    "entryKind",
    "origin",
];
const OBSERVATION: &[&str] = &[
    "id",
    "subjectKind",
    "year",
    "value",
    "unit",
    "definition",
    "sourceUrl",
    "sourceNote",
    "synthetic",
    "origin",
    "sourceGrade",
    "recordedBy",
    "recordedVersion",
];

#[derive(Clone, Copy, PartialEq)]
enum Type {
    Province,
    City,
    Observation,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Province => "Province",
            Type::City => "City",
            Type::Observation => "Observation",
        }
    }

    fn plain(self) -> &'static [&'static str] {
        match self {
            Type::Province => PROVINCE,
            Type::City => CITY,
            Type::Observation => OBSERVATION,
        }
    }

    /// Fields with selections of their own (or arguments): the executor's part.
    fn resolved(self, depth: usize) -> Vec<String> {
        // Aliased: the document asks for these lists again with other arguments.
        let observations =
            |g: &str| format!("r_observations: observations(first: 3) {{ totalCount nodes {{ {g} }} }}");
        match self {
            Type::Province => vec![
                "r_observations: observations(first: 2) { totalCount }".into(),
                "plan { titleEn }".into(),
                if depth < 2 {
                    "r_cities: cities(first: 2) { totalCount nodes { adminCode } }".into()
                } else {
                    "code".into()
                },
            ],
            Type::City => vec![
                "province { code nameEn }".into(),
                "sources { url }".into(),
                "evaluation { target { code } status }".into(),
                observations("year value indicator { code }"),
            ],
            Type::Observation => vec!["indicator { code nameEn }".into(), "city { nameZh }".into()],
        }
    }
}

/// Makes a document from a sequence of choices (proptest shrinks it toward a short one).
struct Generator<'a> {
    choices: std::slice::Iter<'a, u32>,
    fragments: Vec<String>,
}

impl Generator<'_> {
    fn next(&mut self, below: usize) -> usize {
        self.choices.next().map_or(0, |c| *c as usize % below.max(1))
    }

    fn pick<'s>(&mut self, items: &'s [&'s str]) -> &'s str {
        items[self.next(items.len())]
    }

    /// A selection of `ty`'s fields, never empty.
    fn selection(&mut self, ty: Type, depth: usize) -> String {
        let mut items = Vec::new();
        for _ in 0..1 + self.next(7) {
            let item = match self.next(10) {
                0..=3 => self.pick(ty.plain()).to_string(),
                4 => {
                    let field = self.pick(ty.plain());
                    format!("{}_{field}: {field}", ["a", "b"][self.next(2)])
                }
                5 => "__typename".to_string(),
                6 => {
                    let resolved = ty.resolved(depth);
                    resolved[self.next(resolved.len())].clone()
                }
                7 if depth < 3 => format!("... on {} {{ {} }}", ty.name(), self.selection(ty, depth + 1)),
                7 => "... on Node { id }".to_string(),
                8 if depth < 3 => {
                    // The name is taken before the body, which may define fragments of its own.
                    let at = self.fragments.len();
                    let name = format!("F{at}");
                    self.fragments.push(String::new());
                    let body = self.selection(ty, depth + 1);
                    self.fragments[at] = format!("fragment {name} on {} {{ {body} }}", ty.name());
                    format!("...{name}")
                }
                _ => {
                    let field = self.pick(ty.plain());
                    let directive =
                        ["@include(if: true)", "@include(if: false)", "@skip(if: true)", "@skip(if: false)"]
                            [self.next(4)];
                    format!("{field} {directive}")
                }
            };
            items.push(item);
        }
        // Something is always selected, whatever the directives left out.
        items.push(self.pick(ty.plain()).to_string());
        items.join(" ")
    }

    fn document(&mut self) -> String {
        let observations = self.selection(Type::Observation, 0);
        let observation_edges = self.selection(Type::Observation, 0);
        let city = self.selection(Type::City, 0);
        let city_edges = self.selection(Type::City, 0);
        let province = self.selection(Type::Province, 0);
        let (p, c, o) = (1 + self.next(31), 1 + self.next(20), 1 + self.next(10));
        let mut document = format!(
            "{{ provinces(first: {p}) {{ nodes {{ {province} cities(first: {c}, membership: [CONFIRMED, CANDIDATE]) {{
               totalCount nodes {{ {city} observations(first: {o}) {{ nodes {{ {observations} }}
               edges {{ cursor node {{ {observation_edges} }} }} }} }} edges {{ node {{ {city_edges} }} }} }} }} }}
               observations(first: 30) {{ nodes {{ {observations} }} }} }}"
        );
        for fragment in &self.fragments {
            document.push('\n');
            document.push_str(fragment);
        }
        document
    }
}

/// The body's `data`, as the bytes the server sent (the extensions after it differ: time, rows).
fn data_bytes(body: &str) -> &str {
    body.split_once(",\"extensions\"").map_or(body, |(data, _)| data)
}

fn check(
    runtime: &tokio::runtime::Runtime,
    direct: &Server,
    whole: &Server,
    choices: &[u32],
) -> Result<(), TestCaseError> {
    let document = Generator { choices: choices.iter(), fragments: Vec::new() }.document();
    let (a, b) = runtime.block_on(async {
        (direct.post_text(&document, json!({})).await, whole.post_text(&document, json!({})).await)
    });
    prop_assert!(!a.contains("\"errors\""), "{document}\n{a}");
    prop_assert_eq!(data_bytes(&a), data_bytes(&b), "{}", document);
    Ok(())
}

fn run_on(db: &std::path::Path, cases: u32) {
    let args = ["--cache-mb", "0", "--max-nodes", "1000000", "--request-timeout-ms", "60000"];
    let direct = Server::start_on(db, &args);
    let whole = Server::start_on(db, &[&args[..], &["--read-everything"]].concat());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&proptest::collection::vec(0u32..1_000, 1..80), |choices| {
            check(&runtime, &direct, &whole, &choices)
        })
        .unwrap();
}

#[test]
fn pages_answered_in_one_step_answer_as_the_executor_does_on_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seed.db");
    // Made by the first server; the second opens the same file.
    drop(Server::start_on(&db, &[]));
    run_on(&db, 96);
}

#[test]
fn pages_answered_in_one_step_answer_as_the_executor_does_on_a_hundred_times_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x100.db");
    synthesize(&db, 4_400, 3);
    run_on(&db, 24);
}

/// A field under a page that fails fails the same way on both paths: the same errors, with the
/// same paths, and the same data around them.
#[test]
fn a_failing_field_under_a_page_is_answered_as_the_executor_answers_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seed.db");
    drop(Server::start_on(&db, &[]));
    let direct = Server::start_on(&db, &["--cache-mb", "0"]);
    let whole = Server::start_on(&db, &["--cache-mb", "0", "--read-everything"]);
    let document =
        "{ provinces(first: 3) { nodes { code cities(first: 2, membership: [CONFIRMED, CANDIDATE]) {
                      nodes { adminCode bad: observations(first: -1) { totalCount } nameEn } } } } }";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (a, b) = runtime.block_on(async {
        (direct.post_text(document, json!({})).await, whole.post_text(document, json!({})).await)
    });
    let (a_json, b_json): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
    let errors = a_json["errors"].as_array().expect("errors");
    assert!(errors.iter().all(|e| e["path"].to_string().contains("bad")), "{a}");
    assert_eq!(a_json["errors"], b_json["errors"]);
    let data = |body: &str| body.split_once(",\"errors\"").map(|(data, _)| data.to_string());
    assert_eq!(data(&a).expect("data before errors"), data(&b).expect("data before errors"));
}
