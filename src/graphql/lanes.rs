//! Heavy requests wait in a lane of their own, before they take a turn. A read session that
//! passes `--heavy-rows` reads on only while it holds a heavy pass (`db::HeavyGate`, as many
//! as this lane is wide); but
//! a request that takes a turn first holds the turn, a reader and a snapshot while it waits at
//! that row, and light requests queue behind it. So a document whose last run was heavy is
//! admitted to this lane before it asks for a turn: at most half the turns go to heavy work,
//! waiting here holds nothing, and the other turns stay free for light work
//! (benches/isolation.py measures it). A document seen for the first time cannot be known to
//! be heavy; if it is, the pass still stops it at that row.
//!
//! A place given too late is worse than none: a dashboard that reaches the lane with less time
//! left than its last run took runs out of time part-way, and the core it used was taken from
//! the others for nothing. So a heavy request waits only as long as its last run would still
//! fit before its deadline (and at most half its time), then is refused, retryable, at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The heavy lane: how many heavy requests may hold turns at once.
pub(super) struct HeavyLane {
    permit: Arc<Semaphore>,
    /// Rows a run may read and still be light (`--heavy-rows`).
    rows: u64,
}

/// A place in the heavy lane, held until the request's work has ended.
pub(super) type Admission = Option<OwnedSemaphorePermit>;

impl HeavyLane {
    pub(super) fn new(rows: u64, width: usize) -> Self {
        Self { permit: Arc::new(Semaphore::new(width.max(1))), rows }
    }

    /// Waits for the lane if the document's last run was heavy, while that run would still
    /// fit before `deadline`; `Err` when it would not.
    pub(super) async fn admit(&self, heavy: &LastRun, deadline: Instant) -> Result<Admission, ()> {
        let Some(took) = heavy.took() else {
            return Ok(None);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let by = deadline - took.min(left / 2);
        match tokio::time::timeout_at(by.into(), self.permit.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            _ => Err(()),
        }
    }

    /// Remembers whether a run that read `rows` rows in `took` was heavy, and how long it took.
    pub(super) fn observe(&self, last: &LastRun, rows: u64, took: Duration) {
        let micros =
            if rows > self.rows { u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1) } else { 0 };
        last.0.store(micros, Ordering::Relaxed);
    }
}

/// How long a document's last run took if it was heavy (µs; 0 when it was light).
#[derive(Default)]
pub(super) struct LastRun(AtomicU64);

impl LastRun {
    fn took(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            micros => Some(Duration::from_micros(micros)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn only_a_document_whose_last_run_was_heavy_waits_for_the_lane() {
        let lane = HeavyLane::new(100, 1);
        let (heavy, light) = (LastRun::default(), LastRun::default());
        lane.observe(&heavy, 101, Duration::from_millis(1));
        lane.observe(&light, 100, Duration::from_millis(1));
        let soon = || Instant::now() + Duration::from_millis(50);
        let first = lane.admit(&heavy, soon()).await.expect("the lane is free");
        assert!(first.is_some(), "a heavy run holds a place");
        assert!(
            lane.admit(&heavy, soon()).await.is_err(),
            "a second heavy one waits, here until its deadline"
        );
        assert!(matches!(lane.admit(&light, soon()).await, Ok(None)), "a light one never waits");
        drop(first);
        assert!(lane.admit(&heavy, soon()).await.is_ok_and(|place| place.is_some()));
        lane.observe(&heavy, 3, Duration::from_millis(1));
        assert!(matches!(lane.admit(&heavy, soon()).await, Ok(None)), "a light run makes it light again");
    }

    #[tokio::test]
    async fn a_heavy_request_waits_only_while_its_last_run_would_still_fit() {
        let lane = HeavyLane::new(100, 1);
        let heavy = LastRun::default();
        lane.observe(&heavy, 101, Duration::from_millis(300));
        let held = lane.admit(&heavy, Instant::now() + Duration::from_secs(5)).await.expect("free");
        // 2 s left, the last run took 0.3 s: it gives up at 1.7 s, not at its deadline.
        let asked = Instant::now();
        assert!(lane.admit(&heavy, asked + Duration::from_secs(2)).await.is_err());
        let waited = asked.elapsed();
        assert!(
            waited >= Duration::from_millis(1_650) && waited < Duration::from_millis(1_950),
            "{waited:?}"
        );
        // A run longer than the time left still waits half of it, so a stale figure cannot
        // keep a document out for good.
        lane.observe(&heavy, 101, Duration::from_secs(10));
        let asked = Instant::now();
        assert!(lane.admit(&heavy, asked + Duration::from_millis(400)).await.is_err());
        assert!(asked.elapsed() >= Duration::from_millis(180), "{:?}", asked.elapsed());
        drop(held);
    }
}
