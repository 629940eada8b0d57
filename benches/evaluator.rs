//! Criterion: the target evaluator alone, over the 14 worked examples of docs/evaluation.md
//! (throughput in evaluations per second). `cargo bench --bench evaluator`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rustbelt::evaluation::{Direction, EvaluationOptions, TargetKind, TargetSpec, evaluate};
use serde_json::Value;

/// The allocator the server runs with (`src/main.rs`), so these figures are the binary's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// One worked example as evaluator input: the target, the observations, the evaluation year.
type Case = (TargetSpec, Vec<(i32, f64)>, i32);

/// The fixtures as evaluator inputs.
fn cases() -> Vec<Case> {
    let fixtures: Vec<Value> =
        serde_json::from_str(include_str!("../tests/fixtures/evaluation-fixtures.json")).expect("fixtures");
    fixtures
        .iter()
        .map(|f| {
            let t = &f["target"];
            let target = TargetSpec {
                kind: match t["kind"].as_str() {
                    Some("LEVEL") => TargetKind::Level,
                    Some("CHANGE_FROM_BASELINE") => TargetKind::ChangeFromBaseline,
                    _ => TargetKind::Cumulative,
                },
                direction: match t["direction"].as_str() {
                    Some("HIGHER_IS_BETTER") => Direction::HigherIsBetter,
                    _ => Direction::LowerIsBetter,
                },
                baseline_year: t["baselineYear"].as_i64().unwrap_or(0) as i32,
                target_year: t["targetYear"].as_i64().unwrap_or(0) as i32,
                target_value: t["targetValue"].as_f64(),
                target_change: t["targetChange"].as_f64(),
                baseline_value: t["baselineValue"].as_f64(),
            };
            let observations = f["observations"]
                .as_object()
                .expect("observations")
                .iter()
                .map(|(year, value)| (year.parse().expect("year"), value.as_f64().expect("value")))
                .collect();
            (target, observations, f["evaluationYear"].as_i64().unwrap_or(0) as i32)
        })
        .collect()
}

fn evaluator(c: &mut Criterion) {
    let cases = cases();
    let options = EvaluationOptions::default();
    let mut group = c.benchmark_group("evaluator");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("all 14 fixtures", |b| {
        b.iter(|| {
            for (target, observations, year) in &cases {
                std::hint::black_box(evaluate(target, observations, *year, &options).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, evaluator);
criterion_main!(benches);
