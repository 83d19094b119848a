//! The clock of the background loops: a tick every period, and after a late tick (a slow
//! round, a busy machine) the next one a whole period later, never a burst to catch up.

use std::time::Duration;

use tokio::time::{Instant, Interval, MissedTickBehavior};

/// Ticks every `period`, the first at once.
pub(crate) fn every(period: Duration) -> Interval {
    every_from(Instant::now(), period)
}

/// Ticks every `period`, the first at `start`.
pub(crate) fn every_from(start: Instant, period: Duration) -> Interval {
    let mut tick = tokio::time::interval_at(start, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}
