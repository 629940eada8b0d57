//! Progress on long work (an import of many rows, a synthetic database): a bar on a terminal
//! (indicatif), and where stderr is not one (a log, a CI job, a pipe) a plain line every so
//! many rows, which a bar's redrawing would turn into noise there.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

/// Counts rows done of a known total, shown as it goes. Shared across threads (a database
/// write runs on a blocking thread).
pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    /// What is counted: rows, cities.
    unit: &'static str,
    total: u64,
    done: AtomicU64,
    /// A plain line each time this many more rows are done (0: never).
    every: u64,
}

impl Progress {
    /// Progress of `label` over `total` items (`unit`: rows, cities): a bar when stderr is a
    /// terminal, else a line every `every` items.
    pub fn new(label: &'static str, unit: &'static str, total: u64, every: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let template = format!("{{msg:>10}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}} left)");
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            bar
        });
        Self { bar, label, unit, total, done: AtomicU64::new(0), every }
    }

    /// `n` more done.
    pub fn inc(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        let now = before + n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None if self.every > 0 && now / self.every > before / self.every => {
                eprintln!("{}: {now} of {} {}", self.label, self.total, self.unit);
            }
            None => {}
        }
    }

    /// The work is over: the bar is cleared (the command's own report follows).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
