//! The data as the API's plain lists give it, held in the test, and relation filters answered
//! over it here: what the server's relation filters (one SQL subquery each) must agree with.
//! A filter is written once ([`F`]) and both sent as the `filter` argument and evaluated.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::in_process::Server;

/// Rows per list fetched at once: more than the ×100 synthetic data has of anything.
pub const ALL: u32 = 60_000;

/// Server arguments that let the test fetch every row in one page, and run every query (no
/// cached answers: the tests read what each run cost).
pub const ROOMY: [&str; 12] = [
    "--cache-mb",
    "0",
    "--max-page-size",
    "60000",
    "--max-nodes",
    "1000000000",
    "--max-reads",
    "1000000000",
    "--request-timeout-ms",
    "300000",
    "--statement-timeout-ms",
    "300000",
];

/// What a filter is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Province,
    City,
    Observation,
    Indicator,
    Target,
    Source,
}

/// A relation a filter input field follows: its field, its ends, whether to many.
#[derive(Debug, Clone, Copy)]
pub struct Rel {
    pub from: Entity,
    pub field: &'static str,
    pub to: Entity,
    pub many: bool,
}

/// Every relation filters can follow.
pub const RELATIONS: [Rel; 11] = {
    use Entity::*;
    const fn rel(from: Entity, field: &'static str, to: Entity, many: bool) -> Rel {
        Rel { from, field, to, many }
    }
    [
        rel(City, "observations", Observation, true),
        rel(City, "sources", Source, true),
        rel(City, "province", Province, false),
        rel(Province, "cities", City, true),
        rel(Province, "observations", Observation, true),
        rel(Indicator, "observations", Observation, true),
        rel(Indicator, "targets", Target, true),
        rel(Observation, "city", City, false),
        rel(Observation, "province", Province, false),
        rel(Observation, "indicator", Indicator, false),
        rel(Target, "indicator", Indicator, false),
    ]
};

/// `some`, `every` or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Q {
    Some,
    Every,
    None,
}

impl Q {
    pub const ALL: [Q; 3] = [Q::Some, Q::Every, Q::None];

    fn name(self) -> &'static str {
        match self {
            Q::Some => "some",
            Q::Every => "every",
            Q::None => "none",
        }
    }
}

/// A filter the test sends and answers itself.
#[derive(Debug, Clone)]
pub enum F {
    /// `{ field: { op: value } }` on a scalar field.
    Leaf(&'static str, &'static str, Value),
    And(Vec<F>),
    Or(Vec<F>),
    Not(Box<F>),
    /// A to-many relation: `{ field: { membership?, q: inner } }`.
    Set(Rel, Q, Option<Vec<&'static str>>, Box<F>),
    /// A to-one link: `{ field: inner }`.
    Link(Rel, Box<F>),
}

/// A leaf condition.
pub fn leaf(field: &'static str, op: &'static str, value: Value) -> F {
    F::Leaf(field, op, value)
}

/// `q` of the related rows of `rel` match `inner` (`Province.cities` with its default scope).
pub fn set(rel: Rel, q: Q, inner: F) -> F {
    F::Set(rel, q, None, Box::new(inner))
}

/// The relation `field` of `from`.
pub fn rel(from: Entity, field: &str) -> Rel {
    *RELATIONS.iter().find(|r| r.from == from && r.field == field).expect("a relation")
}

impl F {
    /// The filter as the API takes it.
    pub fn json(&self) -> Value {
        match self {
            F::Leaf(field, op, value) => json!({ *field: { *op: value } }),
            F::And(all) => json!({ "and": all.iter().map(F::json).collect::<Vec<_>>() }),
            F::Or(any) => json!({ "or": any.iter().map(F::json).collect::<Vec<_>>() }),
            F::Not(inner) => json!({ "not": inner.json() }),
            F::Set(rel, q, membership, inner) => {
                let mut set = json!({ q.name(): inner.json() });
                if let Some(membership) = membership {
                    set["membership"] = json!(membership);
                }
                json!({ rel.field: set })
            }
            F::Link(rel, inner) => json!({ rel.field: inner.json() }),
        }
    }
}

/// One row of any entity: its key, the entity's scalar fields the tests filter on, and the
/// keys it links to.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub key: String,
    pub fields: serde_json::Map<String, Value>,
    /// An observation's city or province, a city's province, a target's indicator; a
    /// source's city.
    pub city: Option<String>,
    pub province: Option<String>,
    pub indicator: Option<String>,
}

/// Every row of every entity, fetched through the lists.
pub struct Model {
    pub provinces: Vec<Row>,
    pub cities: Vec<Row>,
    pub observations: Vec<Row>,
    pub indicators: Vec<Row>,
    pub targets: Vec<Row>,
    pub sources: Vec<Row>,
    /// Rows by their own key, and by the key they link to (`"city"`, `"province"`,
    /// `"indicator"`): positions in their entity's list.
    keys: HashMap<(Entity, String), usize>,
    links: HashMap<(Entity, &'static str, String), Vec<usize>>,
}

const FETCH: &str = "query($all: Int!) {
  provinces(first: $all) { nodes { code region kind } }
  cities(membership: [CONFIRMED, CANDIDATE], first: $all) { nodes { adminCode membership tier evidence
    province { code } sources { evidence origin } } }
  observations(first: $all) { nodes { id year value origin indicator { code } city { adminCode } province { code } } }
  indicators(first: $all) { nodes { code direction } }
  targets(first: $all) { nodes { code kind indicator { code } } } }";

