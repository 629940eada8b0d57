//! Relation filters as SQL: each condition on related rows is one `EXISTS` or `NOT EXISTS`
//! subquery correlated with the row it filters, inside the statement of the list it filters.
//! A list filtered by its observations is read in as many statements as one that is not,
//! whatever the number of parents or rows, and each subquery finds the related rows of one
//! row by an index (see `docs/filters.md` for the plans).
//!
//! - `some`: `EXISTS (related rows matching)`;
//! - `none`: `NOT EXISTS (related rows matching)`, true when there are no related rows;
//! - `every`: `NOT EXISTS (related rows not matching)`, true when there are none, where "not
//!   matching" is the list filter's own `not` (a condition on a missing value does not match);
//! - a to-one link: `EXISTS (the linked row, matching)`, false when there is none.
//!
//! Tables, columns and aliases come from the fixed table below, never from a request; every
//! value is bound.

use rusqlite::types::Value;

use super::list::filter_sql;
use crate::domain::query::{Quantifier, Related, Relation};

/// Where a condition is rendered: the name its row's table has there, and how many relation
/// subqueries enclose it (each subquery's alias is named after its depth, so an inner one never
/// hides an outer one).
#[derive(Debug, Clone, Copy)]
pub(super) struct Row<'a> {
    pub name: &'a str,
    pub depth: usize,
}

impl<'a> Row<'a> {
    /// The rows of a list's statement, read from `table` under its own name.
    pub fn of(table: &'a str) -> Self {
        Self { name: table, depth: 0 }
    }
}

/// How a relation's rows are found from a row: the related table, and the condition that ties
/// one of its rows (`related`) to the row (`row`).
struct Link {
    table: &'static str,
    tie: fn(related: &str, row: &str) -> String,
}

fn link(relation: Relation) -> Link {
    use Relation::*;
    let (table, tie): (&'static str, fn(&str, &str) -> String) = match relation {
        // Through `subject_key`, so the covering `observations_series` index (subject,
        // indicator, year, value) answers the usual conditions without reading the rows.
        CityObservations => {
            ("observations", |r, row| format!("{r}.subject_key = 'CITY:' || {row}.admin_code"))
        }
        ProvinceObservations => {
            ("observations", |r, row| format!("{r}.subject_key = 'PROVINCE:' || {row}.code"))
        }
        CitySources => ("city_sources", |r, row| format!("{r}.city_code = {row}.admin_code")),
        CityProvince => ("provinces", |r, row| format!("{r}.code = {row}.province_code")),
        ProvinceCities => ("cities", |r, row| format!("{r}.province_code = {row}.code")),
        IndicatorObservations => ("observations", |r, row| format!("{r}.indicator_code = {row}.code")),
        IndicatorTargets => ("targets", |r, row| format!("{r}.indicator_code = {row}.code")),
        ObservationCity => ("cities", |r, row| format!("{r}.admin_code = {row}.city_code")),
        ObservationProvince => ("provinces", |r, row| format!("{r}.code = {row}.province_code")),
        ObservationIndicator | TargetIndicator => {
            ("indicators", |r, row| format!("{r}.code = {row}.indicator_code"))
        }
    };
    Link { table, tie }
}

