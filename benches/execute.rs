//! Criterion: the whole in-process execution (parse, limits, resolvers, SQL, serialisation to
//! a response value) of the benchmark's queries (the load benchmark's three and the
//! nested query it runs against the peers) on the real seed, without HTTP and
//! without the response cache. `cargo bench --bench execute`.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rustbelt::engine::{self, Db, DbOptions, Limits, Outcome, Transport};

/// The allocator the server runs with (`src/main.rs`), so these figures are the binary's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const QUERIES: [(&str, &str); 4] = [
    ("lookup", r#"{ city(code: "Bengbu") { adminCode nameEn nameZh membership province { nameEn } } }"#),
    (
        "dashboard",
        "{ plan { provinces(first: 31) { nodes { code nameEn cities(first: 20, membership: [CONFIRMED, CANDIDATE]) { \
         totalCount nodes { adminCode nameEn observations(first: 10) { nodes { year value } } evaluation { status gap } } } } } } }",
    ),
    (
        "nested",
        "{ provinces(first: 31) { nodes { code nameEn cities(first: 20, membership: [CONFIRMED, CANDIDATE]) { \
         totalCount nodes { adminCode nameEn observations(first: 10) { nodes { year value } } } } } } }",
    ),
    (
        "evaluations",
        r#"{ target(code: "services_share_2017") { evaluations(first: 500, filter: { membership: [CONFIRMED, CANDIDATE] }) { totalCount statusCounts { status count } nodes { city { adminCode } status latestValue gap } } } }"#,
    ),
];

fn execute(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    let options = DbOptions { path: dir.path().join("bench.db"), ..DbOptions::default() };
    let db = Db::open(&options).expect("database");
    let schema = engine::build_schema(db, Limits::default(), engine::Writes::Token(None));
    let mut group = c.benchmark_group("execute");
    group.measurement_time(Duration::from_secs(5));
    for (name, query) in QUERIES {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let request = async_graphql::Request::new(query);
                let deadline = Instant::now() + Duration::from_secs(60);
                match engine::respond(&schema, request, Transport::Post, None, deadline).await {
                    Outcome::Executed { response, .. } => {
                        assert!(response.errors.is_empty(), "{:?}", response.errors)
                    }
                    _ => panic!("{name} did not execute"),
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, execute);
criterion_main!(benches);
