//! `provkit-hal`'s clock and async timer on `embassy-time` (feature `embassy-time`): the time
//! base of every embassy target, whatever its chip (the chip's HAL provides the time driver).

use provkit_hal::{Clock, Instant, asynch};

/// embassy-time's monotonic clock, in milliseconds since boot, as a [`Clock`] and an
/// [`asynch::Timer`]. Zero-sized: hand one to [`crate::Engine::new`] and another to
/// [`crate::Engine::run`]; they read the same time.
#[derive(Debug, Default, Clone, Copy)]
pub struct EmbassyClock;

impl Clock for EmbassyClock {
    fn now(&self) -> Instant {
        Instant::from_millis(embassy_time::Instant::now().as_millis())
    }
}

impl asynch::Timer for EmbassyClock {
    async fn wait_until(&mut self, deadline: Instant) {
        embassy_time::Timer::at(embassy_time::Instant::from_millis(deadline.as_millis())).await;
    }
}
