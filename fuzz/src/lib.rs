//! Shared helpers of the provkit fuzz targets: a fixed-seed RNG (so every crash reproduces),
//! a trivial request handler, message splitting, and in-process session builders.
//!
//! The targets sit on top of the whole stack (proto → security → protocomm, plus the client's
//! proto-ver parser) and only ever feed it bytes the way a hostile peer could.

use std::sync::OnceLock;

use provkit_protocomm::{HandlerError, RequestHandler};
use provkit_security::rand_core::SeedableRng;
use provkit_security::{
    ClientSecurityConfig, ClientSession, DeviceSecurityConfig, DeviceSession, Sec2Patch,
    generate_sec2_credentials,
};
use rand_chacha::ChaCha20Rng;

/// The RNG every target uses: deterministic, so a crashing input replays exactly.
pub fn fixed_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Separates messages inside one fuzz input (handshake sequences, console lines).
pub const MESSAGE_SEPARATOR: &[u8] = b"\xffSEP";

/// Splits `data` into messages at every [`MESSAGE_SEPARATOR`].
pub fn split_messages(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(pos) = rest
        .windows(MESSAGE_SEPARATOR.len())
        .position(|w| w == MESSAGE_SEPARATOR)
    {
        out.push(&rest[..pos]);
        rest = &rest[pos + MESSAGE_SEPARATOR.len()..];
    }
    out.push(rest);
    out
}

/// The PoP used by every sec1 target.
pub const POP: &[u8] = b"abcd1234";
/// The sec2 username/password used by every sec2 target.
pub const SEC2_USERNAME: &[u8] = b"wifiprov";
pub const SEC2_PASSWORD: &[u8] = b"abcd1234";

/// A sec2 salt/verifier pair, computed once per process (SRP-3072 is slow).
pub fn sec2_credentials() -> &'static (Vec<u8>, Vec<u8>) {
    static CREDS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    CREDS.get_or_init(|| {
        let mut rng = fixed_rng(0x5ec2);
        match generate_sec2_credentials(SEC2_USERNAME, SEC2_PASSWORD, 16, provkit_security::VerifierConvention::EspIdf, &mut rng) {
            Ok(pair) => pair,
            Err(e) => panic!("fuzz setup: generating sec2 credentials failed: {e}"),
        }
    })
}

/// The device and client configurations of scheme `selector % 4`:
/// sec0, sec1 (PoP), sec2 patch 0, sec2 patch 1.
pub fn configs(selector: u8) -> (DeviceSecurityConfig, ClientSecurityConfig) {
    match selector % 4 {
        0 => (DeviceSecurityConfig::Sec0, ClientSecurityConfig::Sec0),
        1 => (
            DeviceSecurityConfig::Sec1 {
                pop: Some(POP.to_vec()),
            },
            ClientSecurityConfig::Sec1 {
                pop: Some(POP.to_vec()),
            },
        ),
        n => {
            let patch = if n == 2 {
                Sec2Patch::Patch0
            } else {
                Sec2Patch::Patch1
            };
            let (salt, verifier) = sec2_credentials().clone();
            (
                DeviceSecurityConfig::Sec2 {
                    salt,
                    verifier,
                    patch,
                },
                ClientSecurityConfig::Sec2 {
                    username: SEC2_USERNAME.to_vec(),
                    password: SEC2_PASSWORD.to_vec(),
                    patch,
                },
            )
        }
    }
}

/// Runs a genuine handshake in-process and returns both established ends.
/// Panics only if the stack cannot complete its own handshake, which is itself a bug.
pub fn established_pair(selector: u8) -> (DeviceSession, ClientSession) {
    let (device_cfg, client_cfg) = configs(selector);
    let mut device = DeviceSession::new(device_cfg);
    let mut client = ClientSession::new(client_cfg);
    let mut rng = fixed_rng(7);
    let mut request = match client.start(&mut rng) {
        Ok(r) => r,
        Err(e) => panic!("client start failed: {e}"),
    };
    loop {
        let response = match device.handle_session(&request, &mut rng) {
            Ok(r) => r,
            Err(e) => panic!("device rejected a genuine handshake step: {e}"),
        };
        match client.handle_response(&response, &mut rng) {
            Ok(Some(next)) => request = next,
            Ok(None) => break,
            Err(e) => panic!("client rejected a genuine handshake response: {e}"),
        }
    }
    assert!(device.is_established() && client.is_established());
    (device, client)
}

/// Answers every request with `"<endpoint>:" + plaintext`; fails on an empty body.
#[derive(Default)]
pub struct EchoHandler;

impl RequestHandler for EchoHandler {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        if plaintext.is_empty() {
            return Err(HandlerError::new("empty"));
        }
        let mut out = endpoint.as_bytes().to_vec();
        out.push(b':');
        out.extend_from_slice(plaintext);
        Ok(out)
    }
}

/// The body of the `proto_*` targets: decode arbitrary bytes as `M` and check that
/// decode → encode → decode is stable and the encoding canonical.
pub fn proto_roundtrip<M: provkit_proto::Message + Default + PartialEq + core::fmt::Debug>(
    data: &[u8],
) {
    if let Ok(first) = M::decode(data) {
        let bytes = first.encode_to_vec();
        let second = match M::decode(bytes.as_slice()) {
            Ok(m) => m,
            Err(e) => panic!("re-decoding our own encoding failed: {e}"),
        };
        assert_eq!(first, second);
        assert_eq!(bytes, second.encode_to_vec(), "encoding is not canonical");
    }
}

/// The handshake driver shared by the `handshake_sec*` targets.
pub mod handshake {
    use super::*;

    /// Input layout: byte 0 = flags (bit 0: first play a genuine client Command0, so the
    /// fuzzer's bytes reach the later steps), the rest = messages split at
    /// [`MESSAGE_SEPARATOR`].
    pub fn run(selector: u8, data: &[u8]) {
        let (flags, rest) = match data.split_first() {
            Some((f, r)) => (*f, r),
            None => (0, data),
        };
        let (device_cfg, client_cfg) = configs(selector);
        let mut device = DeviceSession::new(device_cfg);
        let mut rng = fixed_rng(0xfeed);
        if flags & 1 == 1 {
            let mut client = ClientSession::new(client_cfg);
            let Ok(cmd0) = client.start(&mut rng) else {
                panic!("client start failed");
            };
            if device.handle_session(&cmd0, &mut rng).is_err() {
                panic!("device rejected a genuine Command0");
            }
        }
        for message in split_messages(rest) {
            let _ = device.handle_session(message, &mut rng);
            // The data phase must refuse (not panic) until the handshake completed.
            if !device.is_established() {
                assert!(device.decrypt(message).is_err() || selector == 0);
            }
        }
        // Whatever happened, a genuine client can still complete a session: Command0 restarts.
        let (_, client_cfg) = configs(selector);
        let mut client = ClientSession::new(client_cfg);
        let Ok(mut request) = client.start(&mut rng) else {
            panic!("client start failed");
        };
        loop {
            let response = match device.handle_session(&request, &mut rng) {
                Ok(r) => r,
                Err(e) => panic!("device refused a genuine handshake after fuzz input: {e}"),
            };
            match client.handle_response(&response, &mut rng) {
                Ok(Some(next)) => request = next,
                Ok(None) => break,
                Err(e) => panic!("genuine client rejected the device after fuzz input: {e}"),
            }
        }
        assert!(device.is_established());
    }
}
