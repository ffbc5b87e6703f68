//! The client driver: one [`Transport`], at most one security session, and the operations of
//! a provisioning run.
//!
//! ```text
//!  read_version ─▶ select_scheme ──▶ establish_session ─▶ [custom] ─▶ [scan] ─▶ set_config
//!   (proto-ver)     (§3.2 rules)       (prov-session ×1–2)                      ─▶ apply_config
//!                                                                                ─▶ poll get_status
//! ```
//!
//! Security 2 runs in ESP-IDF's and the phone apps' [`ClientConvention`] by default. When the
//! device does not accept the proof and esp_prov's convention would derive a different x for
//! these credentials and the device's salt (its verifier was made by `esp_prov
//! --sec2_gen_cred` for a password whose `SHA-512(username ":" password)` starts with a zero
//! byte), the handshake is retried once in that convention, and [`Client::sec2_retry`] says
//! so (the reverse holds for a client set to esp_prov's convention).
//!
//! Every request on `prov-config`, `prov-scan`, `prov-ctrl` and custom endpoints goes through
//! the session's `encrypt`, every response through its `decrypt`. The sec1 keystream and the
//! sec2 patch-1 nonce counter advance with *every* message in both directions, so one lost
//! answer desynchronises both sides for good: after any transport or crypto failure the
//! session is dropped and [`ClientError::NoSession`] is returned until a new handshake
//! (spec §8 item 5, §12.7).

use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

use provkit_security::{
    ClientConvention, ClientSecurityConfig, ClientSession, Sec2Patch, SecureRng, SecurityError,
};
use zeroize::Zeroize;

use crate::error::FailReason;
use crate::proto_ver::{DEFAULT_PROTO_VER_BODY, VersionReport};
use crate::wifi::{
    self, ConnectedInfo, Redacted, ScanEntry, ScanOptions, ScanStatus, WifiCredentials, WifiStatus,
    endpoint,
};
use crate::{ClientError, Transport};

/// Most `prov-session` round trips any scheme needs (sec1/sec2: two); a session asking for
/// more is broken.
const MAX_HANDSHAKE_ROUNDS: usize = 4;

/// What the user knows about the device's secrets. Which of them is used depends on the
/// security scheme the device speaks.
///
/// `Debug` shows only which secrets are set and their lengths (the username is shown: it
/// is an identity, not a secret). [`Zeroize`] wipes the PoP and the password.
///
/// `Secrets` has no `Drop` of its own on purpose: callers build it with struct-update syntax
/// (`Secrets { pop: Some(..), ..Secrets::default() }`), which Rust forbids for types with
/// `Drop`. To wipe on drop, hold it as [`Zeroizing<Secrets>`](crate::Zeroizing)
/// (`&*secrets` where a `&Secrets` is wanted). The copies the client makes for the handshake
/// (`ClientSecurityConfig`) are wiped on drop by provkit-security.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secrets {
    /// Security 1 proof of possession (raw bytes; esp_prov sends the latin-1 string).
    pub pop: Option<Vec<u8>>,
    /// Security 2 username.
    pub username: Option<Vec<u8>>,
    /// Security 2 password.
    pub password: Option<Vec<u8>>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |secret: &Option<Vec<u8>>| secret.as_ref().map(|s| Redacted(s.len()));
        f.debug_struct("Secrets")
            .field("pop", &redacted(&self.pop))
            .field(
                "username",
                &self.username.as_ref().map(|u| u.escape_ascii().to_string()),
            )
            .field("password", &redacted(&self.password))
            .finish()
    }
}

impl Zeroize for Secrets {
    /// Wipes the PoP and the password (their whole allocations) and sets them to `None`;
    /// the username stays.
    fn zeroize(&mut self) {
        for secret in [&mut self.pop, &mut self.password] {
            if let Some(bytes) = secret.as_mut() {
                bytes.zeroize();
            }
            *secret = None;
        }
    }
}

/// A security scheme named explicitly, for devices whose `proto-ver` is not JSON or when the
/// caller wants to override detection (esp_prov's `--sec_ver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// No encryption.
    Sec0,
    /// X25519 + PoP + AES-CTR.
    Sec1,
    /// SRP6a + AES-GCM with the given nonce scheme.
    Sec2(Sec2Patch),
}

