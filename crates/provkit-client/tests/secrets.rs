//! Secrets hygiene: `Debug` never prints a PoP, password or passphrase, and the secret bytes
//! are wiped before their heap blocks are freed.
//!
//! The wipe test installs a global allocator that hands out zero-filled blocks (so every byte
//! of every block is initialised and may be read) and, on every free, looks for a marker
//! byte string. A secret containing the marker that is freed without being wiped is counted.
//! A control case (a plain `Vec` holding the marker) proves the detector sees such frees.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::TestRng;
use provkit_client::{
    Client, ClientSecurityConfig, Scheme, Secrets, Transport, TransportError, WifiCredentials,
    Zeroize, Zeroizing, security_config, wifi,
};
use provkit_proto::{Message, RespSetConfig, WiFiConfigPayload, wi_fi_config_payload};
use provkit_security::{DeviceSecurityConfig, DeviceSession};

/// Unlikely to occur by chance in any other heap block.
const MARKER: &[u8] = b"\x01pk-h15-secret-marker\x02";

/// Frees of blocks that still contained [`MARKER`].
static UNWIPED_FREES: AtomicUsize = AtomicUsize::new(0);

struct SnoopingAllocator;

// SAFETY: delegates to `System`; blocks are zero-filled on allocation so `dealloc` reads only
// initialised bytes of a block the caller still owns until `System.dealloc` runs.
unsafe impl GlobalAlloc for SnoopingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes, all initialised (zeroed
        // at allocation, written since).
        let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
        if block.windows(MARKER.len()).any(|w| w == MARKER) {
            UNWIPED_FREES.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` keeps the default (alloc + copy + dealloc), so grown blocks are zero-filled
    // too and the old block is inspected when freed.
}

#[global_allocator]
static ALLOCATOR: SnoopingAllocator = SnoopingAllocator;

/// Tests in this binary share the counter; run the counting ones one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f` and returns how many unwiped marker blocks it freed.
fn unwiped_frees_during(f: impl FnOnce()) -> usize {
    let _guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = UNWIPED_FREES.load(Ordering::SeqCst);
    f();
    UNWIPED_FREES.load(Ordering::SeqCst) - before
}

fn secret() -> Vec<u8> {
    let mut s = b"pass-".to_vec();
    s.extend_from_slice(MARKER);
    s
}

#[test]
fn detector_sees_an_unwiped_secret() {
    assert_eq!(unwiped_frees_during(|| drop(secret())), 1);
    let mut wiped = secret();
    assert_eq!(unwiped_frees_during(|| wiped.zeroize()), 0);
}

#[test]
fn wifi_credentials_wipe_the_passphrase_on_drop() {
    let leaked = unwiped_frees_during(|| {
        let credentials = WifiCredentials::new("home", secret());
        let clone = credentials.clone();
        drop(credentials);
        drop(clone);
    });
    assert_eq!(leaked, 0);
}

#[test]
fn set_config_request_leaves_only_the_returned_copy() {
    let leaked = unwiped_frees_during(|| {
        let credentials = WifiCredentials::new("home", secret());
        let mut request = wifi::set_config_request(&credentials).expect("valid");
        assert!(request.windows(MARKER.len()).any(|w| w == MARKER));
        request.zeroize();
    });
    assert_eq!(leaked, 0, "the intermediate protobuf message was not wiped");
}

#[test]
fn secrets_are_wiped_when_held_in_zeroizing_and_by_security_config() {
    let leaked = unwiped_frees_during(|| {
        let secrets = Zeroizing::new(Secrets {
            pop: Some(secret()),
            username: Some(b"wifiprov".to_vec()),
            password: Some(secret()),
        });
        // The copies made for the handshake are wiped by provkit-security's Drop.
        let sec1 = security_config(Scheme::Sec1, &secrets, true).expect("pop set");
        assert!(matches!(&sec1, ClientSecurityConfig::Sec1 { pop: Some(_) }));
        drop(sec1);
        drop(secrets);
    });
    assert_eq!(leaked, 0);

    let mut secrets = Secrets {
        pop: Some(secret()),
        ..Secrets::default()
    };
    assert_eq!(unwiped_frees_during(|| secrets.zeroize()), 0);
    assert_eq!(secrets.pop, None);
}

/// Sec0 device that answers SetConfig with success without copying the request.
struct Sec0Device {
    session: DeviceSession,
    saw_passphrase: bool,
}

impl Transport for Sec0Device {
    fn request(&mut self, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, TransportError> {
        match endpoint {
            "prov-session" => self
                .session
                .handle_session(body, &mut TestRng(3))
                .map_err(|_| TransportError::NoResponse),
            "prov-config" => {
                // Sec0: the body is the plaintext request.
                self.saw_passphrase = body.windows(MARKER.len()).any(|w| w == MARKER);
                Ok(WiFiConfigPayload {
                    msg: 3,
                    payload: Some(wi_fi_config_payload::Payload::RespSetConfig(
                        RespSetConfig { status: 0 },
                    )),
                }
                .encode_to_vec())
            }
            _ => Err(TransportError::Status(404)),
        }
    }
}

#[test]
fn client_set_config_wipes_its_plaintext_after_sending() {
    let mut device = Sec0Device {
        session: DeviceSession::new(DeviceSecurityConfig::Sec0),
        saw_passphrase: false,
    };
    let mut client = Client::new(&mut device);
    client
        .establish_session(ClientSecurityConfig::Sec0, &mut TestRng(9))
        .expect("sec0 handshake");
    let credentials = WifiCredentials::new("home", secret());
    let leaked = unwiped_frees_during(|| {
        client.set_config(&credentials).expect("device accepts");
    });
    drop(client);
    assert!(
        device.saw_passphrase,
        "the request really carried the secret"
    );
    assert_eq!(leaked, 0);
}

#[test]
fn debug_output_hides_secrets() {
    let credentials = WifiCredentials::new("home-net", "hunter2-passphrase");
    let shown = format!("{credentials:?} {credentials:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("home-net"), "{shown}");
    assert!(shown.contains("<redacted 18 bytes>"), "{shown}");

    let secrets = Secrets {
        pop: Some(b"pop-abcd1234".to_vec()),
        username: Some(b"wifiprov".to_vec()),
        password: Some(b"sec2-password".to_vec()),
    };
    let shown = format!("{secrets:?} {secrets:#?}");
    for secret in ["pop-abcd1234", "sec2-password"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("wifiprov"), "{shown}");
    assert!(shown.contains("<redacted 12 bytes>"), "{shown}");
    assert!(shown.contains("<redacted 13 bytes>"), "{shown}");
    // Which secrets are missing stays visible: that is what a user debugging needs.
    assert!(format!("{:?}", Secrets::default()).contains("pop: None"));
}
