//! Relation filters answer what fetching the lists and filtering them here answers: every
//! relation under `some`, `every` and `none` (and every to-one link), on the seed and on a
//! hundred times its entries; empty related sets; three relations deep; inside `and`, `or` and
//! `not`; inside a nested list's filter; under facets and a target's evaluations.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::common::synthesize;
use crate::in_process::Server;
use crate::related_model::{ALL, Entity, F, Model, Q, RELATIONS, ROOMY, leaf, rel, served, set};

/// A condition on the rows of `entity` that some rows meet and others do not.
pub fn splitting(entity: Entity) -> F {
    match entity {
        Entity::Observation => F::And(vec![
            leaf("indicatorCode", "eq", json!("services_share_gdp")),
            leaf("value", "gt", json!(40.0)),
        ]),
        Entity::City => leaf("tier", "eq", json!("PREFECTURE_LEVEL")),
        Entity::Province => leaf("region", "eq", json!("CENTRAL")),
        Entity::Indicator => leaf("direction", "eq", json!("HIGHER_IS_BETTER")),
        Entity::Target => leaf("kind", "eq", json!("LEVEL")),
        Entity::Source => leaf("evidence", "eq", json!("NAMES_PLAN")),
    }
}

/// Conditions on the rows of `entity` to filter related rows by: [`splitting`], and one on a
/// field some rows have no value in (where `every` must not count an unknown as a match).
fn conditions(entity: Entity) -> Vec<F> {
    let mut conditions = vec![splitting(entity)];
    match entity {
        Entity::City => conditions.push(leaf("evidence", "eq", json!("NAMES_PLAN"))),
        Entity::Observation => conditions.push(leaf("cityCode", "eq", json!("140700"))),
        _ => {}
    }
    conditions
}

/// Every relation under every quantifier (a link alone and negated) answers as the model does;
/// `every` and `none` keep every row with no related rows. Gives how many to-many relations had
/// such rows, so a caller can check the empty case was met.
async fn each_relation(server: &Server, model: &Model) -> usize {
    let mut with_empty_sets = 0;
    for rel in RELATIONS {
        let mut filters: Vec<(Option<Q>, F)> = Vec::new();
        for inner in conditions(rel.to) {
            if rel.many {
                filters.extend(Q::ALL.iter().map(|q| (Some(*q), set(rel, *q, inner.clone()))));
            } else {
                let link = F::Link(rel, Box::new(inner));
                filters.extend([(None, link.clone()), (None, F::Not(Box::new(link)))]);
            }
        }
        let empty: BTreeSet<String> = model
            .rows(rel.from)
            .iter()
            .filter(|row| !model.eval(&set(rel, Q::Some, F::And(Vec::new())), row))
            .map(|row| row.key.clone())
            .collect();
        with_empty_sets += usize::from(rel.many && !empty.is_empty());
        for (q, filter) in filters {
            let (answer, _) = served(server, rel.from, &filter).await;
            assert_eq!(answer, model.answer(rel.from, &filter), "{:?}.{} {q:?}", rel.from, rel.field);
            if matches!(q, Some(Q::Every | Q::None)) {
                assert!(
                    answer.is_superset(&empty),
                    "{:?}.{} {q:?} over an empty set holds",
                    rel.from,
                    rel.field
                );
            }
        }
    }
    with_empty_sets
}