impl Scheme {
    /// The `sec_ver` number of this scheme.
    pub fn sec_ver(self) -> u8 {
        match self {
            Self::Sec0 => 0,
            Self::Sec1 => 1,
            Self::Sec2(_) => 2,
        }
    }
}

/// Chooses the scheme from a `proto-ver` answer (spec §3.2): the device's advertisement wins
/// when it is JSON; otherwise `fallback` applies.
pub fn select_scheme(
    report: &VersionReport,
    fallback: Option<Scheme>,
) -> Result<Scheme, ClientError> {
    let Some(detected) = report.detect_security() else {
        return fallback.ok_or(ClientError::SecurityUndetermined);
    };
    match (detected.sec_ver, detected.sec_patch_ver) {
        (0, _) => Ok(Scheme::Sec0),
        (1, _) => Ok(Scheme::Sec1),
        (2, 0) => Ok(Scheme::Sec2(Sec2Patch::Patch0)),
        (2, 1) => Ok(Scheme::Sec2(Sec2Patch::Patch1)),
        (sec_ver, sec_patch_ver) => Err(ClientError::UnsupportedSecurity {
            sec_ver,
            sec_patch_ver,
        }),
    }
}

/// Builds the security configuration for `scheme` from the user's secrets.
///
/// `pop_required` comes from the device (`no_pop` absent); when the device says it has no PoP
/// a configured one is ignored, as esp_prov does. Without a report (non-JSON firmware) pass
/// `true` and whatever PoP the user gave is used.
pub fn security_config(
    scheme: Scheme,
    secrets: &Secrets,
    pop_required: bool,
) -> Result<ClientSecurityConfig, ClientError> {
    Ok(match scheme {
        Scheme::Sec0 => ClientSecurityConfig::Sec0,
        Scheme::Sec1 if !pop_required => ClientSecurityConfig::Sec1 { pop: None },
        Scheme::Sec1 => match &secrets.pop {
            Some(pop) if !pop.is_empty() => ClientSecurityConfig::Sec1 {
                pop: Some(pop.clone()),
            },
            _ => return Err(ClientError::PopRequired),
        },
        Scheme::Sec2(patch) => match (&secrets.username, &secrets.password) {
            (Some(username), Some(password)) if !username.is_empty() => {
                ClientSecurityConfig::Sec2 {
                    username: username.clone(),
                    password: password.clone(),
                    patch,
                }
            }
            _ => return Err(ClientError::Sec2CredentialsMissing),
        },
    })
}

/// Which security a client accepts from a device: the downgrade protection of
/// [`Client::connect`] (and of `provkit provision --min-security N`).
///
/// A device's `proto-ver` is unauthenticated, so anyone between the client and the device (or
/// a look-alike device) can claim weaker security than the real device speaks. The client
/// therefore refuses a scheme below [`SecurityPolicy::floor`] with
/// [`ClientError::SecurityTooWeak`], naming what the device offered, before any handshake
/// message is sent. By default the floor follows the secrets given: security 2 credentials
/// mean at least security 2, a PoP at least security 1. Security 2 patch 0 (one fixed GCM
/// nonce for the whole session, both directions) is refused unless
/// [`SecurityPolicy::allow_sec2_patch0`] is set ([`ClientError::Sec2Patch0Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityPolicy {
    /// The weakest scheme accepted (0, 1 or 2). `None`: implied by the secrets, see
    /// [`SecurityPolicy::floor`].
    pub min_security: Option<u8>,
    /// Accept security 2 with `sec_patch_ver` 0 (devices before ESP-IDF's 2025 nonce fix).
    pub allow_sec2_patch0: bool,
}

impl SecurityPolicy {
    /// The weakest `sec_ver` accepted with `secrets`: [`Self::min_security`] when set, else 2
    /// with a security 2 username and password, 1 with a PoP, 0 otherwise.
    pub fn floor(&self, secrets: &Secrets) -> u8 {
        self.min_security.unwrap_or(
            if secrets.username.is_some() && secrets.password.is_some() {
                2
            } else if secrets.pop.as_ref().is_some_and(|p| !p.is_empty()) {
                1
            } else {
                0
            },
        )
    }

    /// Checks a scheme against the policy before any handshake message is sent.
    pub fn check(&self, scheme: Scheme, secrets: &Secrets) -> Result<(), ClientError> {
        let minimum = self.floor(secrets);
        if scheme.sec_ver() < minimum {
            return Err(ClientError::SecurityTooWeak {
                offered: scheme.sec_ver(),
                minimum,
            });
        }
        if scheme == Scheme::Sec2(Sec2Patch::Patch0) && !self.allow_sec2_patch0 {
            return Err(ClientError::Sec2Patch0Refused);
        }
        Ok(())
    }
}

