//! The benchmarks' executor ceiling: rustbelt's own answers to the benchmark queries, served
//! again through async-graphql 7 from memory, with no database, no loaders, no evaluation and
//! no HTTP layers, on the same runtime as rustbelt and the floor. Whatever rustbelt does, a query
//! whose every value async-graphql must resolve cannot beat `ceiling ÷ floor`; the benchmark
//! measures it beside the floor so that bound is a figure, not an estimate.
//!
//! It is given every advantage rustbelt's own request path has: a document is validated in full
//! on first sight, and once it has passed, it is reused parsed and run with async-graphql's
//! fast validation (complexity and depth only), as long as it declares no variables.
//! The schema mirrors only what the benchmark's lookup, dashboard and evaluations queries ask
//! for (`benches/bench.py`, `QUERIES`), and the nested query the peers run (`NESTED_OURS`,
//! answered from the dashboard's provinces); field arguments are accepted and ignored, since
//! the answers are fixed.
//!
//! Usage: `cargo run --release --example ceiling -- LOOKUP.json DASHBOARD.json EVALUATIONS.json`
//! (rustbelt's responses to the three queries, as `benches/bench.py` saves them) — prints
//! `listening on http://…` and answers POSTs to `/graphql` with `application/json`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, InputObject, Object, Request, Response, Schema,
    ServerError, SimpleObject, ValidationMode,
};
use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;
use serde::Deserialize;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Membership {
    #[default]
    Confirmed,
    Candidate,
}

#[derive(InputObject)]
struct EvaluationFilter {
    membership: Option<Vec<Membership>>,
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[graphql(complex)]
struct City {
    admin_code: String,
    name_en: String,
    name_zh: String,
    membership: Membership,
    province: Option<ProvinceName>,
    #[graphql(skip)]
    observations: Observations,
    evaluation: Vec<Evaluation>,
}

#[async_graphql::ComplexObject]
impl City {
    async fn observations(&self, first: Option<i32>) -> &Observations {
        let _ = first;
        &self.observations
    }
}

#[derive(SimpleObject, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProvinceName {
    name_en: String,
}

#[derive(SimpleObject, Deserialize, Default)]
struct Observations {
    nodes: Vec<Observation>,
}

#[derive(SimpleObject, Deserialize)]
struct Observation {
    year: i32,
    value: Option<f64>,
}

#[derive(SimpleObject, Deserialize)]
struct Evaluation {
    status: String,
    gap: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Province {
    code: String,
    name_en: String,
    cities: Cities,
}

#[Object]
impl Province {
    async fn code(&self) -> &str {
        &self.code
    }

    async fn name_en(&self) -> &str {
        &self.name_en
    }

    async fn cities(&self, first: Option<i32>, membership: Option<Vec<Membership>>) -> &Cities {
        let _ = (first, membership);
        &self.cities
    }
}

#[derive(SimpleObject, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cities {
    total_count: i32,
    nodes: Vec<City>,
}

#[derive(Deserialize)]
struct Plan {
    provinces: Provinces,
}

#[Object]
impl Plan {
    async fn provinces(&self, first: Option<i32>) -> &Provinces {
        let _ = first;
        &self.provinces
    }
}

#[derive(SimpleObject, Deserialize)]
struct Provinces {
    nodes: Vec<Province>,
}

#[derive(Deserialize)]
struct Target {
    evaluations: Evaluations,
}

#[Object]
impl Target {
    async fn evaluations(&self, first: Option<i32>, filter: Option<EvaluationFilter>) -> &Evaluations {
        let _ = (first, filter);
        &self.evaluations
    }
}

#[derive(SimpleObject, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Evaluations {
    total_count: i32,
    status_counts: Vec<StatusCount>,
    nodes: Vec<CityEvaluation>,
}

#[derive(SimpleObject, Deserialize)]
struct StatusCount {
    status: String,
    count: i32,
}

#[derive(SimpleObject, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CityEvaluation {
    city: City,
    status: String,
    latest_value: Option<f64>,
    gap: Option<f64>,
}

/// rustbelt's allocator, so allocation costs the ceiling what it costs rustbelt.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The answers, read once from rustbelt's responses.
struct Answers {
    city: City,
    plan: Plan,
    target: Target,
}

struct Query;

#[Object]
impl Query {
    async fn city<'a>(&self, ctx: &Context<'a>, code: String) -> &'a City {
        let _ = code;
        &ctx.data_unchecked::<Arc<Answers>>().city
    }

    async fn plan<'a>(&self, ctx: &Context<'a>) -> &'a Plan {
        &ctx.data_unchecked::<Arc<Answers>>().plan
    }

    /// The nested query's provinces: the dashboard's, whose cities and observations it asks for
    /// with the same arguments.
    async fn provinces<'a>(&self, ctx: &Context<'a>, first: Option<i32>) -> &'a Provinces {
        let _ = first;
        &ctx.data_unchecked::<Arc<Answers>>().plan.provinces
    }

    async fn target<'a>(&self, ctx: &Context<'a>, code: String) -> &'a Target {
        let _ = code;
        &ctx.data_unchecked::<Arc<Answers>>().target
    }
}

/// The `data` member of a saved response, as `T`.
fn data<T: for<'de> Deserialize<'de>>(path: &str, field: &str) -> Result<T, Box<dyn std::error::Error>> {
    let mut response: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let value = response.pointer_mut(&format!("/data/{field}")).ok_or(format!("{path}: no data.{field}"))?;
    Ok(serde_json::from_value(value.take())?)
}

/// Documents that passed full validation and declare no variables, by their text: these are
/// run again parsed, with fast validation.
type Known = RwLock<HashMap<String, ExecutableDocument>>;

/// Runs a request: a known document on the fast schema, any other on the strict one (and
/// remembers it if it passed and declares no variables). This mirrors rustbelt's own rule
/// (`Validity` and `KnownValid` in `src/graphql/respond.rs`), which an example cannot call.
async fn respond(strict: &AppSchema, fast: &AppSchema, known: &Known, mut request: Request) -> Response {
    let document = known.read().ok().and_then(|known| known.get(&request.query).cloned());
    if let Some(document) = document {
        request.set_parsed_query(document);
        return fast.execute(request).await;
    }
    let query = request.query.clone();
    let response = strict.execute(request).await;
    if response.errors.is_empty()
        && let Ok(document) = parse_query(&query)
        && document.operations.iter().all(|(_, operation)| operation.node.variable_definitions.is_empty())
        && let Ok(mut known) = known.write()
    {
        known.insert(query, document);
    }
    response
}

type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lookup, dashboard, evaluations] = args.as_slice() else {
        return Err("usage: ceiling LOOKUP.json DASHBOARD.json EVALUATIONS.json".into());
    };
    let answers = Arc::new(Answers {
        city: data(lookup, "city")?,
        plan: data(dashboard, "plan")?,
        target: data(evaluations, "target")?,
    });
    let build = |mode| {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .data(answers.clone())
            .validation_mode(mode)
            .finish()
    };
    let (strict, fast) = (build(ValidationMode::Strict), build(ValidationMode::Fast));
    let known: Arc<Known> = Arc::default();
    let app = Router::new().route(
        "/graphql",
        post(move |body: Bytes| {
            let (strict, fast, known) = (strict.clone(), fast.clone(), known.clone());
            async move {
                let response = match serde_json::from_slice::<Request>(&body) {
                    Ok(request) => respond(&strict, &fast, &known, request).await,
                    Err(error) => Response::from_errors(vec![ServerError::new(error.to_string(), None)]),
                };
                let body = serde_json::to_vec(&response).unwrap_or_default();
                ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
