//! How Espressif's sec2 peers encode the SRP values they hash and send, as types.
//!
//! Every party computes the same integers; they differ only in whether a value whose
//! big-endian form starts with zero bytes is hashed (or sent) with those bytes
//! ([`Encoding::Raw`]) or without them ([`Encoding::Minimal`], what an integer round trip in
//! Python or Java gives). The facts, from running the Android library and both esp_prov
//! copies and reading the iOS library and ESP-IDF's `esp_srp.c` / `security2.c`
//! (`tests/vectors/sec2-client-conventions.json`):
//!
//! | value | ESP-IDF device | iOS library | Android library | esp_prov |
//! |---|---|---|---|---|
//! | salt in x | raw¹ | raw | minimal | minimal |
//! | H(I ":" P) in x | raw 64 | raw 64 | raw 64 | **minimal** |
//! | salt in M | raw | raw | minimal | minimal |
//! | A on the wire, in M and H_AMK | must be 384 bytes | minimal | minimal | minimal² |
//! | B in M | minimal (as sent) | as received | minimal | minimal |
//! | K in M, in H_AMK, for the AES key | raw 64 | raw 64 | **minimal** | raw 64 |
//! | client proof on the wire, M in H_AMK | must be 64 bytes | raw 64 | **minimal** | raw 64 |
//!
//! ¹ `calculate_x`; the on-device generator `esp_srp_gen_salt_verifier` hashes the salt
//! minimal. ² esp_prov in `network_provisioning` redraws `a` until A has 384 bytes.
//!
//! So a verifier is tied to a [`VerifierConvention`] (how x was derived), and two
//! conventions give different verifiers only when the salt or H(I ":" P) starts with a zero
//! byte (1 credential pair in 256 for the inner hash). [`check_conventions`] says which
//! clients such a verifier locks out; generation refuses those pairs unless forced.
//! [`ClientConvention`] is what a client reproduces, and the device accepts every known
//! client's encodings, decided from the client's own proof (see `DeviceExchange`).

use core::fmt;

use zeroize::Zeroizing;

use crate::digest::{HASH_BYTES, sha512, strip_leading_zeros};

/// How a value that may start with zero bytes is hashed or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The bytes as stored or received, or a digest's full 64 bytes.
    Raw,
    /// Big-endian without leading zero bytes (Python's `long_to_bytes`, Java's `BigInteger`).
    Minimal,
}

impl Encoding {
    /// `bytes` in this encoding.
    pub fn apply(self, bytes: &[u8]) -> &[u8] {
        match self {
            Self::Raw => bytes,
            Self::Minimal => strip_leading_zeros(bytes),
        }
    }
}

/// How x (and so the verifier `v = g^x`) is derived from the salt and `H(I ":" P)`:
/// `x = H(salt ‖ H(I ":" P))` with each part raw or minimal.
///
/// The conventions agree unless the salt or `H(I ":" P)` starts with a zero byte; salts made
/// by this crate never do, so for them only the inner hash matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VerifierConvention {
    /// Salt raw, inner hash raw (all 64 bytes): ESP-IDF's own `esp_srp.c` (`calculate_x`) and
    /// the iOS provisioning library. The default: the phone apps log in with it.
    #[default]
    EspIdf,
    /// Salt minimal, inner hash raw: the Android provisioning library. Same verifier as
    /// [`VerifierConvention::EspIdf`] for every salt without a leading zero.
    Android,
    /// Salt minimal, inner hash minimal: esp_prov (both copies) and its `--sec2_gen_cred`.
    EspProv,
}

impl VerifierConvention {
    /// Every convention in use.
    pub const ALL: [Self; 3] = [Self::EspIdf, Self::Android, Self::EspProv];

    /// How the salt enters x.
    pub fn salt(self) -> Encoding {
        match self {
            Self::EspIdf => Encoding::Raw,
            Self::Android | Self::EspProv => Encoding::Minimal,
        }
    }

    /// How `H(I ":" P)` enters x.
    pub fn inner_hash(self) -> Encoding {
        match self {
            Self::EspIdf | Self::Android => Encoding::Raw,
            Self::EspProv => Encoding::Minimal,
        }
    }

    /// A short name for messages and command lines (`esp-idf`, `android`, `esp-prov`).
    pub fn name(self) -> &'static str {
        match self {
            Self::EspIdf => "esp-idf",
            Self::Android => "android",
            Self::EspProv => "esp-prov",
        }
    }

    /// Who derives x this way.
    pub fn used_by(self) -> &'static str {
        match self {
            Self::EspIdf => {
                "ESP-IDF's esp_srp.c and the iOS app library (and the Android one, for salts \
                 without a leading zero byte)"
            }
            Self::Android => "the Android app library",
            Self::EspProv => "esp_prov and its --sec2_gen_cred",
        }
    }
}

