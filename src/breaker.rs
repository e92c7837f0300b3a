//! A circuit breaker: after a dependency failed (an error or a timeout), calls
//! to it are skipped for a while instead of each waiting out the timeout again,
//! so a dead dependency costs one timeout and then nothing until it is back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Open (skipping calls) until a moment in milliseconds since the epoch; closed when 0.
#[derive(Debug)]
pub struct Breaker {
    name: &'static str,
    open_until_ms: AtomicU64,
    cooldown: Duration,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Breaker {
    /// `cooldown`: how long calls are skipped after a failure before one is let through.
    pub fn new(name: &'static str, cooldown: Duration) -> Self {
        Self {
            name,
            open_until_ms: AtomicU64::new(0),
            cooldown,
        }
    }

    /// Whether calls should be skipped now.
    pub fn is_open(&self) -> bool {
        now_ms() < self.open_until_ms.load(Ordering::Relaxed)
    }

    /// Whether it tripped and has not been closed since (even past its cooldown).
    pub fn has_tripped(&self) -> bool {
        self.open_until_ms.load(Ordering::Relaxed) != 0
    }

    /// A call failed: skip calls for the cooldown.
    pub fn trip(&self) {
        let until = now_ms().saturating_add(u64::try_from(self.cooldown.as_millis()).unwrap_or(0));
        if self.open_until_ms.swap(until, Ordering::Relaxed) == 0 {
            tracing::warn!(
                dependency = self.name,
                cooldown_ms = self.cooldown.as_millis() as u64,
                "circuit opened"
            );
        }
    }

    /// A call succeeded: calls go through again.
    pub fn close(&self) {
        if self.open_until_ms.swap(0, Ordering::Relaxed) != 0 {
            tracing::info!(dependency = self.name, "circuit closed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trip_skips_calls_for_the_cooldown_then_lets_one_through() {
        let breaker = Breaker::new("test", Duration::from_millis(50));
        assert!(!breaker.is_open());
        breaker.trip();
        assert!(breaker.is_open());
        std::thread::sleep(Duration::from_millis(80));
        assert!(!breaker.is_open(), "half open after the cooldown");
        assert!(breaker.has_tripped());
        breaker.close();
        assert!(!breaker.has_tripped());
    }
}