impl Model {
    /// Fetches everything from `server` (started with [`ROOMY`]).
    pub async fn fetch(server: &Server) -> Self {
        let data = server.data(FETCH, json!({ "all": ALL })).await;
        let nodes = |list: &str| data[list]["nodes"].as_array().expect(list).clone();
        let scalars = |node: &Value, names: &[&str]| {
            names.iter().map(|n| (n.to_string(), node[*n].clone())).collect::<serde_json::Map<_, _>>()
        };
        let text = |value: &Value| value.as_str().map(str::to_string);
        let provinces = nodes("provinces")
            .iter()
            .map(|p| Row {
                key: p["code"].as_str().unwrap().into(),
                fields: scalars(p, &["region", "kind"]),
                ..Row::default()
            })
            .collect();
        let (mut cities, mut sources) = (Vec::new(), Vec::new());
        for c in nodes("cities") {
            let key: String = c["adminCode"].as_str().unwrap().into();
            for s in c["sources"].as_array().unwrap() {
                let fields = scalars(s, &["evidence", "origin"]);
                sources.push(Row {
                    key: format!("{key}#{}", sources.len()),
                    fields,
                    city: Some(key.clone()),
                    ..Row::default()
                });
            }
            let fields = scalars(&c, &["membership", "tier", "evidence"]);
            cities.push(Row { key, fields, province: text(&c["province"]["code"]), ..Row::default() });
        }
        let observations = nodes("observations")
            .iter()
            .map(|o| Row {
                key: o["id"].as_str().unwrap().into(),
                fields: scalars(o, &["year", "value", "origin"]),
                city: text(&o["city"]["adminCode"]),
                province: text(&o["province"]["code"]),
                indicator: text(&o["indicator"]["code"]),
            })
            .collect();
        let indicators = nodes("indicators")
            .iter()
            .map(|i| Row {
                key: i["code"].as_str().unwrap().into(),
                fields: scalars(i, &["direction"]),
                ..Row::default()
            })
            .collect();
        let targets = nodes("targets")
            .iter()
            .map(|t| Row {
                key: t["code"].as_str().unwrap().into(),
                fields: scalars(t, &["kind"]),
                indicator: text(&t["indicator"]["code"]),
                ..Row::default()
            })
            .collect();
        let mut model = Self {
            provinces,
            cities,
            observations,
            indicators,
            targets,
            sources,
            keys: HashMap::new(),
            links: HashMap::new(),
        };
        model.index();
        model
    }

    fn index(&mut self) {
        use Entity::*;
        let (mut keys, mut links) = (HashMap::new(), HashMap::new());
        for entity in [Province, City, Observation, Indicator, Target, Source] {
            for (at, row) in self.rows(entity).iter().enumerate() {
                keys.insert((entity, row.key.clone()), at);
                let linked =
                    [("city", &row.city), ("province", &row.province), ("indicator", &row.indicator)];
                for (link, key) in linked {
                    if let Some(key) = key {
                        links.entry((entity, link, key.clone())).or_insert_with(Vec::new).push(at);
                    }
                }
            }
        }
        (self.keys, self.links) = (keys, links);
    }

    pub fn rows(&self, entity: Entity) -> &[Row] {
        match entity {
            Entity::Province => &self.provinces,
            Entity::City => &self.cities,
            Entity::Observation => &self.observations,
            Entity::Indicator => &self.indicators,
            Entity::Target => &self.targets,
            Entity::Source => &self.sources,
        }
    }

    /// The rows `rel` links `row` to.
    pub fn related<'a>(&'a self, rel: Rel, row: &'a Row) -> Vec<&'a Row> {
        let to = self.rows(rel.to);
        let positions: Vec<usize> = match (rel.from, rel.many) {
            // To many: the related rows that link to this one.
            (from, true) => {
                let link = match from {
                    Entity::City => "city",
                    Entity::Province => "province",
                    Entity::Indicator => "indicator",
                    _ => unreachable!("{rel:?}"),
                };
                self.links.get(&(rel.to, link, row.key.clone())).cloned().unwrap_or_default()
            }
            // To one: the row this one links to.
            (_, false) => {
                let key = match rel.field {
                    "city" => &row.city,
                    "province" => &row.province,
                    _ => &row.indicator,
                };
                key.iter().filter_map(|key| self.keys.get(&(rel.to, key.clone())).copied()).collect()
            }
        };
        positions.into_iter().map(|at| &to[at]).collect()
    }

