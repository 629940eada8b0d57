//! Commands that write data without the server: `rustbelt import observations FILE.csv` (the
//! rows of a CSV file through the same checks as the `recordObservations` mutation, written in
//! one transaction or not at all) and the hidden `rustbelt synthesize` (a new, clearly marked
//! synthetic database for benchmarks).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::config::{ImportObservations, Synthesize};
use crate::db::observations::{self, Recorded};
use crate::db::synthetic;
use crate::db::{Db, DbOptions, StatementCounter};
use crate::domain::SubjectKind;
use crate::domain::recording::{NewObservation, Problem, Subject, current_year};

/// The file's columns, in this order (README.md, "Importing observations").
pub const COLUMNS: [&str; 9] = [
    "subject_kind",
    "subject_code",
    "indicator",
    "year",
    "value",
    "unit",
    "definition",
    "source",
    "source_note",
];

#[derive(Deserialize)]
struct Row {
    subject_kind: String,
    subject_code: Option<String>,
    indicator: String,
    year: String,
    value: String,
    unit: Option<String>,
    definition: Option<String>,
    source: String,
    source_note: Option<String>,
}

/// Runs the command: prints a report, and fails (non-zero exit) on any problem.
pub fn observations(args: &ImportObservations) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let (rows, lines, mut problems) = parse(&text)?;
    let count = rows.len();
    // Rows that could not be read are reported beside the checks of all the others; any
    // problem at all and nothing is written.
    let dry_run = args.dry_run || !problems.is_empty();
    if let Recorded::Refused(refused) = write(&args.db, rows, current_year(), dry_run)? {
        problems.extend(refused.into_iter().map(|p| Problem { row: lines[p.row], ..p }));
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        for p in &problems {
            // Line numbers count the header as line 1, as editors do.
            eprintln!("line {} (row {}): {}: {}", p.row + 2, p.row + 1, p.field, p.message);
        }
        bail!("{} problem(s) in {}; nothing was written", problems.len(), args.file.display());
    }
    if args.dry_run {
        println!("dry run: all {count} rows of {} pass; nothing was written", args.file.display());
    } else {
        println!("recorded {count} observations from {} into {}", args.file.display(), args.db.display());
    }
    Ok(())
}

/// Reads the rows, each with its position in the file; a row that cannot even be read becomes
/// a problem, not an abort.
fn parse(text: &str) -> anyhow::Result<(Vec<NewObservation>, Vec<usize>, Vec<Problem>)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> =
        reader.headers().context("reading the header line")?.iter().map(str::to_string).collect();
    if headers != COLUMNS {
        bail!("the header must be exactly `{}`; it is `{}`", COLUMNS.join(","), headers.join(","));
    }
    let (mut rows, mut lines, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    for (index, record) in reader.deserialize::<Row>().enumerate() {
        match record.map_err(|e| vec![problem(index, "row", e.to_string())]).and_then(|r| convert(index, r)) {
            Ok(row) => {
                rows.push(row);
                lines.push(index);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    Ok((rows, lines, problems))
}

fn problem(row: usize, field: &'static str, message: String) -> Problem {
    Problem { row, field, message }
}

fn convert(index: usize, row: Row) -> Result<NewObservation, Vec<Problem>> {
    let mut problems = Vec::new();
    let kind = SubjectKind::parse(row.subject_kind.trim());
    if kind.is_none() {
        problems.push(problem(
            index,
            "subject_kind",
            format!("{:?} is not CITY, PROVINCE or PLAN", row.subject_kind),
        ));
    }
    let subject = kind.map(|k| Subject::new(k, row.subject_code.as_deref()));
    if let Some(Err(message)) = &subject {
        problems.push(problem(index, "subject_code", message.to_string()));
    }
    let year = row.year.trim().parse::<i32>();
    if year.is_err() {
        problems.push(problem(index, "year", format!("{:?} is not a whole year", row.year)));
    }
    let value = row.value.trim().parse::<f64>();
    if value.is_err() {
        problems.push(problem(index, "value", format!("{:?} is not a number", row.value)));
    }
    match (subject, year, value) {
        (Some(Ok(subject)), Ok(year), Ok(value)) if problems.is_empty() => Ok(NewObservation {
            subject,
            indicator_code: row.indicator.trim().to_string(),
            year,
            value,
            unit: row.unit.filter(|u| !u.trim().is_empty()),
            definition: row.definition,
            source: row.source,
            source_note: row.source_note,
        }),
        _ => Err(problems),
    }
}

fn write(db: &Path, rows: Vec<NewObservation>, last_year: i32, dry_run: bool) -> anyhow::Result<Recorded> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting a runtime")?;
    runtime.block_on(async {
        let options = DbOptions {
            path: db.to_path_buf(),
            readers: 1,
            reader_wait: Duration::from_secs(5),
            ..Default::default()
        };
        let db = Db::open(&options).with_context(|| format!("opening {}", db.display()))?;
        let counter = StatementCounter::default();
        let recorded = db.write(&counter, move |c| observations::record(c, &rows, last_year, dry_run)).await;
        recorded.context("writing the observations")
    })
}

/// Runs `rustbelt synthesize`: writes a new synthetic database and says what it holds.
pub fn synthesize(args: &Synthesize) -> anyhow::Result<()> {
    let size = synthetic::Size { cities: args.cities, years: args.years };
    let (cities, observations) = Db::create_synthetic(&args.out, size)
        .with_context(|| format!("writing synthetic data to {}", args.out.display()))?;
    println!(
        "wrote {} with the real seed plus {cities} SYNTHETIC cities and {observations} SYNTHETIC observations",
        args.out.display()
    );
    Ok(())
}