/// How long [`Client::wait_for_connection`] keeps asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPolicy {
    /// Total GetStatus requests before giving up with [`ClientError::StillConnecting`].
    pub max_polls: u32,
    /// "Failed"/"Disconnected" answers tolerated before giving up (esp_prov: 3). A device
    /// can report a transient failure before its retry logic kicks in.
    pub failure_retries: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            max_polls: 60,
            failure_retries: 3,
        }
    }
}

/// How [`Client::scan`] pages and polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanPlan {
    /// ScanStart parameters.
    pub options: ScanOptions,
    /// Entries per ScanResult request (esp_prov: 4 over BLE, where Bluedroid caps
    /// responses at 257/481 bytes; 100 over HTTP).
    pub page_size: u32,
    /// ScanStatus requests before giving up with [`ClientError::ScanNotFinished`].
    pub max_status_polls: u32,
}

impl ScanPlan {
    /// esp_prov's plan over SoftAP/HTTP.
    pub const HTTP: Self = Self {
        options: ScanOptions::HTTP,
        page_size: 100,
        max_status_polls: 30,
    };
    /// esp_prov's plan over BLE.
    pub const BLE: Self = Self {
        options: ScanOptions::BLE,
        page_size: 4,
        max_status_polls: 30,
    };
}

/// A security 2 handshake that the device rejected in one convention and that was retried in
/// the other ([`Client::sec2_retry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sec2Retry {
    /// The convention whose proof the device did not accept.
    pub rejected: ClientConvention,
    /// The convention of the retry.
    pub retried_with: ClientConvention,
    /// Whether the retry established the session.
    pub established: bool,
}

impl fmt::Display for Sec2Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the device did not accept the security 2 proof in the {} convention; retried once \
             in the {} convention, which derives a different verifier for these credentials: {}",
            self.rejected,
            self.retried_with,
            if self.established {
                "accepted"
            } else {
                "also rejected"
            }
        )?;
        if self.established {
            let locked_out = match self.retried_with {
                ClientConvention::EspProv => {
                    "clients in ESP-IDF's convention, the iOS app among them,"
                }
                _ => "esp_prov",
            };
            write!(
                f,
                " (the device's verifier follows the {} convention: {locked_out} cannot log \
                 in to it with this password)",
                self.retried_with
            )?;
        }
        Ok(())
    }
}

/// A provisioning client over any [`Transport`].
pub struct Client<T> {
    transport: T,
    session: Option<ClientSession>,
    scheme: Option<Scheme>,
    version: Option<VersionReport>,
    policy: SecurityPolicy,
    sec2_convention: ClientConvention,
    sec2_retry_enabled: bool,
    sec2_retry: Option<Sec2Retry>,
}

