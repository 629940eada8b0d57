//! What relation filters may read, for the cost estimate: for each row a list's filter is
//! evaluated on, every related row each of its relation filters may look at (and, below those,
//! what their own relation filters may), counted from the same statistics as lists: the most
//! rows any one row has in that relation. A to-one link reads one row.

use async_graphql::Value;

use crate::db::Stats;

/// How a field of a filter input reaches related rows.
struct Link {
    /// The most related rows one row has.
    most: fn(&Stats) -> u64,
    /// The input type of the related rows' filter.
    filter: &'static str,
    /// Whether the field takes `some`/`every`/`none` (a to-many relation) or the related
    /// filter itself (a to-one link).
    set: bool,
}

/// The relation a field of a filter input follows, if it follows one. Every such field of the
/// schema has one (a test checks).
fn link(filter: &str, field: &str) -> Option<Link> {
    let many = |most: fn(&Stats) -> u64, filter| Link { most, filter, set: true };
    let one = |filter| Link { most: |_| 1, filter, set: false };
    Some(match (filter, field) {
        ("CityFilter", "observations") => many(|s| s.observations_per_city, "ObservationFilter"),
        ("CityFilter", "sources") => many(|s| s.sources_per_city, "CitySourceFilter"),
        ("CityFilter", "province") => one("ProvinceFilter"),
        ("ProvinceFilter", "cities") => many(|s| s.cities_per_province, "CityFilter"),
        ("ProvinceFilter", "observations") => many(|s| s.observations_per_province, "ObservationFilter"),
        ("IndicatorFilter", "observations") => many(|s| s.observations_per_indicator, "ObservationFilter"),
        ("IndicatorFilter", "targets") => many(|s| s.targets_per_indicator, "TargetFilter"),
        ("ObservationFilter", "city") => one("CityFilter"),
        ("ObservationFilter", "province") => one("ProvinceFilter"),
        ("ObservationFilter", "indicator") | ("TargetFilter", "indicator") => one("IndicatorFilter"),
        // A target's evaluations keep the cities in scope that match a city list's filter.
        ("CityEvaluationFilter", "city") => one("CityFilter"),
        _ => return None,
    })
}

/// The rows the relation filters of `value`, a filter of input type `filter`, may read for one
/// row it is evaluated on.
pub fn per_row(value: &Value, filter: &str, stats: &Stats) -> u64 {
    let Value::Object(fields) = value else { return 0 };
    fields
        .iter()
        .map(|(name, value)| match (name.as_str(), value) {
            ("and" | "or", Value::List(items)) => sum(items.iter().map(|item| per_row(item, filter, stats))),
            // A single filter where a list is expected is a list of one.
            ("and" | "or" | "not", _) => per_row(value, filter, stats),
            (field, _) => link(filter, field).map_or(0, |link| reads(&link, value, stats)),
        })
        .fold(0, u64::saturating_add)
}

/// What one relation filter may read for one row: each related row, and what the related
/// rows' own filter may read for each.
fn reads(link: &Link, value: &Value, stats: &Stats) -> u64 {
    let each = |inner: &Value| (link.most)(stats).saturating_mul(1 + per_row(inner, link.filter, stats));
    match (link.set, value) {
        (_, Value::Null) => 0,
        (false, filter) => each(filter),
        // `some`, `every` and `none` are a subquery each.
        (true, Value::Object(set)) => sum(["some", "every", "none"]
            .iter()
            .filter_map(|quantifier| set.get(*quantifier))
            .filter(|filter| **filter != Value::Null)
            .map(each)),
        (true, _) => 0,
    }
}

fn sum(reads: impl Iterator<Item = u64>) -> u64 {
    reads.fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};

    use super::*;

    /// Every field of a filter input whose type is another entity's filter (one with `and`,
    /// `or` and `not`) or a set of them (`some`, `every`, `none`) follows a relation the
    /// estimate knows.
    #[test]
    fn every_relation_filter_has_a_link() {
        let document = async_graphql::parser::parse_schema(crate::graphql::sdl()).expect("the SDL parses");
        let mut inputs = std::collections::HashMap::new();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else { continue };
            let TypeKind::InputObject(input) = &definition.node.kind else { continue };
            // A list-typed field (`and`, `or`, `in`) is named with no type: none follows a relation.
            let fields: Vec<(String, String)> = input
                .fields
                .iter()
                .map(|f| match &f.node.ty.node.base {
                    BaseType::Named(ty) => (f.node.name.node.to_string(), ty.to_string()),
                    BaseType::List(_) => (f.node.name.node.to_string(), String::new()),
                })
                .collect();
            inputs.insert(definition.node.name.node.to_string(), fields);
        }
        let has = |ty: &str, names: &[&str]| {
            inputs.get(ty).is_some_and(|fields| names.iter().all(|n| fields.iter().any(|(f, _)| f == n)))
        };
        let mut followed = 0;
        for (input, fields) in &inputs {
            if has(input, &["some", "every", "none"]) {
                continue; // a set filter: its relation is the field holding it
            }
            for (field, ty) in fields {
                let entity = has(ty, &["and", "or", "not"]) && ty != input;
                let set = has(ty, &["some", "every", "none"]);
                if entity || set {
                    let link = link(input, field);
                    assert!(link.is_some(), "no cost for the relation filter {input}.{field}");
                    assert_eq!(link.map(|l| l.set), Some(set), "{input}.{field}");
                    followed += 1;
                }
            }
        }
        assert_eq!(followed, 12, "the relation filters of the schema");
    }

    #[test]
    fn reads_multiply_down_the_relations_and_add_across() {
        let stats = Stats { cities_per_province: 10, observations_per_city: 6, ..Stats::default() };
        let value = |json: serde_json::Value| Value::from_json(json).unwrap();
        let none = value(serde_json::json!({ "cities": { "none": { "observations": { "some": {} } } } }));
        // Ten entries, each with its six observations.
        assert_eq!(per_row(&none, "ProvinceFilter", &stats), 10 * (1 + 6));
        let both = value(serde_json::json!({
            "or": [{ "cities": { "some": {}, "every": { "province": { "code": { "eq": "x" } } } } }],
            "not": { "code": { "eq": "x" } }
        }));
        assert_eq!(per_row(&both, "ProvinceFilter", &stats), 10 + 10 * (1 + 1));
        assert_eq!(
            per_row(&value(serde_json::json!({ "code": { "eq": "x" } })), "ProvinceFilter", &stats),
            0
        );
    }
}
