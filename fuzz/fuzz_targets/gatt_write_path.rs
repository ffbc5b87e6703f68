//! The whole BLE GATT write path of a provisioning device — `GattTable` (write, prepare,
//! execute) → protocomm → the manager's dispatch → the Wi-Fi handlers — fed raw bytes from a
//! stranger's connection while an owner holds a verified sec1 session on another (sec1: its
//! CTR stream has no integrity, so it is the session a stray record would break; and one
//! X25519 handshake per input instead of SRP keeps the target fast).
//! The input is split at `\xffSEP`; each piece is one ATT operation: byte 0 picks the kind
//! (write, prepare write, execute, cancel), byte 1 the characteristic, bytes 2..4 a prepare
//! offset, the rest is the value. Invariants: no panic; every refusal is an ATT error; reads
//! stay within the value limit; and afterwards the owner's session still answers a GetStatus
//! that decrypts to a GetStatus response: nothing a second connection writes ends, replaces
//! or desynchronises it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use provkit_fuzz::{POP, fixed_rng, split_messages};
use provkit_hal::Instant;
use provkit_manager::{BleWrite, Device, EspConfig, EspManager, NoHooks, ServiceInfo};
use provkit_protocomm::ble::{GattTable, NIMBLE_MAX_VALUE_LEN, Uuid128};
use provkit_protocomm::{DeviceSecurityConfig, VersionInfo};
use provkit_security::{ClientSecurityConfig, ClientSession};

const OWNER: u16 = 1;
const STRANGER: u16 = 2;

fuzz_target!(|data: &[u8]| {
    let security = DeviceSecurityConfig::Sec1 {
        pop: Some(POP.to_vec()),
    };
    let Ok(manager) = EspManager::new(EspConfig::default(), Vec::new()) else {
        return;
    };
    let mut device = Device::new(manager, VersionInfo::default());
    let service = ServiceInfo {
        name: b"PROV_FUZZ".to_vec(),
        key: Vec::new(),
    };
    if device.start(security, service, Instant(0)).is_err() {
        return;
    }
    let Some(protocomm) = device.protocomm() else {
        return;
    };
    let mut gatt = GattTable::new(
        Uuid128::EXAMPLE_SERVICE,
        protocomm.endpoints(),
        NIMBLE_MAX_VALUE_LEN,
    );
    let index = |name: &str| {
        gatt.characteristics()
            .iter()
            .position(|c| c.endpoint == name)
            .expect("standard endpoint")
    };
    let (session_ep, config_ep) = (index("prov-session"), index("prov-config"));
    let characteristics = gatt.characteristics().len();
    let mut rng = fixed_rng(11);

    // The owner: a genuine sec1 handshake on connection 1.
    let mut owner = ClientSession::new(ClientSecurityConfig::Sec1 {
        pop: Some(POP.to_vec()),
    });
    device.ble_connect(&mut gatt, OWNER, Instant(0)).expect("owner connects");
    let mut request = owner.start(&mut rng).expect("command0");
    loop {
        let write = BleWrite { connection: OWNER, index: session_ep, data: &request };
        device
            .ble_write(&mut gatt, write, &mut NoHooks, &mut rng, Instant(0))
            .expect("genuine handshake step");
        let response = gatt.read_value(OWNER, session_ep).expect("own value").to_vec();
        match owner.handle_response(&response, &mut rng).expect("accepted") {
            Some(next) => request = next,
            None => break,
        }
    }

    // The stranger's raw operations, 100 ms apart.
    let _ = device.ble_connect(&mut gatt, STRANGER, Instant(0));
    for (step, op) in (1u64..).zip(split_messages(data)) {
        let now = Instant(step * 100);
        let (kind, target, offset, value) = match op {
            [kind, target, o1, o2, value @ ..] => {
                (*kind, usize::from(*target) % characteristics, u16::from_le_bytes([*o1, *o2]), value)
            }
            _ => continue,
        };
        match kind % 4 {
            0 => {
                let write = BleWrite { connection: STRANGER, index: target, data: value };
                let _ = device.ble_write(&mut gatt, write, &mut NoHooks, &mut rng, now);
            }
            1 => {
                let _ = gatt.prepare_write(STRANGER, target, offset, value);
            }
            2 => {
                let _ = device.ble_execute_write(&mut gatt, STRANGER, true, &mut NoHooks, &mut rng, now);
            }
            _ => {
                let _ = device.ble_execute_write(&mut gatt, STRANGER, false, &mut NoHooks, &mut rng, now);
            }
        }
        if let Ok(value) = gatt.read_value(STRANGER, target) {
            assert!(value.len() <= NIMBLE_MAX_VALUE_LEN);
        }
    }

    // The owner is untouched: its GetStatus is answered and decrypts.
    let get_status = provkit_wifi::config::ConfigRequest::GetStatus.encode();
    let ct = owner.encrypt(&get_status).expect("encrypt");
    let write = BleWrite { connection: OWNER, index: config_ep, data: &ct };
    device
        .ble_write(&mut gatt, write, &mut NoHooks, &mut rng, Instant(60_000))
        .expect("the owner is still answered");
    let answer = gatt.read_value(OWNER, config_ep).expect("own value").to_vec();
    let plain = owner.decrypt(&answer).expect("decrypts");
    let status = provkit_wifi::config::ConfigResponse::decode(&plain);
    assert!(
        matches!(status, Ok(provkit_wifi::config::ConfigResponse::GetStatus { .. })),
        "the owner's keystream is in step: {status:?}"
    );
});
