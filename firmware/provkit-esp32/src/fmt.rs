//! Crate-private logging shim, as embassy and rs-matter keep one: `defmt` on chips (feature
//! `defmt`), `log` on hosts (feature `log`), nothing without either. The crate logs through
//! it every error it drops on purpose, where no caller is left to return it to.

/// Logs an error that is dropped on purpose: `dropped!("what was tried", error)`. The error
/// needs `Debug`; with neither feature it is only borrowed, so nothing is formatted or linked.
#[allow(unused_macros)] // host builds of this adapter compile none of the chip code that uses it
macro_rules! dropped {
    ($what:expr, $err:expr) => {{
        #[cfg(feature = "defmt")]
        ::defmt::warn!(
            "dropped error: {=str}: {}",
            $what,
            ::defmt::Debug2Format(&$err)
        );
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        ::log::warn!("dropped error: {}: {:?}", $what, $err);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        let _ = (&$what, &$err);
    }};
}
