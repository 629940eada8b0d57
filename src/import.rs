//! Commands that write data without the server: `rustbelt import observations FILE` (a CSV
//! file or a spreadsheet, long or wide, through the same checks as the `recordObservations`
//! mutation: `observations`), `rustbelt import cities FILE.csv` (plan entries and their
//! evidence, checked against the division table), each written in one transaction or not at
//! all, and the hidden `rustbelt synthesize` (a new, clearly marked synthetic database for
//! benchmarks). A dry run writes into a throwaway copy of the database and reports exactly what
//! a real run would.

mod long;
mod names;
mod observations;
mod progress;
mod report;
mod rows;
mod table;
mod units;
mod wide;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::{ImportFile, ImportObservations, Synthesize};
use crate::db::entries::{self, Imported};
use crate::db::synthetic;
use crate::db::{Db, DbOptions, StatementCounter};
use crate::domain::entries::EntryRow;
use crate::domain::recording::Problem;

/// The columns of an entries file, in this order (docs/writing.md, `rustbelt import cities`).
pub const CITY_COLUMNS: [&str; 10] =
    ["admin_code", "name_zh", "name_en", "province_code", "tier", "lat", "lon", "evidence", "source", "note"];

/// Runs `import observations`: prints a report, and fails (non-zero exit) on any problem.
pub fn observations(args: &ImportObservations) -> anyhow::Result<()> {
    observations::run(args)
}

/// Runs `import cities`: prints what each row adds or changes, and fails (non-zero exit) on
/// any problem, writing nothing.
pub fn cities(args: &ImportFile) -> anyhow::Result<()> {
    let text = read(&args.file)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    check_header(&mut reader, &CITY_COLUMNS)?;
    let (mut rows, mut problems) = (Vec::new(), Vec::new());
    for (index, record) in reader.deserialize::<EntryRow>().enumerate() {
        match record {
            Ok(row) => rows.push(row),
            Err(e) => {
                problems.push(problem(index, "row", e.to_string()));
                rows.push(EntryRow::default()); // keeps the other rows' positions
            }
        }
    }
    let dry_run = args.dry_run || !problems.is_empty();
    let rows = std::sync::Arc::new(rows);
    let accepted = |i: &Imported| matches!(i, Imported::Written(_));
    let outcome = write(&args.db, dry_run, accepted, move |c| entries::import(c, &rows))?;
    let outcomes = match outcome {
        Imported::Refused(refused) => {
            // A row that could not be read was checked as an empty one: say only why.
            let unread: Vec<usize> = problems.iter().map(|p| p.row).collect();
            problems.extend(refused.into_iter().filter(|p| !unread.contains(&p.row)));
            Vec::new()
        }
        Imported::Written(outcomes) => outcomes,
    };
    refuse(problems, &args.file)?;
    for (index, o) in outcomes.iter().enumerate() {
        let what = match o.before {
            None => format!("added as {}", o.after.as_str()),
            Some(before) if before != o.after => format!("{} → {}", before.as_str(), o.after.as_str()),
            Some(_) => format!("still {}; source recorded", o.after.as_str()),
        };
        println!("line {} (row {}): {} {}: {what}", index + 2, index + 1, o.admin_code, o.name_zh);
    }
    let verb = if args.dry_run { "dry run: would import" } else { "imported" };
    println!("{verb} {} entries from {} into {}", outcomes.len(), args.file.display(), args.db.display());
    if args.dry_run {
        println!("nothing was written");
    }
    Ok(())
}

fn read(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

/// Fails with every problem reported on stderr, by line, if there are any.
fn refuse(mut problems: Vec<Problem>, file: &Path) -> anyhow::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|p| p.row);
    for p in &problems {
        // Line numbers count the header as line 1, as editors do.
        eprintln!("line {} (row {}): {}: {}", p.row + 2, p.row + 1, p.field, p.message);
    }
    bail!("{} problem(s) in {}; nothing was written", problems.len(), file.display())
}

fn check_header<R: std::io::Read>(reader: &mut csv::Reader<R>, columns: &[&str]) -> anyhow::Result<()> {
    let headers: Vec<String> =
        reader.headers().context("reading the header line")?.iter().map(str::to_string).collect();
    if headers != columns {
        bail!("the header must be exactly `{}`; it is `{}`", columns.join(","), headers.join(","));
    }
    Ok(())
}

fn problem(row: usize, field: &'static str, message: String) -> Problem {
    Problem { row, field, message }
}

/// Runs `f` in one write transaction on a throwaway copy of the database at `db` (a missing
/// file is not created); then, unless this is a dry run or the copy's outcome is not
/// `accepted`, once more on the file itself. So a file with a bad row writes nothing at all,
/// not even a new or migrated database, and a dry run reports exactly what a real run would.
/// The second run checks every row again, inside its own transaction.
fn write<T: Send + 'static>(
    db: &Path,
    dry_run: bool,
    accepted: fn(&T) -> bool,
    f: impl Fn(&crate::db::Conn<'_>) -> Result<T, crate::db::DbError> + Clone + Send + 'static,
) -> anyhow::Result<T> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting a runtime")?;
    runtime.block_on(async {
        let options = DbOptions {
            path: db.to_path_buf(),
            readers: 1,
            reader_wait: Duration::from_secs(5),
            ..Default::default()
        };
        let counter = StatementCounter::default();
        let copy = Db::open_copy(&options).with_context(|| format!("reading {}", db.display()))?;
        let checked = copy.write(&counter, f.clone()).await.context("checking the rows")?;
        if dry_run || !accepted(&checked) {
            return Ok(checked);
        }
        let db = Db::open(&options).with_context(|| format!("opening {}", db.display()))?;
        db.write(&counter, f).await.context("writing")
    })
}

/// Runs `rustbelt synthesize`: writes a new synthetic database and says what it holds.
pub fn synthesize(args: &Synthesize) -> anyhow::Result<()> {
    let size = synthetic::Size { cities: args.cities, years: args.years };
    let progress =
        progress::Progress::new("generating", "cities", u64::from(args.cities), args.progress_every);
    let (cities, observations) = Db::create_synthetic(&args.out, size, &|n| progress.inc(n))
        .with_context(|| format!("writing synthetic data to {}", args.out.display()))?;
    println!(
        "wrote {} with the real seed plus {cities} SYNTHETIC cities and {observations} SYNTHETIC observations",
        args.out.display()
    );
    Ok(())
}

/// `rustbelt backup OUT`: the database as of one moment, in a new file.
pub fn backup(args: &crate::config::Backup) -> anyhow::Result<()> {
    let pages = Db::backup(&args.db, &args.out)
        .with_context(|| format!("backing up {} to {}", args.db.display(), args.out.display()))?;
    println!("wrote {} ({pages} pages), a copy of {} as of now", args.out.display(), args.db.display());
    Ok(())
}