#[tokio::test]
async fn every_relation_and_quantifier_answers_as_the_lists_do_on_the_seed() {
    let server = Server::start_with(&ROOMY);
    let model = Model::fetch(&server).await;
    // Cities without observations, provinces without confirmed entries or observations of
    // their own, indicators without observations or targets: the seed has each.
    assert!(each_relation(&server, &model).await >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_relation_and_quantifier_answers_as_the_lists_do_on_a_hundred_times_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x100.db");
    synthesize(&db, 4_400, 2);
    let server = Server::start_on(&db, &ROOMY);
    let model = Model::fetch(&server).await;
    assert!(model.cities.len() > 4_400 && model.observations.len() > 52_800);
    // Synthetic entries have no sources: `every` and `none` over them hold.
    assert!(each_relation(&server, &model).await >= 5);
}

#[tokio::test]
async fn every_and_none_over_an_empty_set_hold() {
    let server = Server::start_with(&ROOMY);
    let model = Model::fetch(&server).await;
    let observations = rel(Entity::City, "observations");
    let without: BTreeSet<String> = model
        .cities
        .iter()
        .filter(|c| model.related(observations, c).is_empty())
        .map(|c| c.key.clone())
        .collect();
    assert!(!without.is_empty() && without.len() < model.cities.len());
    // Nothing is observed in 3000: only the entries without any observation pass `every`.
    let never = leaf("year", "gte", json!(3000));
    assert_eq!(served(&server, Entity::City, &set(observations, Q::Every, never)).await.0, without);
    assert_eq!(served(&server, Entity::City, &set(observations, Q::None, F::And(vec![]))).await.0, without);
    // The provinces without a confirmed entry: `every` of an impossible condition, `none` of any.
    let cities = rel(Entity::Province, "cities");
    let impossible = F::And(vec![splitting(Entity::City), F::Not(Box::new(splitting(Entity::City)))]);
    let unknown = served(&server, Entity::Province, &set(cities, Q::Every, impossible)).await.0;
    assert_eq!(unknown, served(&server, Entity::Province, &set(cities, Q::None, F::And(vec![]))).await.0);
    let expected: BTreeSet<String> = model
        .provinces
        .iter()
        .filter(|p| {
            !model
                .cities
                .iter()
                .any(|c| c.province == Some(p.key.clone()) && c.fields["membership"] == "CONFIRMED")
        })
        .map(|p| p.key.clone())
        .collect();
    assert_eq!(unknown, expected);
    assert!(unknown.contains("430000"), "Hunan: no entry known");
}

#[tokio::test]
async fn relations_nest_three_deep_and_combine_with_and_or_not() {
    let server = Server::start_with(&ROOMY);
    let model = Model::fetch(&server).await;
    let (cities, observations, indicator, province) = (
        rel(Entity::Province, "cities"),
        rel(Entity::City, "observations"),
        rel(Entity::Observation, "indicator"),
        rel(Entity::City, "province"),
    );
    let lower_is_better = leaf("direction", "eq", json!("LOWER_IS_BETTER"));
    // Provinces with a confirmed entry that has an observation of an indicator where lower is
    // better: three relations deep.
    let three =
        set(cities, Q::Some, set(observations, Q::Some, F::Link(indicator, Box::new(lower_is_better))));
    let answer = served(&server, Entity::Province, &three).await.0;
    assert_eq!(answer, model.answer(Entity::Province, &three));
    assert!(!answer.is_empty() && answer.len() < 31, "{answer:?}");

    let services = splitting(Entity::Observation);
    let central = F::Link(province, Box::new(splitting(Entity::Province)));
    let combined = [
        F::Or(vec![set(observations, Q::Some, services.clone()), F::Not(Box::new(central.clone()))]),
        F::And(vec![set(observations, Q::Every, services.clone()), central.clone()]),
        F::Not(Box::new(F::Or(vec![set(observations, Q::None, services), central]))),
    ];
    for filter in combined {
        assert_eq!(served(&server, Entity::City, &filter).await.0, model.answer(Entity::City, &filter));
    }
}

/// A relation filter inside a nested list's filter, with the facets counted under it.
#[tokio::test]
async fn a_nested_list_and_its_facets_filter_by_relations() {
    let server = Server::start_with(&ROOMY);
    let model = Model::fetch(&server).await;
    let filter = F::Or(vec![
        set(rel(Entity::City, "observations"), Q::Some, splitting(Entity::Observation)),
        set(rel(Entity::City, "sources"), Q::Every, leaf("evidence", "eq", json!("INDIRECT"))),
    ]);
    let query = "query($f: CityFilter, $all: Int!) { provinces(first: $all) { nodes { code
        cities(membership: [CONFIRMED, CANDIDATE], filter: $f, first: $all) { nodes { adminCode }
          facets { membership { value count } } } } } }";
    let data = server.data(query, json!({ "f": filter.json(), "all": ALL })).await;
    let kept = model.answer(Entity::City, &filter);
    assert!(!kept.is_empty());
    for province in data["provinces"]["nodes"].as_array().unwrap() {
        let code = province["code"].as_str().unwrap();
        let cities = &province["cities"];
        let listed: BTreeSet<String> = cities["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["adminCode"].as_str().unwrap().into())
            .collect();
        let expected: Vec<&crate::related_model::Row> = model
            .cities
            .iter()
            .filter(|c| c.province.as_deref() == Some(code) && kept.contains(&c.key))
            .collect();
        assert_eq!(listed, expected.iter().map(|c| c.key.clone()).collect(), "{code}");
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for city in &expected {
            *counts.entry(city.fields["membership"].as_str().unwrap().into()).or_default() += 1;
        }
        let facet: BTreeMap<String, u64> = cities["facets"]["membership"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["value"].as_str().unwrap().into(), v["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(facet, counts, "{code}");
    }
}

/// A target's evaluations keep the entries a city filter keeps, relation filters included.
#[tokio::test]
async fn a_targets_evaluations_filter_entries_by_relations() {
    let server = Server::start_with(&ROOMY);
    let model = Model::fetch(&server).await;
    let filter = set(rel(Entity::City, "observations"), Q::Some, leaf("year", "gte", json!(2016)));
    let query = "query($f: CityFilter, $all: Int!) { target(code: \"services_share_2017\") {
        evaluations(filter: { membership: [CONFIRMED, CANDIDATE], city: $f }, first: $all) {
          totalCount nodes { city { adminCode } } } } }";
    let data = server.data(query, json!({ "f": filter.json(), "all": ALL })).await;
    let evaluations = &data["target"]["evaluations"];
    let judged: BTreeSet<String> = evaluations["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["city"]["adminCode"].as_str().unwrap().into())
        .collect();
    let expected = model.answer(Entity::City, &filter);
    assert!(!expected.is_empty() && expected.len() < model.cities.len());
    assert_eq!(judged, expected);
    assert_eq!(evaluations["totalCount"].as_u64(), Some(expected.len() as u64));
}
