//! The simulated radio environment: the access points a [`crate::station::SimStation`] can see
//! and join, read from a TOML file.
//!
//! ```toml
//! [[ap]]
//! ssid = "HomeNet"
//! passphrase = "correct horse"
//! auth = "wpa2-psk"
//! channel = 6
//! rssi = -48
//! bssid = "24:0a:c4:00:00:01"
//! # optional: hidden = true, dhcp = false, connect_ms = 1500, flaky = 2
//! ```
//!
//! Every mistake in the file (unknown key, wrong type, out-of-range value, a passphrase that the
//! auth mode cannot have) is an [`EnvError`] whose message names the line, so a user editing
//! the file by hand finds it at once.

use crate::SimError;
use provkit_hal::{AuthMode, Bssid, Passphrase, Ssid};
use serde::Deserialize;
use toml::Spanned;

/// The demo environment `provkit sim` uses when no `--env` is given.
pub const DEMO_ENV_TOML: &str = include_str!("demo_env.toml");

/// Default time from `connect` to an IPv4 address.
pub const DEFAULT_CONNECT_MS: u64 = 1000;

/// One access point of the environment, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPoint {
    /// 1..=32 bytes.
    pub ssid: Ssid,
    /// Empty for open networks.
    pub passphrase: Passphrase,
    pub auth: AuthMode,
    /// 1..=14.
    pub channel: u8,
    /// dBm, -100..=0.
    pub rssi: i8,
    pub bssid: Bssid,
    /// Not listed by scans; still joinable by name, like a real hidden SSID.
    pub hidden: bool,
    /// `false`: the station associates but never gets an address.
    pub dhcp: bool,
    pub connect_ms: u64,
    /// The first `flaky` connection attempts to this AP time out.
    pub flaky: u32,
}

/// The whole environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RadioEnv {
    pub aps: Vec<AccessPoint>,
}

/// Why an environment file was rejected; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    pub line: Option<usize>,
    pub message: String,
}

impl core::fmt::Display for EnvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    #[serde(default)]
    ap: Vec<Spanned<RawAp>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAp {
    ssid: String,
    #[serde(default)]
    passphrase: Option<Spanned<String>>,
    auth: Spanned<String>,
    channel: Spanned<i64>,
    rssi: Spanned<i64>,
    bssid: Spanned<String>,
    #[serde(default)]
    hidden: bool,
    #[serde(default = "default_true")]
    dhcp: bool,
    #[serde(default)]
    connect_ms: Option<Spanned<i64>>,
    #[serde(default)]
    flaky: Option<Spanned<i64>>,
}

fn default_true() -> bool {
    true
}

/// The auth names of the file format, in the order of the ESP `wifi_auth_mode_t` values.
const AUTH_NAMES: &[(&str, AuthMode)] = &[
    ("open", AuthMode::Open),
    ("wep", AuthMode::Wep),
    ("wpa-psk", AuthMode::WpaPsk),
    ("wpa2-psk", AuthMode::Wpa2Psk),
    ("wpa-wpa2-psk", AuthMode::WpaWpa2Psk),
    ("wpa2-enterprise", AuthMode::Wpa2Enterprise),
    ("wpa3-psk", AuthMode::Wpa3Psk),
    ("wpa2-wpa3-psk", AuthMode::Wpa2Wpa3Psk),
];

/// The file-format name of an auth mode (for scan listings and logs).
pub fn auth_name(auth: AuthMode) -> &'static str {
    AUTH_NAMES
        .iter()
        .find(|(_, a)| *a == auth)
        .map(|(n, _)| *n)
        .unwrap_or("other")
}

impl RadioEnv {
    /// The built-in demo environment.
    pub fn demo() -> Result<RadioEnv, SimError> {
        RadioEnv::from_toml(DEMO_ENV_TOML)
    }

    /// Parses and validates an environment file's text.
    pub fn from_toml(text: &str) -> Result<RadioEnv, SimError> {
        let line_of = |offset: usize| {
            text.get(..offset)
                .map(|before| before.matches('\n').count() + 1)
        };
        let raw: RawEnv = toml::from_str(text).map_err(|e| {
            let line = e.span().and_then(|s| line_of(s.start));
            SimError::Env(EnvError {
                line,
                message: e.message().trim().to_string(),
            })
        })?;
        let mut aps = Vec::with_capacity(raw.ap.len());
        for spanned in raw.ap {
            let ap_line = line_of(spanned.span().start);
            let raw_ap = spanned.into_inner();
            aps.push(validate(raw_ap, ap_line, &line_of)?);
        }
        Ok(RadioEnv { aps })
    }

