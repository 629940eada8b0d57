//! `rustbelt import observations FILE`: a CSV file or a spreadsheet, in the long layout or the
//! wide one, through the same checks as the `recordObservations` mutation; every problem by
//! line and column; all rows written in one transaction or none; and what would be recorded
//! and how each evaluation would change, before (`--dry-run`) or as it is written.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::bail;

use super::progress::Progress;
use super::report::{self, Change};
use super::rows::{Candidate, Defaults, Indicators, Located, Parsed};
use super::wide::Layout;
use super::{long, table, wide, write};
use crate::config::ImportObservations;
use crate::db::observations::{Recorded, record_with};
use crate::db::seed;
use crate::domain::divisions::Divisions;
use crate::domain::recording::{NewObservation, Problem, Subject, current_year};
use crate::domain::{Recorder, SourceGrade};

/// Most recorded rows listed one by one in the report.
const LISTED: usize = 30;

/// What one run of the rows did (or, on the throwaway copy, would do).
struct Outcome {
    recorded: Recorded,
    changes: Vec<Change>,
}

/// Runs the command: prints a report, and fails (non-zero exit) on any problem.
pub fn run(args: &ImportObservations) -> anyhow::Result<()> {
    let defaults = defaults(args)?;
    let table = table::read(&args.file, args.sheet.as_deref())?;
    let indicators: Indicators = seed::indicators()?.into_iter().map(|i| (i.code.clone(), i)).collect();
    let (layout, parsed) = if long::is_long(&table) {
        if !args.columns.is_empty() || args.entry_column.is_some() || args.year.is_some() {
            bail!(
                "--column, --entry-column and --year are for the wide layout; {} is in the long one",
                table.origin
            );
        }
        ("long", long::parse(&table, &defaults, &indicators)?)
    } else {
        let layout = Layout { columns: args.columns.clone(), entry_column: args.entry_column.clone() };
        ("wide", wide::parse(&table, &defaults, &layout, &indicators)?)
    };
    let Parsed { candidates, empty, mut problems, notes } = parsed;
    for note in notes {
        println!("note: {note}");
    }
    let outcome = record(args, &candidates, !problems.is_empty())?;
    if let Recorded::Refused(refused) = &outcome.recorded {
        problems.extend(refused.iter().map(|p| located(&candidates, p)));
    }
    refuse(problems, &table.origin)?;
    let blank = if layout == "long" { "rows with no value" } else { "empty cells" };
    println!("{} ({layout} layout): {} values; {empty} {blank} skipped", table.origin, candidates.len());
    list(&candidates);
    if !outcome.changes.is_empty() {
        println!("evaluations (as of each target's year), before → after:");
        print!("{}", report::table(&outcome.changes));
    }
    let count = candidates.len();
    if args.dry_run {
        println!("dry run: {count} values would be recorded; nothing was written");
    } else {
        println!("recorded {count} observations from {} into {}", args.file.display(), args.db.display());
    }
    Ok(())
}

fn defaults(args: &ImportObservations) -> anyhow::Result<Defaults> {
    let grade = match &args.grade {
        Some(text) => Some(SourceGrade::declared(text).map_err(|e| anyhow::anyhow!("--grade: {e}"))?),
        None => None,
    };
    if args.source.as_deref().is_some_and(|s| s.trim().is_empty()) {
        bail!("--source is empty: give an address or a citation");
    }
    Ok(Defaults {
        source: args.source.clone(),
        grade,
        source_note: args.source_note.clone(),
        year: args.year,
    })
}

/// Checks the rows on a throwaway copy, judging every evaluation they touch before and after;
/// then, unless this is a dry run or anything was refused, writes them to the file.
fn record(args: &ImportObservations, candidates: &[Candidate], refused: bool) -> anyhow::Result<Outcome> {
    let rows: Arc<Vec<NewObservation>> = Arc::new(candidates.iter().map(|c| c.observation.clone()).collect());
    let touched: Arc<BTreeSet<(Subject, String)>> =
        Arc::new(rows.iter().map(|r| (r.subject.clone(), r.indicator_code.clone())).collect());
    let (last_year, every, passes) = (current_year(), args.progress_every, Arc::new(AtomicUsize::new(0)));
    let accepted = |o: &Outcome| matches!(o.recorded, Recorded::Written(_));
    write(&args.db, args.dry_run || refused, accepted, move |c| {
        let label = if passes.fetch_add(1, Ordering::Relaxed) == 0 { "checking" } else { "writing" };
        let progress = Progress::new(label, "rows", rows.len() as u64, every);
        let before = report::evaluations(c, &touched)?;
        let recorded = record_with(c, &rows, last_year, Recorder::Import, &|n| progress.inc(n))?;
        progress.finish();
        let changes = match recorded {
            Recorded::Written(_) => report::changes(c, &before, &report::evaluations(c, &touched)?)?,
            Recorded::Refused(_) => Vec::new(),
        };
        Ok(Outcome { recorded, changes })
    })
}

/// A problem the database's checks found, at its cell; a repeat names the line it repeats
/// (the checks count values, which a wide row has several of).
fn located(candidates: &[Candidate], problem: &Problem) -> Located {
    let mut found = candidates[problem.row].locate(problem);
    let first = problem.message.strip_prefix("repeats row ").and_then(|rest| rest.split(':').next());
    if let Some(first) = first.and_then(|n| n.parse::<usize>().ok()).and_then(|n| candidates.get(n)) {
        let rest = problem.message.split_once(':').map_or("", |(_, rest)| rest);
        found.message = format!("repeats the value of line {}:{rest}", first.line);
    }
    found
}

/// Fails with every problem on stderr, by line and column, if there are any.
fn refuse(mut problems: Vec<Located>, origin: &str) -> anyhow::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|p| p.place.line);
    for p in &problems {
        eprintln!("{}: {}", p.place, p.message);
    }
    bail!("{} problem(s) in {origin}; nothing was written", problems.len())
}

/// The values to record, one a line (the first few of a long file).
fn list(candidates: &[Candidate]) {
    let table = Divisions::embedded();
    for c in candidates.iter().take(LISTED) {
        let o = &c.observation;
        let subject = match &o.subject {
            Subject::City(code) | Subject::Province(code) => {
                let name = table.get(code).map(|d| table.full_name(d)).unwrap_or_default();
                format!("{code} {name}")
            }
            Subject::Plan => "the plan area".to_string(),
        };
        let unit = o.unit.as_deref().unwrap_or("");
        println!(
            "  line {}: {subject} {} {} = {} {unit} [{}] {}",
            c.line,
            o.indicator_code,
            o.year,
            o.value,
            o.source_grade.as_str(),
            o.source
        );
    }
    if candidates.len() > LISTED {
        println!("  … and {} more", candidates.len() - LISTED);
    }
}
