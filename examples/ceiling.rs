//! The benchmarks' executor ceiling: rustbelt's own answers to the benchmark queries, served
//! again through async-graphql 7 from memory, with no database, no loaders, no evaluation and
//! no HTTP layers, on the same runtime as rustbelt and the floor. Whatever rustbelt does, a query
//! whose every value async-graphql must resolve cannot beat `ceiling ÷ floor`; the benchmark
//! measures it beside the floor so that bound is a figure, not an estimate.
//!
//! It is given every advantage rustbelt's own request path has: each document is parsed once
//! and reused, and validation runs in async-graphql's fast mode (complexity and depth only).
//! The schema mirrors only what the benchmark's lookup, dashboard and evaluations queries ask
//! for (`benches/bench.py`, `QUERIES`); field arguments are accepted and ignored, since the
//! answers are fixed.
//!
//! Usage: `cargo run --release --example ceiling -- LOOKUP.json DASHBOARD.json EVALUATIONS.json`
//! (rustbelt's responses to the three queries, as `benches/bench.py` saves them) — prints
//! `listening on http://…` and answers POSTs to `/graphql` with `application/json`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, InputObject, Object, Schema, SimpleObject,
    ValidationMode,
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
        &ctx.data_unchecked::<Answers>().city
    }

    async fn plan<'a>(&self, ctx: &Context<'a>) -> &'a Plan {
        &ctx.data_unchecked::<Answers>().plan
    }

    async fn target<'a>(&self, ctx: &Context<'a>, code: String) -> &'a Target {
        let _ = code;
        &ctx.data_unchecked::<Answers>().target
    }
}

/// The `data` member of a saved response, as `T`.
fn data<T: for<'de> Deserialize<'de>>(path: &str, field: &str) -> Result<T, Box<dyn std::error::Error>> {
    let mut response: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let value = response.pointer_mut(&format!("/data/{field}")).ok_or(format!("{path}: no data.{field}"))?;
    Ok(serde_json::from_value(value.take())?)
}

/// The parsed document of `query`, parsed on first sight and kept (`None` if it does not
/// parse: async-graphql then reports the syntax error itself).
fn reuse(parsed: &RwLock<HashMap<String, ExecutableDocument>>, query: &str) -> Option<ExecutableDocument> {
    if let Some(document) = parsed.read().ok()?.get(query) {
        return Some(document.clone());
    }
    let document = parse_query(query).ok()?;
    parsed.write().ok()?.insert(query.to_string(), document.clone());
    Some(document)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lookup, dashboard, evaluations] = args.as_slice() else {
        return Err("usage: ceiling LOOKUP.json DASHBOARD.json EVALUATIONS.json".into());
    };
    let answers = Answers {
        city: data(lookup, "city")?,
        plan: data(dashboard, "plan")?,
        target: data(evaluations, "target")?,
    };
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(answers)
        .validation_mode(ValidationMode::Fast)
        .finish();
    let parsed: Arc<RwLock<HashMap<String, ExecutableDocument>>> = Arc::default();
    let app = Router::new().route(
        "/graphql",
        post(move |body: Bytes| {
            let (schema, parsed) = (schema.clone(), parsed.clone());
            async move {
                let response = match serde_json::from_slice::<async_graphql::Request>(&body) {
                    Ok(mut request) => {
                        if let Some(document) = reuse(&parsed, &request.query) {
                            request.set_parsed_query(document);
                        }
                        schema.execute(request).await
                    }
                    Err(error) => {
                        async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                            error.to_string(),
                            None,
                        )])
                    }
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