impl fmt::Display for VerifierConvention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `H(I ":" P)`, the inner hash of x.
pub(crate) fn inner_hash(username: &[u8], password: &[u8]) -> Zeroizing<[u8; HASH_BYTES]> {
    Zeroizing::new(sha512(&[username, b":", password]))
}

/// `x = H(salt ‖ H(I ":" P))` with the parts encoded as `convention` says.
pub fn private_key_x(
    salt: &[u8],
    username: &[u8],
    password: &[u8],
    convention: VerifierConvention,
) -> Zeroizing<[u8; HASH_BYTES]> {
    x_from_inner(salt, &inner_hash(username, password), convention)
}

fn x_from_inner(
    salt: &[u8],
    inner: &[u8; HASH_BYTES],
    convention: VerifierConvention,
) -> Zeroizing<[u8; HASH_BYTES]> {
    Zeroizing::new(sha512(&[
        convention.salt().apply(salt),
        convention.inner_hash().apply(inner),
    ]))
}

/// Whether two conventions give the same x (hence the same verifier) for these credentials.
/// Costs at most three SHA-512 compressions of short inputs, no bignum work.
pub fn conventions_agree(
    salt: &[u8],
    username: &[u8],
    password: &[u8],
    first: VerifierConvention,
    second: VerifierConvention,
) -> bool {
    let inner = inner_hash(username, password);
    agree_on(salt, &inner, first, second)
}

fn agree_on(
    salt: &[u8],
    inner: &[u8; HASH_BYTES],
    first: VerifierConvention,
    second: VerifierConvention,
) -> bool {
    // The hashed bytes are equal exactly when the encodings pick equal slices.
    first.salt().apply(salt) == second.salt().apply(salt)
        && first.inner_hash().apply(inner) == second.inner_hash().apply(inner)
}

/// The Espressif sec2 clients whose way of deriving x is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sec2Client {
    /// esp_prov (ESP-IDF's `tools/esp_prov`, network_provisioning's copy, esp-rainmaker-cli).
    EspProv,
    /// The Android provisioning library (ESP BLE / SoftAP Provisioning apps for Android).
    AndroidApp,
    /// The iOS provisioning library (ESP BLE / SoftAP Provisioning apps for iOS).
    IosApp,
}

impl Sec2Client {
    /// Every known client.
    pub const ALL: [Self; 3] = [Self::EspProv, Self::AndroidApp, Self::IosApp];

    /// How this client derives x.
    pub fn convention(self) -> VerifierConvention {
        match self {
            Self::EspProv => VerifierConvention::EspProv,
            Self::AndroidApp => VerifierConvention::Android,
            Self::IosApp => VerifierConvention::EspIdf,
        }
    }

    /// The client's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::EspProv => "esp_prov",
            Self::AndroidApp => "the Android provisioning app",
            Self::IosApp => "the iOS provisioning app",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::EspProv => 0,
            Self::AndroidApp => 1,
            Self::IosApp => 2,
        }
    }
}

/// A verifier made in one convention that some Espressif clients can never log in with,
/// because their x differs for these credentials (see [`check_conventions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConventionMismatch {
    chosen: VerifierConvention,
    failing: [bool; 3],
    salt_leading_zero: bool,
    inner_hash_leading_zero: bool,
}

impl ConventionMismatch {
    /// The convention the verifier was (to be) made in.
    pub fn chosen(&self) -> VerifierConvention {
        self.chosen
    }

    /// Whether `client` would fail to log in with that verifier.
    pub fn fails(&self, client: Sec2Client) -> bool {
        self.failing.get(client.index()).copied().unwrap_or(false)
    }

    /// The clients that would fail, in [`Sec2Client::ALL`] order.
    pub fn failing_clients(&self) -> impl Iterator<Item = Sec2Client> + '_ {
        Sec2Client::ALL.into_iter().filter(|c| self.fails(*c))
    }

    /// Whether the salt starts with a zero byte (only imported salts can).
    pub fn salt_leading_zero(&self) -> bool {
        self.salt_leading_zero
    }

    /// Whether `H(username ":" password)` starts with a zero byte (1 pair in 256): a
    /// different password avoids it.
    pub fn inner_hash_leading_zero(&self) -> bool {
        self.inner_hash_leading_zero
    }
}

impl fmt::Display for ConventionMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = self.failing_clients().map(Sec2Client::name).peekable();
        let mut list = alloc::string::String::new();
        let mut first = true;
        while let Some(name) = names.next() {
            if !first {
                list.push_str(if names.peek().is_some() {
                    ", "
                } else {
                    " and "
                });
            }
            list.push_str(name);
            first = false;
        }
        let cause = match (self.inner_hash_leading_zero, self.salt_leading_zero) {
            (true, true) => "both the salt and SHA-512(username \":\" password) start",
            (true, false) => "SHA-512(username \":\" password) starts",
            _ => "the salt starts",
        };
        let remedy = match (self.inner_hash_leading_zero, self.salt_leading_zero) {
            (true, true) => "choose another password and a salt without a leading zero byte",
            (true, false) => "choose another password",
            _ => "use a salt without a leading zero byte",
        };
        write!(
            f,
            "{cause} with a zero byte, which the sec2 clients hash differently, so {list} \
             could never log in with a verifier made the {} way; {remedy}",
            self.chosen
        )?;
        Ok(())
    }
}

