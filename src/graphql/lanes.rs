//! Heavy requests wait in a lane of their own, before they take a turn. A read session that
//! passes `--heavy-rows` reads on only while it holds a heavy pass (`db::HeavyGate`, as many
//! as this lane is wide); but
//! a request that takes a turn first holds the turn, a reader and a snapshot while it waits at
//! that row, and light requests queue behind it. So a document whose last run was heavy is
//! admitted to this lane before it asks for a turn: at most half the turns go to heavy work,
//! waiting here holds nothing, and the other turns stay free for light work
//! (benches/isolation.py measures it). A document seen for the first time cannot be known to
//! be heavy; if it is, the pass still stops it at that row.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

    /// Waits for the lane if `heavy`, by `deadline`; `Err` when the deadline passed first.
    pub(super) async fn admit(&self, heavy: &LastRun, deadline: Instant) -> Result<Admission, ()> {
        if !heavy.0.load(Ordering::Relaxed) {
            return Ok(None);
        }
        match tokio::time::timeout_at(deadline.into(), self.permit.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            _ => Err(()),
        }
    }

    /// Remembers whether a run that read `rows` rows was heavy.
    pub(super) fn observe(&self, last: &LastRun, rows: u64) {
        last.0.store(rows > self.rows, Ordering::Relaxed);
    }
}

/// Whether a document's last run was heavy.
#[derive(Default)]
pub(super) struct LastRun(AtomicBool);

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn only_a_document_whose_last_run_was_heavy_waits_for_the_lane() {
        let lane = HeavyLane::new(100, 1);
        let (heavy, light) = (LastRun::default(), LastRun::default());
        lane.observe(&heavy, 101);
        lane.observe(&light, 100);
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
        lane.observe(&heavy, 3);
        assert!(matches!(lane.admit(&heavy, soon()).await, Ok(None)), "a light run makes it light again");
    }
}
