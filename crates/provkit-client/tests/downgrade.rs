//! No silent downgrade: a device (or anyone answering in its place) that advertises weaker
//! security than the client accepts is refused before any handshake message is sent, and the
//! error names what it offered.

mod common;

use common::TestRng;
use provkit_client::{
    Client, ClientError, Scheme, Secrets, SecurityPolicy, Transport, TransportError,
};
use provkit_security::Sec2Patch;

/// Answers `proto-ver` with a fixed body and records every other endpoint asked for (and
/// answers it with nothing: these tests must never get that far unless allowed).
struct Advertiser {
    proto_ver: String,
    asked: Vec<String>,
}

impl Advertiser {
    fn new(sec_ver: u8, patch: u8, caps: &str) -> Self {
        Self {
            proto_ver: format!(
                r#"{{"prov":{{"ver":"v1.1","sec_ver":{sec_ver},"sec_patch_ver":{patch},"cap":[{caps}]}}}}"#
            ),
            asked: Vec::new(),
        }
    }
}

impl Transport for Advertiser {
    fn request(&mut self, endpoint: &str, _body: &[u8]) -> Result<Vec<u8>, TransportError> {
        if endpoint == "proto-ver" {
            return Ok(self.proto_ver.clone().into_bytes());
        }
        self.asked.push(endpoint.to_string());
        Err(TransportError::NoResponse)
    }
}

fn sec2_secrets() -> Secrets {
    Secrets {
        username: Some(b"wifiprov".to_vec()),
        password: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    }
}

fn pop_secrets() -> Secrets {
    Secrets {
        pop: Some(b"abcd1234".to_vec()),
        ..Secrets::default()
    }
}

/// Connects with `secrets` (and `policy`) to a device advertising `sec_ver` / `patch`;
/// returns the outcome and whether a handshake message went out.
fn try_connect(
    secrets: &Secrets,
    policy: Option<SecurityPolicy>,
    sec_ver: u8,
    patch: u8,
) -> (Result<Scheme, ClientError>, bool) {
    let caps = if sec_ver == 0 {
        r#""no_sec","wifi_scan""#
    } else {
        r#""wifi_scan""#
    };
    let mut device = Advertiser::new(sec_ver, patch, caps);
    let mut client = Client::new(&mut device);
    if let Some(policy) = policy {
        client.set_security_policy(policy);
    }
    let result = client.connect(secrets, None, &mut TestRng(5));
    drop(client);
    (result, device.asked.iter().any(|e| e == "prov-session"))
}

#[test]
fn sec2_credentials_refuse_sec0_and_sec1_by_default() {
    for offered in [0, 1] {
        let (result, handshake_sent) = try_connect(&sec2_secrets(), None, offered, 0);
        assert_eq!(
            result,
            Err(ClientError::SecurityTooWeak {
                offered,
                minimum: 2
            })
        );
        assert!(!handshake_sent, "refused before any handshake message");
        let text = result.unwrap_err().to_string();
        assert!(
            text.contains(&format!("device offers security {offered}")),
            "the error names the offer: {text}"
        );
    }
}

#[test]
fn a_pop_refuses_sec0_by_default_but_accepts_sec1_and_sec2() {
    let (result, sent) = try_connect(&pop_secrets(), None, 0, 0);
    assert_eq!(
        result,
        Err(ClientError::SecurityTooWeak {
            offered: 0,
            minimum: 1
        })
    );
    assert!(!sent);
    // sec1 is what a PoP is for: the handshake goes out (and this stub does not answer it).
    let (result, sent) = try_connect(&pop_secrets(), None, 1, 0);
    assert_eq!(
        result,
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(sent);
}

#[test]
fn no_secrets_accept_sec0() {
    let (result, sent) = try_connect(&Secrets::default(), None, 0, 0);
    // The sec0 "handshake" is sent (and this stub does not answer it): no floor applied.
    assert_eq!(
        result,
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(sent);
}

#[test]
fn an_explicit_minimum_overrides_the_implied_one_both_ways() {
    let lowered = SecurityPolicy {
        min_security: Some(0),
        ..SecurityPolicy::default()
    };
    let (result, sent) = try_connect(&sec2_secrets(), Some(lowered), 0, 0);
    assert_eq!(
        result,
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(
        sent,
        "a lowered minimum lets the downgrade through, on request"
    );
    let raised = SecurityPolicy {
        min_security: Some(2),
        ..SecurityPolicy::default()
    };
    let (result, sent) = try_connect(&Secrets::default(), Some(raised), 1, 0);
    assert_eq!(
        result,
        Err(ClientError::SecurityTooWeak {
            offered: 1,
            minimum: 2
        })
    );
    assert!(!sent);
}

#[test]
fn sec2_patch0_only_when_allowed() {
    let (result, sent) = try_connect(&sec2_secrets(), None, 2, 0);
    assert_eq!(result, Err(ClientError::Sec2Patch0Refused));
    assert!(!sent);
    assert!(result.unwrap_err().to_string().contains("patch 0"));
    let allow = SecurityPolicy {
        allow_sec2_patch0: true,
        ..SecurityPolicy::default()
    };
    let (result, sent) = try_connect(&sec2_secrets(), Some(allow), 2, 0);
    assert_eq!(
        result,
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(sent);
    let (result, sent) = try_connect(&sec2_secrets(), None, 2, 1);
    assert_eq!(
        result,
        Err(ClientError::Transport(TransportError::NoResponse))
    );
    assert!(sent, "patch 1 needs no permission");
}

#[test]
fn the_floor_follows_the_secrets() {
    let policy = SecurityPolicy::default();
    assert_eq!(policy.floor(&sec2_secrets()), 2);
    assert_eq!(policy.floor(&pop_secrets()), 1);
    assert_eq!(policy.floor(&Secrets::default()), 0);
    assert_eq!(
        policy.check(Scheme::Sec2(Sec2Patch::Patch1), &sec2_secrets()),
        Ok(())
    );
}