/// The condition `related` puts on `row`, pushing its values onto `params` in the order their
/// marks appear.
pub(super) fn exists(related: &Related, row: Row<'_>, params: &mut Vec<Value>) -> String {
    let link = link(related.relation);
    let alias = format!("_r{}", row.depth + 1);
    let inner = Row { name: &alias, depth: row.depth + 1 };
    let mut conditions = vec![(link.tie)(&alias, row.name)];
    if let Some(within) = &related.within {
        conditions.push(filter_sql(within, inner, params));
    }
    let matching = filter_sql(&related.filter, inner, params);
    let negated = match related.quantifier {
        Quantifier::Some => {
            conditions.push(matching);
            ""
        }
        Quantifier::None => {
            conditions.push(matching);
            "NOT "
        }
        Quantifier::Every => {
            // As the filter's `not`: a row where the condition is unknown does not match.
            conditions.push(format!("NOT coalesce({matching}, 0)"));
            "NOT "
        }
    };
    format!("{negated}EXISTS (SELECT 1 FROM {} {alias} WHERE {})", link.table, conditions.join(" AND "))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::db::{Db, DbOptions, ReadSession};
    use crate::domain::query::{Filter, Op, Scalar};

    fn seeded_session() -> (tempfile::TempDir, ReadSession) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = DbOptions { path: dir.path().join("plans.db"), ..Default::default() };
        let db = Db::open(&options).expect("database");
        (dir, ReadSession::new(db, Default::default(), Instant::now() + Duration::from_secs(10)))
    }

    fn eq(column: &'static str, value: &str) -> Filter {
        Filter::Column { column, op: Op::Eq(Scalar::Text(value.into())) }
    }

    /// Every relation, under every quantifier, as the only condition of a list of its rows'
    /// table, with a condition inside.
    fn each_relation() -> Vec<(&'static str, Filter)> {
        use Relation::*;
        let inner = |relation| match relation {
            CityObservations | ProvinceObservations | IndicatorObservations => Filter::All(vec![
                eq("indicator_code", "gdp"),
                Filter::Column { column: "year", op: Op::Eq(Scalar::Int(2012)) },
            ]),
            CitySources => eq("evidence", "NAMES_PLAN"),
            CityProvince | ObservationProvince => eq("region", "CENTRAL"),
            ProvinceCities | ObservationCity => eq("membership", "CONFIRMED"),
            IndicatorTargets => eq("kind", "level"),
            ObservationIndicator | TargetIndicator => eq("direction", "higher_is_better"),
        };
        let on = |relation| match relation {
            CityObservations | CitySources | CityProvince => "cities",
            ProvinceCities | ProvinceObservations => "provinces",
            IndicatorObservations | IndicatorTargets => "indicators",
            ObservationCity | ObservationProvince | ObservationIndicator => "observations",
            TargetIndicator => "targets",
        };
        let relations = [
            CityObservations,
            CitySources,
            CityProvince,
            ProvinceCities,
            ProvinceObservations,
            IndicatorObservations,
            IndicatorTargets,
            ObservationCity,
            ObservationProvince,
            ObservationIndicator,
            TargetIndicator,
        ];
        let mut out = Vec::new();
        for relation in relations {
            for quantifier in [Quantifier::Some, Quantifier::Every, Quantifier::None] {
                out.push((on(relation), Filter::related(relation, quantifier, None, inner(relation))));
            }
        }
        out
    }

    /// The query plan of a list of `table` filtered by `filter`, one line per step.
    fn plan(session: &ReadSession, table: &str, filter: &Filter) -> Vec<String> {
        let mut params = Vec::new();
        let condition = filter_sql(filter, Row::of(table), &mut params);
        let sql = format!("EXPLAIN QUERY PLAN SELECT rowid FROM {table} WHERE {condition}");
        session
            .read(|c| c.rows(&sql, rusqlite::params_from_iter(params), |row| row.get::<_, String>(3)))
            .expect("plan")
    }

    /// Each subquery finds one row's related rows by an index: no related table is scanned
    /// (only the listed table itself may be, as any unindexed list is; SQLite may instead
    /// search it from the related rows when the condition on them is selective). SQLite runs a subquery
    /// either per row (`CORRELATED SCALAR SUBQUERY`) or as a join that stops at the first
    /// match (`SEARCH … EXISTS`); both search.
    #[test]
    fn every_relation_searches_its_related_rows_by_index() {
        let (_dir, session) = seeded_session();
        for (table, filter) in each_relation() {
            let steps = plan(&session, table, &filter);
            let scans: Vec<&String> = steps.iter().filter(|s| s.starts_with("SCAN")).collect();
            assert!(scans.iter().all(|s| s.starts_with(&format!("SCAN {table}"))), "{filter:?}: {steps:?}");
            assert!(steps.iter().any(|s| s.starts_with("SEARCH _r1")), "{filter:?}: {steps:?}");
        }
    }

    /// A nested relation's alias never hides the outer row: a city's province's cities, each
    /// compared with the province's code, not with the city's.
    #[test]
    fn nested_relations_name_their_rows_apart() {
        let inner = Filter::related(Relation::ProvinceCities, Quantifier::Some, None, eq("tier", "x"));
        let filter = Filter::related(Relation::CityProvince, Quantifier::Some, None, inner);
        let mut params = Vec::new();
        let sql = filter_sql(&filter, Row::of("cities"), &mut params);
        assert_eq!(
            sql,
            "EXISTS (SELECT 1 FROM provinces _r1 WHERE _r1.code = cities.province_code AND \
             EXISTS (SELECT 1 FROM cities _r2 WHERE _r2.province_code = _r1.code AND _r2.tier = ?))"
        );
        assert_eq!(params, vec![Value::Text("x".into())]);
    }

    /// `every` keeps the rows with no related rows, and asks that none fail the condition.
    #[test]
    fn every_is_no_related_row_failing() {
        let filter = Filter::related(
            Relation::ProvinceCities,
            Quantifier::Every,
            Some(eq("membership", "CONFIRMED")),
            eq("tier", "x"),
        );
        let mut params = Vec::new();
        let sql = filter_sql(&filter, Row::of("provinces"), &mut params);
        assert_eq!(
            sql,
            "NOT EXISTS (SELECT 1 FROM cities _r1 WHERE _r1.province_code = provinces.code AND \
             _r1.membership = ? AND NOT coalesce(_r1.tier = ?, 0))"
        );
        assert_eq!(params, vec![Value::Text("CONFIRMED".into()), Value::Text("x".into())]);
    }

    /// Prints the plan of one filter of each kind, as `docs/filters.md` shows them:
    /// `cargo test --lib related::tests::plans_for_the_docs -- --nocapture`.
    #[test]
    fn plans_for_the_docs() {
        let (_dir, session) = seeded_session();
        let services = Filter::All(vec![
            eq("indicator_code", "services_share_gdp"),
            Filter::Column { column: "year", op: Op::Eq(Scalar::Int(2012)) },
        ]);
        let confirmed = Some(eq("membership", "CONFIRMED"));
        let any_observation =
            Filter::related(Relation::CityObservations, Quantifier::Some, None, Filter::All(Vec::new()));
        let kinds = [
            ("some", "cities", Filter::related(Relation::CityObservations, Quantifier::Some, None, services)),
            (
                "every",
                "provinces",
                Filter::related(
                    Relation::ProvinceCities,
                    Quantifier::Every,
                    confirmed.clone(),
                    eq("tier", "prefecture_level"),
                ),
            ),
            (
                "none",
                "provinces",
                Filter::related(Relation::ProvinceCities, Quantifier::None, confirmed, any_observation),
            ),
            (
                "to-one",
                "observations",
                Filter::related(
                    Relation::ObservationCity,
                    Quantifier::Some,
                    None,
                    Filter::related(Relation::CityProvince, Quantifier::Some, None, eq("region", "Central")),
                ),
            ),
        ];
        let version = session.read(|c| c.rows("SELECT sqlite_version()", [], |r| r.get::<_, String>(0)));
        println!("SQLite {}", version.expect("version")[0]);
        for (kind, table, filter) in kinds {
            let mut params = Vec::new();
            let condition = filter_sql(&filter, Row::of(table), &mut params);
            println!("{kind}: SELECT rowid FROM {table} WHERE {condition}");
            for step in plan(&session, table, &filter) {
                println!("  {step}");
            }
        }
    }
}