    /// Reads and parses a file; the error names the file.
    pub fn from_file(path: &std::path::Path) -> Result<RadioEnv, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Io {
            context: format!("cannot read environment file {}", path.display()),
            source: e,
        })?;
        RadioEnv::from_toml(&text).map_err(|e| match e {
            SimError::Env(env) => SimError::EnvFile {
                path: path.display().to_string(),
                error: env,
            },
            other => other,
        })
    }

    /// The AP a connection to `ssid` reaches: the strongest of that name.
    pub fn find(&self, ssid: &[u8]) -> Option<(usize, &AccessPoint)> {
        self.aps
            .iter()
            .enumerate()
            .filter(|(_, ap)| ap.ssid.as_bytes() == ssid)
            .max_by_key(|(_, ap)| ap.rssi)
    }
}

fn validate(
    raw: RawAp,
    ap_line: Option<usize>,
    line_of: &dyn Fn(usize) -> Option<usize>,
) -> Result<AccessPoint, SimError> {
    let err = |line: Option<usize>, message: String| SimError::Env(EnvError { line, message });
    let at = |span: core::ops::Range<usize>| line_of(span.start);

    if raw.ssid.is_empty() || raw.ssid.len() > 32 {
        return Err(err(
            ap_line,
            format!("ssid must be 1 to 32 bytes, got {}", raw.ssid.len()),
        ));
    }
    let auth = AUTH_NAMES
        .iter()
        .find(|(name, _)| *name == raw.auth.get_ref())
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            let names: Vec<&str> = AUTH_NAMES.iter().map(|(n, _)| *n).collect();
            err(
                at(raw.auth.span()),
                format!(
                    "unknown auth `{}`; expected one of {}",
                    raw.auth.get_ref(),
                    names.join(", ")
                ),
            )
        })?;
    let channel = *raw.channel.get_ref();
    if !(1..=14).contains(&channel) {
        return Err(err(
            at(raw.channel.span()),
            format!("channel must be 1 to 14, got {channel}"),
        ));
    }
    let rssi = *raw.rssi.get_ref();
    if !(-100..=0).contains(&rssi) {
        return Err(err(
            at(raw.rssi.span()),
            format!("rssi must be -100 to 0 dBm, got {rssi}"),
        ));
    }
    let bssid = parse_bssid(raw.bssid.get_ref()).ok_or_else(|| {
        err(
            at(raw.bssid.span()),
            format!(
                "bssid `{}` is not six colon-separated hex bytes like 24:0a:c4:00:00:01",
                raw.bssid.get_ref()
            ),
        )
    })?;
    let (passphrase, pass_line) = match raw.passphrase {
        Some(p) => {
            let line = at(p.span());
            (p.into_inner().into_bytes(), line)
        }
        None => (Vec::new(), ap_line),
    };
    check_passphrase(auth, &passphrase).map_err(|m| err(pass_line, m))?;
    let connect_ms = match raw.connect_ms {
        Some(v) if !(0..=600_000).contains(v.get_ref()) => {
            return Err(err(
                at(v.span()),
                format!("connect_ms must be 0 to 600000, got {}", v.get_ref()),
            ));
        }
        Some(v) => v.into_inner().unsigned_abs(),
        None => DEFAULT_CONNECT_MS,
    };
    let flaky = match raw.flaky {
        Some(v) if !(0..=1000).contains(v.get_ref()) => {
            return Err(err(
                at(v.span()),
                format!("flaky must be 0 to 1000, got {}", v.get_ref()),
            ));
        }
        Some(v) => u32::try_from(v.into_inner()).unwrap_or(0),
        None => 0,
    };
    let bounded = |what: &str| err(ap_line, format!("{what} too long"));
    Ok(AccessPoint {
        ssid: Ssid::new(raw.ssid.as_bytes()).map_err(|_| bounded("ssid"))?,
        passphrase: Passphrase::from_raw(&passphrase).map_err(|_| bounded("passphrase"))?,
        auth,
        channel: u8::try_from(channel).unwrap_or(1),
        rssi: i8::try_from(rssi).unwrap_or(-100),
        bssid,
        hidden: raw.hidden,
        dhcp: raw.dhcp,
        connect_ms,
        flaky,
    })
}

/// The passphrase rules a real AP of that auth mode enforces.
fn check_passphrase(auth: AuthMode, pass: &[u8]) -> Result<(), String> {
    match auth {
        AuthMode::Open if !pass.is_empty() => {
            Err("an open network has no passphrase; remove it or choose another auth".into())
        }
        AuthMode::Open => Ok(()),
        AuthMode::Wep if ![5, 13].contains(&pass.len()) => Err(format!(
            "a WEP key is 5 or 13 characters, got {}",
            pass.len()
        )),
        AuthMode::Wep => Ok(()),
        _ if !(8..=63).contains(&pass.len()) => Err(format!(
            "a {} passphrase is 8 to 63 characters, got {}",
            auth_name(auth),
            pass.len()
        )),
        _ => Ok(()),
    }
}

