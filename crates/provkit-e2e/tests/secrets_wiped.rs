//! Secrets are wiped when dropped, shown by a test allocator: every heap block freed while a
//! provisioning run and its teardown happen is scanned for the secrets of that run — the Wi-Fi
//! passphrase (SetConfig), the PoP / password, the X25519 private keys and shared secret, the
//! SRP private values `a`, `b`, `x`, the premaster secret `S`, the session key `K` and the AES
//! key. A block that still holds one of them when it is freed is a leak.
//!
//! Client and device (`provkit_manager::Device`: protocomm, security, wifi handlers, manager)
//! run in one process with the recorded randomness of `tests/vectors`, so every derived secret
//! is known in advance. Each secret is searched as stored big-endian and as little-endian
//! words (how a bignum keeps its limbs), in full and as its first and last 16 bytes.
//!
//! What this cannot see, said plainly: stack copies and registers; values in Montgomery form
//! or otherwise transformed (they do not match the bytes searched for); memory that is still
//! allocated when the test ends (there is none of ours: everything is dropped first). The
//! test harness's own copies (the simulated access point knows its passphrase; the mock
//! credential store stands in for flash) are dropped after the scan ends.
//!
//! One test per binary on purpose: the allocator is global.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use provkit_client::{
    Client, PollPolicy, Scheme, Sec2Patch, Secrets, WifiCredentials, Zeroize, Zeroizing,
};
use provkit_e2e::device_path::{DeviceLink, ManagedDevice};
use provkit_e2e::{DetRng, DeviceSetup, SimAp};
use provkit_protocomm::{ClientId, TransportKind};
use provkit_security::DeviceSecurityConfig;
use provkit_testkit::{hex_of, load_json};

const PASSPHRASE: &[u8] = b"wiped-passphrase-7Q2x";
const MAX_NEEDLES: usize = 64;
const MAX_NEEDLE_LEN: usize = 400;

/// A secret to look for: its bytes and a name for the report.
#[derive(Clone, Copy)]
struct Needle {
    bytes: [u8; MAX_NEEDLE_LEN],
    len: usize,
    name: &'static str,
    hits: u32,
}

const EMPTY: Needle = Needle {
    bytes: [0; MAX_NEEDLE_LEN],
    len: 0,
    name: "",
    hits: 0,
};

/// Fixed storage (no heap: the needles must not themselves be freed while scanning).
static NEEDLES: Mutex<([Needle; MAX_NEEDLES], usize)> = Mutex::new(([EMPTY; MAX_NEEDLES], 0));
static ARMED: AtomicBool = AtomicBool::new(false);

struct ScanningAllocator;

// SAFETY: every call is forwarded to the system allocator unchanged; `dealloc` only reads the
// block it is about to free, which is still valid and `layout.size()` bytes long.
unsafe impl GlobalAlloc for ScanningAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) && !ptr.is_null() {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until the call below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            scan(block);
        }
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: ScanningAllocator = ScanningAllocator;