/// Checks a (salt, username, password) triple for a verifier made in `chosen`: `Err` names
/// every known client whose x differs (it could never log in), `Ok` means all of them agree.
/// Hashes only.
pub fn check_conventions(
    salt: &[u8],
    username: &[u8],
    password: &[u8],
    chosen: VerifierConvention,
) -> Result<(), ConventionMismatch> {
    let inner = inner_hash(username, password);
    let mut failing = [false; 3];
    for client in Sec2Client::ALL {
        if let Some(slot) = failing.get_mut(client.index()) {
            *slot = !agree_on(salt, &inner, chosen, client.convention());
        }
    }
    if failing.iter().any(|&f| f) {
        Err(ConventionMismatch {
            chosen,
            failing,
            salt_leading_zero: salt.first() == Some(&0),
            inner_hash_leading_zero: inner.first() == Some(&0),
        })
    } else {
        Ok(())
    }
}

/// Whether generation refuses credentials that lock some clients out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchPolicy {
    /// Refuse with [`crate::SecurityError::ConventionMismatch`] (the default of every tool).
    Refuse,
    /// Make the verifier anyway: the clients named by [`check_conventions`] will fail.
    Allow,
}

/// Which Espressif client's encodings a sec2 client reproduces (x, and what it hashes and
/// sends; the table in this module's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClientConvention {
    /// ESP-IDF's device code and the phone apps: x over the raw salt and all 64 bytes of
    /// `H(I ":" P)`, the raw salt in M, a 384-byte A, a 64-byte proof, K raw. The default.
    #[default]
    EspIdf,
    /// esp_prov: x over the minimal salt and minimal `H(I ":" P)`, the minimal salt in M;
    /// otherwise as [`ClientConvention::EspIdf`] (A redrawn to 384 bytes, as esp_prov in
    /// network_provisioning does).
    EspProv,
    /// Test mode reproducing the Android library's wire bytes: x over the minimal salt and raw
    /// `H(I ":" P)`; A sent minimal (383 bytes about once in 256); K minimal in M, H_AMK and
    /// the AES key (`K[1..33]` when K starts with zero); the proof sent minimal (63 bytes when
    /// M starts with zero). Only `a` differs from the library, which draws 3072 bits where
    /// this draws 256 (same encodings, less arithmetic).
    AndroidMinimal,
}

impl ClientConvention {
    /// How this client derives x.
    pub fn verifier(self) -> VerifierConvention {
        match self {
            Self::EspIdf => VerifierConvention::EspIdf,
            Self::EspProv => VerifierConvention::EspProv,
            Self::AndroidMinimal => VerifierConvention::Android,
        }
    }

    /// The convention to retry with once when the device rejected this one's proof (and the
    /// two give different x for the credentials): ESP-IDF's ⇄ esp_prov's; none for the test
    /// mode.
    pub fn fallback(self) -> Option<Self> {
        match self {
            Self::EspIdf => Some(Self::EspProv),
            Self::EspProv => Some(Self::EspIdf),
            Self::AndroidMinimal => None,
        }
    }

    /// A short name for messages (`esp-idf`, `esp-prov`, `android-minimal`).
    pub fn name(self) -> &'static str {
        match self {
            Self::EspIdf => "esp-idf",
            Self::EspProv => "esp-prov",
            Self::AndroidMinimal => "android-minimal",
        }
    }

    /// How the salt enters M.
    pub(crate) fn salt_in_proof(self) -> Encoding {
        match self {
            Self::EspIdf => Encoding::Raw,
            Self::EspProv | Self::AndroidMinimal => Encoding::Minimal,
        }
    }

    /// How K enters M and H_AMK and yields the AES key.
    pub(crate) fn key(self) -> Encoding {
        match self {
            Self::EspIdf | Self::EspProv => Encoding::Raw,
            Self::AndroidMinimal => Encoding::Minimal,
        }
    }

    /// How the proof M goes on the wire (and into H_AMK).
    pub(crate) fn proof(self) -> Encoding {
        self.key()
    }

    /// Whether `a` is redrawn until A has 384 bytes (ESP-IDF firmware rejects shorter A).
    pub(crate) fn full_length_a(self) -> bool {
        !matches!(self, Self::AndroidMinimal)
    }
}

impl fmt::Display for ClientConvention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