fn parse_bssid(text: &str) -> Option<Bssid> {
    let mut bytes = [0u8; 6];
    let mut parts = text.split(':');
    for byte in bytes.iter_mut() {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Bssid(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_error(text: &str) -> EnvError {
        match RadioEnv::from_toml(text) {
            Err(SimError::Env(e)) => e,
            other => panic!("expected an environment error, got {other:?}"),
        }
    }

    const GOOD: &str = r#"
[[ap]]
ssid = "HomeNet"
passphrase = "correct horse"
auth = "wpa2-psk"
channel = 6
rssi = -48
bssid = "24:0a:c4:00:00:01"

[[ap]]
ssid = "Cafe"
auth = "open"
channel = 11
rssi = -70
bssid = "24:0A:C4:00:00:02"
hidden = true
dhcp = false
connect_ms = 1500
flaky = 2
"#;

    #[test]
    fn parses_every_field_and_applies_defaults() {
        let env = RadioEnv::from_toml(GOOD).expect("valid file");
        assert_eq!(env.aps.len(), 2);
        let home = &env.aps[0];
        assert_eq!(home.ssid.as_bytes(), b"HomeNet");
        assert_eq!(home.passphrase.as_bytes(), b"correct horse");
        assert_eq!(home.auth, AuthMode::Wpa2Psk);
        assert_eq!((home.channel, home.rssi), (6, -48));
        assert_eq!(home.bssid, Bssid([0x24, 0x0a, 0xc4, 0, 0, 1]));
        assert!(!home.hidden && home.dhcp);
        assert_eq!((home.connect_ms, home.flaky), (DEFAULT_CONNECT_MS, 0));
        let cafe = &env.aps[1];
        assert!(cafe.passphrase.is_empty());
        assert!(cafe.hidden && !cafe.dhcp);
        assert_eq!((cafe.connect_ms, cafe.flaky), (1500, 2));
        assert_eq!(cafe.bssid.0[1], 0x0a, "upper-case hex accepted");
    }

    #[test]
    fn unknown_key_names_its_line() {
        let text = GOOD.replace("rssi = -70", "rssi = -70\nsignal = 3");
        let wanted = text.lines().position(|l| l == "signal = 3").map(|i| i + 1);
        let e = env_error(&text);
        assert_eq!(e.line, wanted, "{e}");
        assert!(e.message.contains("signal"), "{e}");
    }

    #[test]
    fn unknown_top_level_table_is_rejected() {
        let e = env_error("[[accesspoint]]\nssid = \"x\"\n");
        assert_eq!(e.line, Some(1), "{e}");
    }

    #[test]
    fn bad_values_name_their_line() {
        let cases = [
            ("channel = 6", "channel = 15", "channel"),
            ("rssi = -48", "rssi = 5", "rssi"),
            (
                "bssid = \"24:0a:c4:00:00:01\"",
                "bssid = \"24:0a:c4:00:01\"",
                "bssid",
            ),
            ("auth = \"wpa2-psk\"", "auth = \"wpa9\"", "auth"),
            (
                "passphrase = \"correct horse\"",
                "passphrase = \"short\"",
                "8 to 63",
            ),
            ("channel = 6", "channel = \"six\"", "expected i64"),
        ];
        for (from, to, word) in cases {
            let text = GOOD.replacen(from, to, 1);
            let wanted = text.lines().position(|l| l == to).map(|i| i + 1);
            let e = env_error(&text);
            assert_eq!(e.line, wanted, "{to}: {e}");
            assert!(e.message.contains(word), "{to}: {e}");
            assert!(e.to_string().starts_with("line "), "{e}");
        }
    }

    #[test]
    fn open_network_with_passphrase_is_rejected() {
        let text = GOOD.replacen("auth = \"open\"", "auth = \"open\"\npassphrase = \"x\"", 1);
        let e = env_error(&text);
        assert!(e.message.contains("open network"), "{e}");
    }

    #[test]
    fn missing_required_key_is_rejected() {
        let e = env_error("[[ap]]\nssid = \"a\"\nauth = \"open\"\nchannel = 1\nrssi = -1\n");
        assert!(e.message.contains("bssid"), "{e}");
    }

    #[test]
    fn demo_environment_is_valid_and_has_a_hidden_and_a_joinable_ap() {
        let env = RadioEnv::demo().expect("demo env parses");
        assert!(env.aps.iter().any(|ap| ap.hidden));
        let (_, home) = env.find(b"HomeNet").expect("HomeNet present");
        assert_eq!(home.passphrase.as_bytes(), b"correct horse");
    }
}