    /// Whether `row` matches `filter` (a comparison with a missing value does not match).
    pub fn eval(&self, filter: &F, row: &Row) -> bool {
        match filter {
            F::Leaf(field, op, value) => {
                let have = field_value(row, field);
                match *op {
                    "eq" => &have == value,
                    "gt" => have.as_f64().zip(value.as_f64()).is_some_and(|(a, b)| a > b),
                    "gte" => have.as_f64().zip(value.as_f64()).is_some_and(|(a, b)| a >= b),
                    other => unreachable!("operator {other}"),
                }
            }
            F::And(all) => all.iter().all(|f| self.eval(f, row)),
            F::Or(any) => any.iter().any(|f| self.eval(f, row)),
            F::Not(inner) => !self.eval(inner, row),
            F::Set(rel, q, membership, inner) => {
                let membership = membership.clone().unwrap_or(vec!["CONFIRMED"]);
                let related = self.related(*rel, row).into_iter().filter(|r| {
                    rel.to != Entity::City || membership.iter().any(|m| r.fields["membership"] == *m)
                });
                let matching: Vec<bool> = related.map(|r| self.eval(inner, r)).collect();
                match q {
                    Q::Some => matching.iter().any(|m| *m),
                    Q::Every => matching.iter().all(|m| *m),
                    Q::None => !matching.iter().any(|m| *m),
                }
            }
            F::Link(rel, inner) => self.related(*rel, row).iter().any(|r| self.eval(inner, r)),
        }
    }

    /// The keys of the rows of `entity` matching `filter`.
    pub fn answer(&self, entity: Entity, filter: &F) -> BTreeSet<String> {
        self.rows(entity).iter().filter(|r| self.eval(filter, r)).map(|r| r.key.clone()).collect()
    }

    /// The related rows a server's relation filters may look at, for every row of `entity`
    /// the filter is evaluated on: each related row of each relation filter, and below it
    /// what its own relation filters may read (what the cost estimate must cover).
    pub fn reads(&self, entity: Entity, filter: &F) -> u64 {
        self.rows(entity).iter().map(|row| self.reads_for(filter, row)).sum()
    }

    fn reads_for(&self, filter: &F, row: &Row) -> u64 {
        match filter {
            F::Leaf(..) => 0,
            F::And(all) | F::Or(all) => all.iter().map(|f| self.reads_for(f, row)).sum(),
            F::Not(inner) => self.reads_for(inner, row),
            F::Set(rel, _, _, inner) | F::Link(rel, inner) => {
                self.related(*rel, row).iter().map(|r| 1 + self.reads_for(inner, r)).sum()
            }
        }
    }
}

/// A row's value of a field a leaf names (`indicatorCode` and `cityCode` are its links).
fn field_value(row: &Row, field: &str) -> Value {
    match field {
        "indicatorCode" => row.indicator.clone().map_or(Value::Null, Value::from),
        "cityCode" => row.city.clone().map_or(Value::Null, Value::from),
        "code" | "adminCode" => Value::from(row.key.clone()),
        _ => row.fields.get(field).cloned().unwrap_or(Value::Null),
    }
}

/// The list of `entity` filtered by `filter`, as the server answers it: its keys, and the
/// whole response (for its extensions).
pub async fn served(server: &Server, entity: Entity, filter: &F) -> (BTreeSet<String>, Value) {
    let body = ask(server, entity, filter).await;
    assert!(body.get("errors").is_none(), "{}: {body}", filter.json());
    (keys(entity, &body["data"]["answer"]), body)
}

/// The keys of a list's nodes.
pub fn keys(entity: Entity, list: &Value) -> BTreeSet<String> {
    let key = match entity {
        Entity::City => "adminCode",
        Entity::Observation => "id",
        _ => "code",
    };
    list["nodes"].as_array().unwrap().iter().map(|n| n[key].as_str().unwrap().to_string()).collect()
}

/// The response to the list of `entity` filtered by `filter` (as `answer`).
pub async fn ask(server: &Server, entity: Entity, filter: &F) -> Value {
    let (ty, list, key) = match entity {
        Entity::Province => ("ProvinceFilter", "provinces(filter: $f, first: $all)", "code"),
        Entity::City => {
            ("CityFilter", "cities(membership: [CONFIRMED, CANDIDATE], filter: $f, first: $all)", "adminCode")
        }
        Entity::Observation => ("ObservationFilter", "observations(filter: $f, first: $all)", "id"),
        Entity::Indicator => ("IndicatorFilter", "indicators(filter: $f, first: $all)", "code"),
        Entity::Target => ("TargetFilter", "targets(filter: $f, first: $all)", "code"),
        Entity::Source => unreachable!("sources are listed under their city"),
    };
    let query =
        format!("query($f: {ty}, $all: Int!) {{ answer: {list} {{ totalCount nodes {{ {key} }} }} }}");
    let (status, body) = server.post(&query, json!({ "f": filter.json(), "all": ALL })).await;
    assert_eq!(status, 200, "{}: {body}", filter.json());
    body
}
