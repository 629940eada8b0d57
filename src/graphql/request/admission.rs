//! Where a request runs, decided before it runs by its cost estimate ([`crate::graphql::limits::cost`]), the
//! same way for every document, first seen or not, whatever comments or spacing its text has:
//!
//! A request's weight is the larger of its estimated rows read and list items answered (an
//! introspection answer reads nothing and can still be large):
//!
//! - **inline**: a query weighing at most `--inline-rows` runs on the async worker that
//!   received it, if a reader is free at that moment (it never waits for one there): handing a
//!   small lookup to another thread and back would cost more than the lookup;
//! - **blocking**: anything else runs on a blocking-pool thread, in one read session;
//! - **heavy**: a request weighing more than `--heavy-rows` first waits for a place in the
//!   heavy lane, before it takes a turn. The lane is half as wide as the turns,
//!   so heavy work never holds every turn and light requests keep running beside it
//!   (`benches/isolation.py` measures it). Waiting here holds nothing (no turn, no reader, no
//!   snapshot). A place given too late is worse than none — a dashboard that starts with
//!   little time left runs out of it part-way, having used a core for nothing — so a heavy
//!   request waits at most half the time it has left, then is refused, retryable, at once.
//!
//! The estimate is an upper bound of what a query reads and answers
//! (`tests/api/cost_property.rs` checks it), so a request admitted as light cannot turn heavy
//! part-way.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::graphql::limits::cost::Estimate;

/// How requests are admitted: the thresholds and the heavy lane.
pub(crate) struct Admission {
    lane: Arc<Semaphore>,
    /// Estimated rows at or under which a query may run inline (0: none does).
    inline_rows: u64,
    /// Estimated rows over which a request is heavy.
    heavy_rows: u64,
}

/// Where one request runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    Inline,
    Blocking,
    Heavy,
}

/// A place in the heavy lane, held until the request's work has ended.
pub(crate) type HeavyPlace = Option<OwnedSemaphorePermit>;

impl Admission {
    pub(crate) fn new(inline_rows: u64, heavy_rows: u64, width: usize) -> Self {
        Self { lane: Arc::new(Semaphore::new(width.max(1))), inline_rows, heavy_rows }
    }

    /// The lane of a request with this estimate (a mutation never runs inline: it may wait
    /// for the writer).
    pub(crate) fn lane(&self, estimate: &Estimate, mutation: bool) -> Lane {
        let weight = estimate.reads.max(estimate.nodes);
        if weight > self.heavy_rows {
            Lane::Heavy
        } else if !mutation && self.inline_rows > 0 && weight <= self.inline_rows {
            Lane::Inline
        } else {
            Lane::Blocking
        }
    }

    /// A place in the heavy lane for a heavy request, waiting at most half the time left
    /// before `deadline`; `Err` when none came in that time. Other lanes need no place.
    pub(crate) async fn enter(&self, lane: Lane, deadline: Instant) -> Result<HeavyPlace, ()> {
        if lane != Lane::Heavy {
            return Ok(None);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let by = Instant::now() + left / 2;
        match tokio::time::timeout_at(by.into(), self.lane.clone().acquire_owned()).await {
            Ok(Ok(place)) => Ok(Some(place)),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn reads(reads: u64) -> Estimate {
        Estimate { reads, ..Estimate::default() }
    }

    #[test]
    fn the_estimate_alone_decides_the_lane() {
        let admission = Admission::new(500, 2_000, 2);
        assert_eq!(admission.lane(&reads(500), false), Lane::Inline);
        assert_eq!(admission.lane(&reads(501), false), Lane::Blocking);
        assert_eq!(admission.lane(&reads(2_000), false), Lane::Blocking);
        assert_eq!(admission.lane(&reads(2_001), false), Lane::Heavy);
        assert_eq!(admission.lane(&reads(3), true), Lane::Blocking, "a mutation never runs inline");
        let answers = Estimate { reads: 0, nodes: 2_001, ..Estimate::default() };
        assert_eq!(admission.lane(&answers, false), Lane::Heavy, "large answers weigh too");
        assert_eq!(Admission::new(0, 2_000, 2).lane(&reads(0), false), Lane::Blocking, "inline off");
    }

    #[tokio::test]
    async fn a_heavy_request_waits_at_most_half_its_time_for_a_place() {
        let admission = Admission::new(500, 2_000, 1);
        let soon = || Instant::now() + Duration::from_millis(400);
        let first = admission.enter(Lane::Heavy, soon()).await.expect("the lane is free");
        assert!(first.is_some(), "a heavy request holds a place");
        assert!(matches!(admission.enter(Lane::Blocking, soon()).await, Ok(None)), "others need none");
        let asked = Instant::now();
        assert!(admission.enter(Lane::Heavy, soon()).await.is_err(), "the lane is full");
        let waited = asked.elapsed();
        assert!(waited >= Duration::from_millis(180) && waited < Duration::from_millis(380), "{waited:?}");
        drop(first);
        assert!(admission.enter(Lane::Heavy, soon()).await.is_ok_and(|place| place.is_some()));
    }
}