std::thread_local! {
    /// Set while a hit is being reported, so the report's own allocations are not scanned.
    static REPORTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn scan(block: &[u8]) {
    if REPORTING.with(std::cell::Cell::get) {
        return;
    }
    let mut found = None;
    {
        // try_lock: a panic elsewhere must not deadlock the allocator.
        let Ok(mut guard) = NEEDLES.try_lock() else {
            return;
        };
        let (needles, count) = &mut *guard;
        for needle in needles.iter_mut().take(*count) {
            let pattern = &needle.bytes[..needle.len];
            if block.len() >= pattern.len() && block.windows(pattern.len()).any(|w| w == pattern) {
                needle.hits += 1;
                found = Some(needle.name);
            }
        }
    }
    // `PROVKIT_LEAK_TRACE=1`: where each leaking block is freed (to find the culprit).
    if let Some(name) = found
        && std::env::var_os("PROVKIT_LEAK_TRACE").is_some()
    {
        REPORTING.with(|r| r.set(true));
        eprintln!(
            "freed with {name} ({} bytes):\n{}",
            block.len(),
            std::backtrace::Backtrace::force_capture()
        );
        REPORTING.with(|r| r.set(false));
    }
}

/// Registers `secret` (at least 8 bytes) under `name`: in full and its first and last 16
/// bytes, each as given (big-endian) and byte-reversed (little-endian limbs).
fn watch(name: &'static str, secret: &[u8]) {
    assert!(secret.len() >= 8, "{name}: too short to search for");
    // The test's own copies are wiped too, or a later allocation could reuse their memory
    // and be blamed for them.
    let mut forms: Vec<Zeroizing<Vec<u8>>> = vec![Zeroizing::new(secret.to_vec())];
    if secret.len() > 16 {
        forms.push(Zeroizing::new(secret[..16].to_vec()));
        forms.push(Zeroizing::new(secret[secret.len() - 16..].to_vec()));
    }
    let reversed: Vec<Zeroizing<Vec<u8>>> = forms
        .iter()
        .map(|f| Zeroizing::new(f.iter().rev().copied().collect()))
        .collect();
    forms.extend(reversed);
    let mut guard = NEEDLES.lock().expect("needles");
    let (needles, count) = &mut *guard;
    for form in forms.iter() {
        assert!(form.len() <= MAX_NEEDLE_LEN && *count < MAX_NEEDLES);
        let slot = &mut needles[*count];
        slot.bytes[..form.len()].copy_from_slice(form);
        slot.len = form.len();
        slot.name = name;
        slot.hits = 0;
        *count += 1;
    }
    // `forms` (and `reversed`) are freed here, before arming: not counted.
}

/// The secrets found in freed blocks, by name (empty = nothing leaked).
fn leaks() -> Vec<(&'static str, u32)> {
    let guard = NEEDLES.lock().expect("needles");
    let (needles, count) = &*guard;
    let mut out: Vec<(&'static str, u32)> = Vec::new();
    for needle in needles.iter().take(*count).filter(|n| n.hits > 0) {
        match out.iter_mut().find(|(name, _)| *name == needle.name) {
            Some((_, hits)) => *hits += needle.hits,
            None => out.push((needle.name, needle.hits)),
        }
    }
    out
}

fn reset() {
    let mut guard = NEEDLES.lock().expect("needles");
    guard.1 = 0;
}

/// A secret of the vectors, in a buffer that is wiped when dropped.
fn secret(value: &serde_json::Value) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(hex_of(value))
}

/// A scripted RNG replaying `chunks`; the plain copies `with_script` needs are wiped at once
/// (the RNG wipes its own when dropped).
fn scripted(seed: u64, chunks: &[Zeroizing<Vec<u8>>]) -> DetRng {
    let mut plain: Vec<Vec<u8>> = chunks.iter().map(|c| c.to_vec()).collect();
    let rng = DetRng::seeded(seed).with_script(&plain);
    plain.iter_mut().for_each(Zeroize::zeroize);
    rng
}

/// One whole provisioning run: handshake with recorded randomness, SetConfig with
/// [`PASSPHRASE`], ApplyConfig, status until connected; then client and device are dropped
/// while the scan is armed, and the harness after it is disarmed.
fn provision_and_drop(
    security: DeviceSecurityConfig,
    device_randomness: Vec<Zeroizing<Vec<u8>>>,
    secrets: Zeroizing<Secrets>,
    client_randomness: Vec<Zeroizing<Vec<u8>>>,
    policy: Scheme,
) {
    let mut setup = DeviceSetup::new(security, 1);
    setup.rng = scripted(2, &device_randomness);
    setup.aps = vec![SimAp::wpa2(
        "vault",
        std::str::from_utf8(PASSPHRASE).expect("ascii"),
        6,
        -40,
    )];
    let device = ManagedDevice::start(setup);
    let client_id = ClientId::new(TransportKind::Ble, 1);
    let mut client_rng = scripted(3, &client_randomness);
    drop(device_randomness);
    drop(client_randomness);

    ARMED.store(true, Ordering::SeqCst);
    {
        let mut client = Client::new(DeviceLink::new(&device, client_id));
        let scheme = client
            .connect(&secrets, None, &mut client_rng)
            .expect("session");
        assert_eq!(scheme, policy);
        let credentials = WifiCredentials::new(&b"vault"[..], PASSPHRASE);
        let info = client
            .provision(&credentials, PollPolicy::default(), || {
                device.borrow_mut().advance(1_000);
            })
            .expect("provisioned");
        assert_eq!(info.ssid, b"vault");
        drop(credentials);
        drop(client);
        drop(secrets);
    }
    let stored = device.borrow().stored().len();
    // The device goes down in place (moving it out of its `Rc` first would leave a copy of
    // everything it holds inline in the freed `Rc` block: moves are not wiped). This drops
    // the harness with it: the simulated AP and the mock store hold their passphrases as the
    // hal's self-wiping `Passphrase`, like the device's own copies.
    drop(device);
    ARMED.store(false, Ordering::SeqCst);
    assert_eq!(stored, 1, "the confirmed credentials were committed");
    // The test's scripted client RNG replayed the recorded secrets: harness, dropped after.
    drop(client_rng);
}

#[test]
fn no_secret_survives_in_freed_memory() {
    // --- security 1, vector `pop_abcd1234` ---
    let sec1 = load_json("sec1.json");
    let case = &sec1["cases"][0];
    let inputs = &case["inputs"];
    let derived = &case["derived"];
    let pop = inputs["pop"].as_str().expect("pop").as_bytes().to_vec();
    watch("passphrase", PASSPHRASE);
    watch("sec1 PoP", &pop);
    watch(
        "sec1 device private key",
        &secret(&inputs["device_private_key"]),
    );
    watch(
        "sec1 client private key",
        &secret(&inputs["client_private_key"]),
    );
    watch(
        "sec1 shared secret",
        &secret(&derived["x25519_shared_secret"]),
    );
    watch("sec1 AES key", &secret(&derived["aes256_ctr_key"]));
    let device_randomness = vec![
        secret(&inputs["device_private_key"]),
        secret(&inputs["device_random"]),
    ];
    let client_randomness = vec![secret(&inputs["client_private_key"])];
    let secrets = Zeroizing::new(Secrets {
        pop: Some(pop.clone()),
        ..Secrets::default()
    });
    let security = DeviceSecurityConfig::Sec1 { pop: Some(pop) };
    provision_and_drop(
        security,
        device_randomness,
        secrets,
        client_randomness,
        Scheme::Sec1,
    );
    let sec1_leaks = leaks();
    reset();

    // --- security 2 patch 1, vector `basic` ---
    let sec2 = load_json("sec2_patch1.json");
    let case = &sec2["cases"][0];
    let inputs = &case["inputs"];
    let derived = &case["derived"];
    let username = inputs["username"]
        .as_str()
        .expect("user")
        .as_bytes()
        .to_vec();
    let password = inputs["password"].as_str().expect("pw").as_bytes().to_vec();
    watch("passphrase", PASSPHRASE);
    watch("sec2 password", &password);
    watch("sec2 a", &secret(&inputs["a"]));
    watch("sec2 b", &secret(&inputs["b"]));
    watch("sec2 x", &secret(&derived["x"]));
    watch("sec2 S", &secret(&derived["S"]));
    watch("sec2 K", &secret(&derived["K"]));
    watch("sec2 AES key", &secret(&derived["aes256_gcm_key"]));
    let device_randomness = vec![secret(&inputs["b"]), secret(&inputs["device_session_id"])];
    let client_randomness = vec![secret(&inputs["client_urandom_32"])];
    let secrets = Zeroizing::new(Secrets {
        username: Some(username),
        password: Some(password),
        ..Secrets::default()
    });
    let security = DeviceSecurityConfig::Sec2 {
        salt: hex_of(&inputs["salt"]),
        verifier: hex_of(&inputs["verifier"]),
        patch: Sec2Patch::Patch1,
    }
    .prepare()
    .expect("prepared");
    provision_and_drop(
        security,
        device_randomness,
        secrets,
        client_randomness,
        Scheme::Sec2(Sec2Patch::Patch1),
    );
    let sec2_leaks = leaks();

    assert!(
        sec1_leaks.is_empty() && sec2_leaks.is_empty(),
        "secrets found in freed heap blocks (name, blocks): sec1 {sec1_leaks:?}, sec2 {sec2_leaks:?}"
    );
}
