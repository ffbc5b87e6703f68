//! The station outside provisioning: join the stored networks at boot, and stay on them
//! afterwards. What ESP-IDF leaves to each application's event handler, written once.
//!
//! ```text
//!  boot ─► join_stored(profiles) ── joined ──────────────────────► stay_connected
//!               │ none joined                                          │ link lost
//!               ▼                                                      ▼
//!          provisioning (Engine::run) ── success / stop ──►  rejoin the stored networks,
//!                                                             back-off 1 s … 60 s, forever
//! ```
//!
//! Profiles are tried highest priority first (newest on ties, the order the manager keeps);
//! each gets a bounded time to associate and obtain an address.

use provkit_hal::{Duration, Instant, LinkEvent, Profile, ProfileList, asynch};

/// Time a stored network gets to associate and hand out an address.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);
/// First wait before rejoining after every stored network failed; doubles up to
/// [`MAX_REJOIN_BACKOFF`].
pub const FIRST_REJOIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between two rounds of rejoining.
pub const MAX_REJOIN_BACKOFF: Duration = Duration::from_secs(60);

/// The network [`join_stored`] joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// Index of the profile in the list given.
    pub profile: usize,
    /// The address DHCP gave.
    pub ip: [u8; 4],
}

/// Tries `profiles` best first until one associates and gets an address within `timeout`.
/// `None`: none did (the station is left disconnected).
pub async fn join_stored<S, T>(
    station: &mut S,
    timer: &mut T,
    profiles: &[Profile],
    timeout: Duration,
) -> Option<Joined>
where
    S: asynch::WifiStation,
    T: asynch::Timer,
{
    let mut order: heapless::Vec<usize, { provkit_hal::MAX_PROFILES }> =
        (0..profiles.len().min(provkit_hal::MAX_PROFILES)).collect();
    // Highest priority first; among equals the later (newer) profile first.
    order.sort_unstable_by_key(|&i| {
        (
            core::cmp::Reverse(profiles.get(i).map_or(0, |p| p.priority)),
            core::cmp::Reverse(i),
        )
    });
    for index in order {
        let Some(profile) = profiles.get(index) else {
            continue;
        };
        if station.connect(&profile.credentials).await.is_err() {
            continue;
        }
        let deadline = timer.now() + timeout;
        if let Some(ip) = wait_for_address(station, timer, deadline).await {
            return Some(Joined { profile: index, ip });
        }
        if let Err(e) = station.disconnect().await {
            dropped!("disconnect after a join timeout", e);
        }
    }
    None
}

/// Waits for the outcome of a connect: `Some(ip)` once an address came, `None` on a
/// disconnect or at `deadline`.
async fn wait_for_address<S, T>(
    station: &mut S,
    timer: &mut T,
    deadline: Instant,
) -> Option<[u8; 4]>
where
    S: asynch::WifiStation,
    T: asynch::Timer,
{
    use embassy_futures::select::{Either, select};
    loop {
        match select(station.next_event(), timer.wait_until(deadline)).await {
            Either::First(LinkEvent::GotIp { ip }) => return Some(ip),
            Either::First(LinkEvent::Disconnected { .. }) | Either::Second(()) => return None,
            // Association comes before the address; a late ScanDone means nothing here.
            Either::First(_) => {}
        }
    }
}

/// Keeps the station on the stored networks for good: whenever the link is down (now, if
/// `connected` is false, or after a loss), rejoins them with [`join_stored`], waiting
/// [`FIRST_REJOIN_BACKOFF`] … [`MAX_REJOIN_BACKOFF`] between rounds. `on_change` hears every
/// link change (`Some(ip)` joined, `None` lost), e.g. to log it.
pub async fn stay_connected<S, C, T>(
    station: &mut S,
    store: &mut C,
    timer: &mut T,
    mut connected: bool,
    mut on_change: impl FnMut(Option<[u8; 4]>),
) -> !
where
    S: asynch::WifiStation,
    C: asynch::CredentialStore,
    T: asynch::Timer,
{
    let mut backoff = FIRST_REJOIN_BACKOFF;
    loop {
        if connected {
            if let LinkEvent::Disconnected { .. } = station.next_event().await {
                connected = false;
                on_change(None);
            }
            continue;
        }
        // A store that cannot be read is treated as empty: keep trying, it may recover.
        let profiles: ProfileList = store.load().await.unwrap_or_default();
        match join_stored(station, timer, &profiles, JOIN_TIMEOUT).await {
            Some(joined) => {
                connected = true;
                backoff = FIRST_REJOIN_BACKOFF;
                on_change(Some(joined.ip));
            }
            None => {
                timer.wait(backoff).await;
                backoff = Duration::from_millis(
                    backoff
                        .as_millis()
                        .saturating_mul(2)
                        .min(MAX_REJOIN_BACKOFF.as_millis()),
                );
            }
        }
    }
}