impl<T: Transport> Client<T> {
    /// A client with no session yet.
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            session: None,
            scheme: None,
            version: None,
            policy: SecurityPolicy::default(),
            sec2_convention: ClientConvention::default(),
            sec2_retry_enabled: true,
            sec2_retry: None,
        }
    }

    /// The convention security 2 handshakes start in (default [`ClientConvention::EspIdf`]);
    /// [`ClientConvention::AndroidMinimal`] reproduces the Android library's wire bytes (a test
    /// mode, never retried).
    pub fn set_sec2_convention(&mut self, convention: ClientConvention) {
        self.sec2_convention = convention;
    }

    /// The convention security 2 handshakes start in.
    pub fn sec2_convention(&self) -> ClientConvention {
        self.sec2_convention
    }

    /// Whether a rejected security 2 proof is retried once in the other convention when that
    /// one derives a different x (default on).
    pub fn set_sec2_retry(&mut self, enabled: bool) {
        self.sec2_retry_enabled = enabled;
    }

    /// The retry of the last [`establish_session`](Self::establish_session), if it made one.
    pub fn sec2_retry(&self) -> Option<Sec2Retry> {
        self.sec2_retry
    }

    /// Replaces the downgrade protection [`Self::connect`] applies (default: the floor implied
    /// by the secrets, no sec2 patch 0).
    pub fn set_security_policy(&mut self, policy: SecurityPolicy) {
        self.policy = policy;
    }

    /// The downgrade protection in force.
    pub fn security_policy(&self) -> SecurityPolicy {
        self.policy
    }

    /// The transport, e.g. to read an HTTP session cookie.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably (e.g. to reconnect it).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// The last `proto-ver` answer read, if any.
    pub fn version(&self) -> Option<&VersionReport> {
        self.version.as_ref()
    }

    /// The scheme of the current session, if one is established.
    pub fn scheme(&self) -> Option<Scheme> {
        self.session.as_ref().and(self.scheme)
    }

    /// Whether a security session is established and usable.
    pub fn is_established(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(ClientSession::is_established)
    }

    /// Forgets the security session (e.g. after the transport was reconnected by hand).
    pub fn drop_session(&mut self) {
        self.session = None;
        self.scheme = None;
    }

    /// Reads `proto-ver` with the default body (`---`).
    pub fn read_version(&mut self) -> Result<&VersionReport, ClientError> {
        self.read_version_with(DEFAULT_PROTO_VER_BODY)
    }

    /// Reads `proto-ver` with a chosen body (esp_prov sends `none`, `no_sec`, `no_pop`, `---`,
    /// a capability name or the expected version; the device ignores it). Empty bodies are
    /// refused: the device would close the connection.
    pub fn read_version_with(&mut self, body: &[u8]) -> Result<&VersionReport, ClientError> {
        if body.is_empty() {
            return Err(ClientError::InvalidArgument(
                "proto-ver body must not be empty",
            ));
        }
        let raw = self.transport.request(endpoint::PROTO_VER, body)?;
        Ok(self.version.insert(VersionReport::parse(&raw)))
    }

    /// Runs the `prov-session` handshake for `config`. Any earlier session is dropped first.
    ///
    /// Security 2 starts in [`sec2_convention`](Self::sec2_convention); if the device does not
    /// accept that proof and the other convention derives a different x for these credentials
    /// and the device's salt, the handshake runs once more in it (see
    /// [`sec2_retry`](Self::sec2_retry)); the error of the retry is returned if it fails too.
    pub fn establish_session<R: SecureRng + ?Sized>(
        &mut self,
        config: ClientSecurityConfig,
        rng: &mut R,
    ) -> Result<(), ClientError> {
        self.drop_session();
        self.sec2_retry = None;
        let scheme = match &config {
            ClientSecurityConfig::Sec0 => Scheme::Sec0,
            ClientSecurityConfig::Sec1 { .. } => Scheme::Sec1,
            ClientSecurityConfig::Sec2 { patch, .. } => Scheme::Sec2(*patch),
        };
        let first = ClientSession::new(config.clone()).with_sec2_convention(self.sec2_convention);
        let session = match self.handshake(first, rng) {
            Ok(session) => session,
            Err((error, fallback)) => {
                let fallback = fallback.filter(|_| self.sec2_retry_enabled);
                let Some(retried_with) = fallback else {
                    return Err(error);
                };
                let retry = ClientSession::new(config).with_sec2_convention(retried_with);
                let outcome = self.handshake(retry, rng);
                self.sec2_retry = Some(Sec2Retry {
                    rejected: self.sec2_convention,
                    retried_with,
                    established: outcome.is_ok(),
                });
                outcome.map_err(|(error, _)| error)?
            }
        };
        self.session = Some(session);
        self.scheme = Some(scheme);
        Ok(())
    }

    /// One handshake; on failure the error and the convention worth a retry, if any
    /// ([`ClientSession::sec2_fallback`]).
    fn handshake<R: SecureRng + ?Sized>(
        &mut self,
        mut session: ClientSession,
        rng: &mut R,
    ) -> Result<ClientSession, (ClientError, Option<ClientConvention>)> {
        let result = self.run_handshake(&mut session, rng);
        match result {
            Ok(()) => Ok(session),
            Err(error) => Err((error, session.sec2_fallback())),
        }
    }

    fn run_handshake<R: SecureRng + ?Sized>(
        &mut self,
        session: &mut ClientSession,
        rng: &mut R,
    ) -> Result<(), ClientError> {
        let mut request = session.start(rng)?;
        for _ in 0..MAX_HANDSHAKE_ROUNDS {
            let response = self.transport.request(endpoint::SESSION, &request)?;
            match session.handle_response(&response, rng)? {
                Some(next) => request = next,
                None if session.is_established() => return Ok(()),
                None => break,
            }
        }
        Err(ClientError::Security(SecurityError::OutOfOrder))
    }

    /// Reads `proto-ver`, picks the scheme (the device's advertisement, else `fallback`),
    /// checks it against the [`SecurityPolicy`] (no silent downgrade), builds the
    /// configuration from `secrets` and runs the handshake. Returns the scheme.
    pub fn connect<R: SecureRng + ?Sized>(
        &mut self,
        secrets: &Secrets,
        fallback: Option<Scheme>,
        rng: &mut R,
    ) -> Result<Scheme, ClientError> {
        let policy = self.policy;
        let report = self.read_version()?;
        let scheme = select_scheme(report, fallback)?;
        // A fallback the caller named explicitly counts as allowing its own patch level.
        let policy = SecurityPolicy {
            allow_sec2_patch0: policy.allow_sec2_patch0
                || (report.detect_security().is_none() && fallback == Some(scheme)),
            ..policy
        };
        policy.check(scheme, secrets)?;
        let pop_required = report.detect_security().is_none_or(|d| d.pop_required);
        let config = security_config(scheme, secrets, pop_required)?;
        self.establish_session(config, rng)?;
        Ok(scheme)
    }

    /// One encrypted exchange: encrypt `plaintext`, send it to `endpoint`, decrypt the answer.
    /// On any failure the session is dropped (the two sides' cipher states have diverged).
    pub fn exchange(&mut self, endpoint: &str, plaintext: &[u8]) -> Result<Vec<u8>, ClientError> {
        let session = match self.session.as_mut() {
            Some(s) if s.is_established() => s,
            _ => return Err(ClientError::NoSession),
        };
        let result = session
            .encrypt(plaintext)
            .map_err(ClientError::from)
            .and_then(|mut ciphertext| {
                let sent = self
                    .transport
                    .request(endpoint, &ciphertext)
                    .map_err(ClientError::from);
                // Under security 0 the "ciphertext" is the plaintext (a passphrase on
                // prov-config); wiping it costs nothing under the other schemes.
                ciphertext.zeroize();
                sent
            })
            .and_then(|response| session.decrypt(&response).map_err(ClientError::from));
        if result.is_err() {
            self.drop_session();
        }
        result
    }

    /// Sends raw application bytes to a custom endpoint (e.g. `custom-data`) and returns the
    /// device's raw answer.
    pub fn custom(&mut self, endpoint: &str, data: &[u8]) -> Result<Vec<u8>, ClientError> {
        if data.is_empty() {
            return Err(ClientError::InvalidArgument(
                "custom data must not be empty",
            ));
        }
        self.exchange(endpoint, data)
    }

    // --- prov-config ----------------------------------------------------------------------

    /// Sends SetConfig (validated first: SSID 1..=32 bytes, passphrase ≤ 63 bytes).
    pub fn set_config(&mut self, credentials: &WifiCredentials) -> Result<(), ClientError> {
        let mut request = wifi::set_config_request(credentials)?;
        let sent = self.exchange(endpoint::CONFIG, &request);
        // The plaintext request carries the passphrase.
        request.zeroize();
        wifi::parse_set_config_response(&sent?)
    }

    /// Sends ApplyConfig: the device starts connecting about a second later.
    pub fn apply_config(&mut self) -> Result<(), ClientError> {
        let response = self.exchange(endpoint::CONFIG, &wifi::apply_config_request())?;
        wifi::parse_apply_config_response(&response)
    }

    /// Asks for the station status once.
    pub fn get_status(&mut self) -> Result<WifiStatus, ClientError> {
        let response = self.exchange(endpoint::CONFIG, &wifi::get_status_request())?;
        wifi::parse_get_status_response(&response)
    }

    /// Polls GetStatus until the device is connected, has failed more than
    /// `policy.failure_retries` times, or `policy.max_polls` is used up. `pause` runs before
    /// each poll (the adapter sleeps there, esp_prov 5 s; tests advance virtual time).
    ///
    /// `Connecting` and `AttemptFailed` keep polling: the device is still trying.
    pub fn wait_for_connection(
        &mut self,
        policy: PollPolicy,
        mut pause: impl FnMut(),
    ) -> Result<ConnectedInfo, ClientError> {
        let mut failures = 0u32;
        for _ in 0..policy.max_polls {
            // Pause before every poll, the first included (as esp_prov does): the device only
            // starts connecting about a second after ApplyConfig.
            pause();
            let reason = match self.get_status()? {
                WifiStatus::Connected(info) => return Ok(info),
                WifiStatus::Connecting | WifiStatus::AttemptFailed { .. } => continue,
                WifiStatus::Failed(reason) => reason,
                WifiStatus::Disconnected | WifiStatus::Unknown(_) => FailReason::Unreported,
            };
            failures += 1;
            if failures > policy.failure_retries {
                return Err(ClientError::ConnectionFailed(reason));
            }
        }
        Err(ClientError::StillConnecting)
    }

    /// SetConfig, ApplyConfig, then [`wait_for_connection`](Self::wait_for_connection).
    pub fn provision(
        &mut self,
        credentials: &WifiCredentials,
        policy: PollPolicy,
        pause: impl FnMut(),
    ) -> Result<ConnectedInfo, ClientError> {
        self.set_config(credentials)?;
        self.apply_config()?;
        self.wait_for_connection(policy, pause)
    }

    // --- prov-scan ------------------------------------------------------------------------

    /// Sends ScanStart.
    pub fn scan_start(&mut self, options: &ScanOptions) -> Result<(), ClientError> {
        let response = self.exchange(endpoint::SCAN, &wifi::scan_start_request(options))?;
        wifi::parse_scan_start_response(&response)
    }

    /// Sends ScanStatus.
    pub fn scan_status(&mut self) -> Result<ScanStatus, ClientError> {
        let response = self.exchange(endpoint::SCAN, &wifi::scan_status_request())?;
        wifi::parse_scan_status_response(&response)
    }

    /// Fetches entries `[start_index, start_index + count)`.
    pub fn scan_results(
        &mut self,
        start_index: u32,
        count: u32,
    ) -> Result<Vec<ScanEntry>, ClientError> {
        let request = wifi::scan_result_request(start_index, count);
        let response = self.exchange(endpoint::SCAN, &request)?;
        wifi::parse_scan_result_response(&response)
    }

    /// A whole scan: ScanStart, ScanStatus until finished (calling `pause` between polls),
    /// then ScanResult pages of at most `plan.page_size` entries until `result_count` entries
    /// are read. Fails with [`ClientError::MissingCapability`] if the last `proto-ver` answer
    /// was JSON without `wifi_scan`.
    pub fn scan(
        &mut self,
        plan: &ScanPlan,
        mut pause: impl FnMut(),
    ) -> Result<Vec<ScanEntry>, ClientError> {
        if plan.page_size == 0 {
            return Err(ClientError::InvalidArgument("scan page size is zero"));
        }
        if let Some(report) = &self.version
            && report.is_json()
            && !report.has_capability("wifi_scan")
        {
            return Err(ClientError::MissingCapability("wifi_scan"));
        }
        self.scan_start(&plan.options)?;
        let mut status = ScanStatus::default();
        for poll in 0..plan.max_status_polls {
            if poll > 0 {
                pause();
            }
            status = self.scan_status()?;
            if status.finished {
                break;
            }
        }
        if !status.finished {
            return Err(ClientError::ScanNotFinished);
        }
        let mut entries = Vec::new();
        let mut index = 0u32;
        while index < status.count {
            let count = plan.page_size.min(status.count - index);
            let page = self.scan_results(index, count)?;
            if page.is_empty() {
                // The device has fewer entries than it announced; stop rather than loop.
                break;
            }
            // Never trust the device to return at most what was asked for.
            let taken = page.len().min(count as usize);
            entries.extend(page.into_iter().take(taken));
            index += taken as u32;
        }
        Ok(entries)
    }

    // --- prov-ctrl ------------------------------------------------------------------------

    /// Sends CtrlReset: the device clears the failed credentials and returns to "started"
    /// (IDF answers InternalError when it was not in the failed state, spec §12.16).
    pub fn ctrl_reset(&mut self) -> Result<(), ClientError> {
        let response = self.exchange(endpoint::CTRL, &wifi::ctrl_reset_request())?;
        wifi::parse_ctrl_reset_response(&response)
    }

    /// Sends CtrlReprov: the device forgets its credentials and accepts new ones (needs
    /// auto-stop disabled on the device).
    pub fn ctrl_reprov(&mut self) -> Result<(), ClientError> {
        let response = self.exchange(endpoint::CTRL, &wifi::ctrl_reprov_request())?;
        wifi::parse_ctrl_reprov_response(&response)
    }
}
