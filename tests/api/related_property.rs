//! Relation filters, generated at random (any relation, any quantifier, leaves on nullable and
//! non-null fields, `and`/`or`/`not` around them, up to three relations deep), on the seed and
//! on a hundred times its entries: each answer must equal the one the test computes from the
//! lists, and each answer's cost estimate must cover the rows read — those the database handed
//! back (`extensions.rowsRead`) and every related row the relation filters may look at, counted
//! here from the data.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::common::synthesize;
use crate::in_process::Server;
use crate::related_model::{ALL, Entity, F, Model, Q, RELATIONS, ask, keys, leaf};

/// Every row in one page, every list item; the rows read keep their default limit (2,000,000),
/// so a filter estimated to read more is refused rather than run. No cached answers.
const SERVER: [&str; 10] = [
    "--cache-mb",
    "0",
    "--max-page-size",
    "60000",
    "--max-nodes",
    "1000000000",
    "--request-timeout-ms",
    "300000",
    "--statement-timeout-ms",
    "300000",
];

/// Builds a filter from a sequence of choices (proptest shrinks the sequence, so a failing
/// filter shrinks toward a short one).
struct Generator<'a> {
    choices: std::slice::Iter<'a, u32>,
}

impl Generator<'_> {
    fn next(&mut self, below: usize) -> usize {
        self.choices.next().map_or(0, |c| *c as usize % below.max(1))
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.next(items.len())].clone()
    }

    /// A leaf on a field of `entity`, with a value some rows have.
    fn leaf(&mut self, entity: Entity) -> F {
        match entity {
            Entity::Province => {
                leaf("region", "eq", json!(self.pick(&["EAST", "CENTRAL", "WEST", "NORTHEAST"])))
            }
            Entity::City => match self.next(3) {
                0 => leaf("tier", "eq", json!(self.pick(&["PREFECTURE_LEVEL", "PROVINCIAL_CAPITAL"]))),
                1 => leaf("membership", "eq", json!(self.pick(&["CONFIRMED", "CANDIDATE"]))),
                _ => leaf(
                    "evidence",
                    "eq",
                    json!(self.pick(&["NAMES_PLAN", "NATIONAL_DESIGNATION", "INDIRECT"])),
                ),
            },
            Entity::Observation => match self.next(5) {
                0 => {
                    leaf("indicatorCode", "eq", json!(self.pick(&["services_share_gdp", "gdp", "new_jobs"])))
                }
                1 => leaf("year", "gte", json!(self.pick(&[2012, 2013, 2016, 2017]))),
                2 => leaf("value", "gt", json!(self.pick(&[1.0, 40.0, 45.0, 1000.0]))),
                3 => leaf("origin", "eq", json!(self.pick(&["SEED", "USER"]))),
                _ => leaf("cityCode", "eq", json!(self.pick(&["140700", "340300"]))),
            },
            Entity::Indicator => {
                leaf("direction", "eq", json!(self.pick(&["HIGHER_IS_BETTER", "LOWER_IS_BETTER"])))
            }
            Entity::Target => {
                leaf("kind", "eq", json!(self.pick(&["LEVEL", "CHANGE_FROM_BASELINE", "CUMULATIVE"])))
            }
            Entity::Source => match self.next(2) {
                0 => leaf("evidence", "eq", json!(self.pick(&["NAMES_PLAN", "INDIRECT"]))),
                _ => leaf("origin", "eq", json!(self.pick(&["SEED", "USER"]))),
            },
        }
    }

    /// A filter on `entity` with at most `relations` relation filters inside one another.
    fn filter(&mut self, entity: Entity, relations: usize, logic: usize) -> F {
        let followed: Vec<_> = RELATIONS.iter().filter(|r| r.from == entity).copied().collect();
        match self.next(6) {
            0..=2 if relations > 0 && !followed.is_empty() => {
                let rel = self.pick(&followed);
                let inner = self.filter(rel.to, relations - 1, logic);
                if !rel.many {
                    return F::Link(rel, Box::new(inner));
                }
                let q = self.pick(&Q::ALL);
                let membership =
                    (rel.to == Entity::City && self.next(3) == 0).then(|| vec!["CONFIRMED", "CANDIDATE"]);
                F::Set(rel, q, membership, Box::new(inner))
            }
            3 if logic > 0 => F::And(vec![
                self.filter(entity, relations, logic - 1),
                self.filter(entity, relations, logic - 1),
            ]),
            4 if logic > 0 => F::Or(vec![
                self.filter(entity, relations, logic - 1),
                self.filter(entity, relations, logic - 1),
            ]),
            5 if logic > 0 => F::Not(Box::new(self.filter(entity, relations, logic - 1))),
            _ => self.leaf(entity),
        }
    }
}

/// The estimate of rows read, and the rows read, of a response.
fn reads(body: &Value) -> (u64, u64) {
    let extensions = &body["extensions"];
    (extensions["cost"]["estimate"]["reads"].as_u64().unwrap(), extensions["rowsRead"].as_u64().unwrap())
}

/// The same city filter inside every province's list of entries: the response, with the
/// entries every province lists as one list (`answer`).
async fn nested(server: &Server, filter: &F) -> Value {
    let query = "query($f: CityFilter, $all: Int!) { provinces(first: $all) { nodes {
        cities(membership: [CONFIRMED, CANDIDATE], filter: $f, first: $all) { nodes { adminCode } } } } }";
    let (status, mut body) = server.post(query, json!({ "f": filter.json(), "all": ALL })).await;
    assert_eq!(status, 200, "{}: {body}", filter.json());
    if let Some(provinces) = body["data"]["provinces"]["nodes"].as_array() {
        let nodes: Vec<Value> =
            provinces.iter().flat_map(|p| p["cities"]["nodes"].as_array().unwrap().clone()).collect();
        body["data"]["answer"] = json!({ "nodes": nodes });
    }
    body
}

/// Checks one generated filter; gives whether it ran (false: refused as too costly).
fn check(
    runtime: &tokio::runtime::Runtime,
    server: &Server,
    model: &Model,
    choices: &[u32],
) -> Result<bool, TestCaseError> {
    let mut generator = Generator { choices: choices.iter() };
    let roots = [Entity::Province, Entity::City, Entity::Observation, Entity::Indicator, Entity::Target];
    let entity = generator.pick(&roots);
    let filter = generator.filter(entity, 3, 2);
    let in_a_nested_list = entity == Entity::City && generator.next(2) == 1;
    let body = match in_a_nested_list {
        true => runtime.block_on(nested(server, &filter)),
        false => runtime.block_on(ask(server, entity, &filter)),
    };
    let json = filter.json();
    if let Some(errors) = body["errors"].as_array() {
        let codes: Vec<&str> = errors.iter().filter_map(|e| e["extensions"]["code"].as_str()).collect();
        prop_assert!(codes == ["COMPLEXITY_LIMIT"], "{:?} {}: {}", entity, json, body["errors"]);
        prop_assert!(body["extensions"].get("rowsRead").is_none(), "a refused query ran: {}", json);
        return Ok(false);
    }
    let answer = keys(entity, &body["data"]["answer"]);
    prop_assert_eq!(&answer, &model.answer(entity, &filter), "{:?} {}", entity, json);
    let (estimate, handed_back) = reads(&body);
    let looked_at = model.reads(entity, &filter);
    prop_assert!(
        estimate >= handed_back + looked_at,
        "{:?} {}: estimate {} under {} handed back + {} related rows looked at",
        entity,
        json,
        estimate,
        handed_back,
        looked_at
    );
    Ok(true)
}

fn run_on(server: &Server, cases: u32) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let model = runtime.block_on(Model::fetch(server));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let ran = std::cell::Cell::new(0u32);
    runner
        .run(&prop::collection::vec(0u32..1_000, 1..40), |choices| {
            ran.set(ran.get() + u32::from(check(&runtime, server, &model, &choices)?));
            Ok(())
        })
        .unwrap();
    // Most generated filters run (the rest are refused as too costly, and checked not to run).
    eprintln!("{} of {cases} generated filters ran", ran.get());
    assert!(ran.get() * 2 > cases, "{} of {cases} ran", ran.get());
}

#[test]
fn random_relation_filters_answer_as_the_lists_do_within_their_estimate_on_the_seed() {
    run_on(&Server::start_with(&SERVER), 96);
}

#[test]
fn random_relation_filters_answer_as_the_lists_do_within_their_estimate_on_a_hundred_times_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x100.db");
    synthesize(&db, 4_400, 2);
    run_on(&Server::start_on(&db, &SERVER), 32);
}
