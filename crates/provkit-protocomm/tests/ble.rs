//! BLE GATT framing (spec §5.2): UUID derivation, write-then-read, long writes/reads, limits,
//! error codes, advertising payloads; proptest of the long-write reassembly.

mod common;

use common::{EchoHandler, SEC0_COMMAND, SEC0_RESPONSE, TestRng};
use proptest::prelude::*;
use provkit_hal::Instant;
use provkit_protocomm::ble::{AttErrorCode, GattTable, NIMBLE_MAX_VALUE_LEN, Uuid128};
use provkit_protocomm::{DeviceSecurityConfig, Protocomm, ProtocommError, VersionInfo};

/// The time of every request in these tests (nothing here depends on it).
const T0: Instant = Instant::from_millis(0);

fn device() -> (Protocomm, GattTable) {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    pc.add_custom_endpoint("custom-data")
        .expect("custom endpoint");
    let table = GattTable::new(Uuid128::EXAMPLE_SERVICE, pc.endpoints(), 64);
    (pc, table)
}

fn index(table: &GattTable, name: &str) -> usize {
    table
        .characteristics()
        .iter()
        .position(|c| c.endpoint == name)
        .expect("endpoint present")
}

#[test]
fn characteristic_uuids_substitute_the_short_id() {
    let (_, table) = device();
    let uuids: Vec<String> = table
        .characteristics()
        .iter()
        .map(|c| c.uuid.to_string())
        .collect();
    let expected: Vec<String> = ["ff4f", "ff50", "ff51", "ff52", "ff53", "ff54"]
        .iter()
        .map(|id| format!("021a{id}-0382-4aea-bff4-6b3f1c5adfb4"))
        .collect();
    assert_eq!(uuids, expected);
    assert_eq!(
        table.index_of(Uuid128::EXAMPLE_SERVICE.with_short_id(0xff51)),
        Some(2)
    );
    // The scheme default in ESP-IDF's LSB-first array form.
    let le = [
        0x07, 0xed, 0x9b, 0x2d, 0x0f, 0x06, 0x7c, 0x87, 0x9b, 0x43, 0x43, 0x6b, 0x4d, 0x24, 0x75,
        0x17,
    ];
    assert_eq!(Uuid128::SCHEME_DEFAULT_SERVICE.to_le_bytes(), le);
    assert_eq!(Uuid128::from_le_bytes(le), Uuid128::SCHEME_DEFAULT_SERVICE);
    // In the LE array the id lands at bytes 12..14, as the spec says.
    let le_char = Uuid128::SCHEME_DEFAULT_SERVICE
        .with_short_id(0xff53)
        .to_le_bytes();
    assert_eq!((le_char[12], le_char[13]), (0x53, 0xff));
}

#[test]
fn uuid_text_parses_and_rejects_garbage() {
    assert_eq!(
        Uuid128::parse("021A9004-0382-4aea-bff4-6b3f1c5adfb4"),
        Ok(Uuid128::EXAMPLE_SERVICE)
    );
    for bad in [
        "",
        "021a9004-0382-4aea-bff4-6b3f1c5adfb",
        "021a9004x0382-4aea-bff4-6b3f1c5adfb4",
        "g21a9004-0382-4aea-bff4-6b3f1c5adfb4",
        "021a9004-0382-4aea-bff4-6b3f1c5adfbé",
    ] {
        assert_eq!(
            Uuid128::parse(bad),
            Err(ProtocommError::InvalidUuid),
            "{bad:?}"
        );
    }
}

#[test]
fn write_then_read_returns_the_endpoint_response() {
    let (mut pc, mut table) = device();
    let mut rng = TestRng::new(1);
    let mut h = EchoHandler::default();
    let session = index(&table, "prov-session");
    assert_eq!(
        table.read(7, session, 0, 185),
        Ok(&[][..]),
        "read before write is empty"
    );
    table.on_connect(7, &mut pc, T0).expect("session opens");
    table
        .write(7, session, &SEC0_COMMAND, &mut pc, &mut h, &mut rng, T0)
        .expect("write ok");
    assert_eq!(table.read(7, session, 0, 185), Ok(&SEC0_RESPONSE[..]));
    let user_desc = table
        .read_user_description(session, 0, 23)
        .expect("descriptor");
    assert_eq!(user_desc, b"prov-session");
}

#[test]
fn long_reads_come_in_mtu_minus_one_chunks() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut table = GattTable::new(
        Uuid128::EXAMPLE_SERVICE,
        pc.endpoints(),
        NIMBLE_MAX_VALUE_LEN,
    );
    let mut rng = TestRng::new(2);
    let mut h = EchoHandler::default();
    let ver = index(&table, "proto-ver");
    table
        .write(1, ver, b"---", &mut pc, &mut h, &mut rng, T0)
        .expect("write");
    let mut got = Vec::new();
    loop {
        let chunk = table.read(1, ver, got.len() as u16, 23).expect("read blob");
        assert!(chunk.len() <= 22);
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(chunk);
    }
    assert_eq!(got, pc.proto_ver_body());
    let len = got.len() as u16;
    assert_eq!(
        table.read(1, ver, len + 1, 23),
        Err(AttErrorCode::InvalidOffset)
    );
    assert_eq!(table.read(1, 99, 0, 23), Err(AttErrorCode::InvalidHandle));
}

#[test]
fn prepare_execute_reassembles_and_enforces_limits() {
    let (mut pc, mut table) = device();
    let mut rng = TestRng::new(3);
    let mut h = EchoHandler::default();
    let session = index(&table, "prov-session");
    let custom = index(&table, "custom-data");
    table
        .prepare_write(1, session, 0, &SEC0_COMMAND[..2])
        .expect("part 1");
    table
        .prepare_write(1, session, 2, &SEC0_COMMAND[2..])
        .expect("part 2");
    table
        .execute_write(1, true, &mut pc, &mut h, &mut rng, T0)
        .expect("execute");
    assert_eq!(table.read(1, session, 0, 23), Ok(&SEC0_RESPONSE[..]));

    // Gaps and overflow of the 64-byte limit are refused with the ATT codes of the spec.
    assert_eq!(
        table.prepare_write(1, custom, 1, b"x"),
        Err(AttErrorCode::InvalidOffset)
    );
    table.prepare_write(1, custom, 0, &[1; 60]).expect("fits");
    assert_eq!(
        table.prepare_write(1, custom, 60, &[1; 5]),
        Err(AttErrorCode::InvalidAttributeValueLength)
    );
    assert_eq!(
        table.prepare_write(1, custom, 65, b""),
        Err(AttErrorCode::InvalidOffset)
    );
    // One long write per connection at a time.
    assert_eq!(
        table.prepare_write(1, session, 0, b"x"),
        Err(AttErrorCode::PrepareQueueFull)
    );
    // Another connection has its own queue.
    table.prepare_write(2, session, 0, b"y").expect("own queue");
    // Cancel discards without calling the handler.
    table
        .execute_write(1, false, &mut pc, &mut h, &mut rng, T0)
        .expect("cancel");
    assert!(h.seen.is_empty());
    assert_eq!(
        table.execute_write(1, true, &mut pc, &mut h, &mut rng, T0),
        Ok(()),
        "nothing queued"
    );
    // Disconnect drops connection 2's queue.
    table.on_disconnect(2, &mut pc);
    assert_eq!(
        table.execute_write(2, true, &mut pc, &mut h, &mut rng, T0),
        Ok(())
    );
    assert!(h.seen.is_empty());
}

#[test]
fn write_errors_map_to_att_codes() {
    let (mut pc, mut table) = device();
    let mut rng = TestRng::new(4);
    let mut h = EchoHandler::default();
    let custom = index(&table, "custom-data");
    assert_eq!(
        table.write(1, custom, b"", &mut pc, &mut h, &mut rng, T0),
        Err(AttErrorCode::InvalidAttributeValueLength)
    );
    assert_eq!(
        table.write(1, custom, &[0; 65], &mut pc, &mut h, &mut rng, T0),
        Err(AttErrorCode::InvalidAttributeValueLength)
    );
    assert_eq!(
        table.write(1, 42, b"x", &mut pc, &mut h, &mut rng, T0),
        Err(AttErrorCode::InvalidHandle)
    );
    // Handler failure: no response → Invalid PDU (0x04), the old value stays.
    table
        .write(1, custom, b"ok", &mut pc, &mut h, &mut rng, T0)
        .expect("ok");
    assert_eq!(
        table
            .write(1, custom, b"fail", &mut pc, &mut h, &mut rng, T0)
            .map_err(AttErrorCode::code),
        Err(0x04)
    );
    assert_eq!(table.read(1, custom, 0, 100), Ok(&b"custom-data:ok"[..]));
    // A response longer than the value limit is refused rather than stored.
    let long = [b'z'; 60];
    assert_eq!(
        table.write(1, custom, &long, &mut pc, &mut h, &mut rng, T0),
        Err(AttErrorCode::InvalidAttributeValueLength)
    );
    assert_eq!(table.read(1, custom, 0, 100), Ok(&b"custom-data:ok"[..]));
}

#[test]
fn only_the_writing_connection_reads_a_response() {
    let (mut pc, mut table) = device();
    let mut rng = TestRng::new(6);
    let mut h = EchoHandler::default();
    let session = index(&table, "prov-session");
    table.on_connect(7, &mut pc, T0).expect("owner connects");
    table
        .write(7, session, &SEC0_COMMAND, &mut pc, &mut h, &mut rng, T0)
        .expect("owner writes");
    // Another central (connected or not) must not read the owner's response, at any offset.
    for offset in [0, 1] {
        assert_eq!(
            table.read(8, session, offset, 185),
            Err(AttErrorCode::InsufficientAuthorization)
        );
    }
    assert_eq!(AttErrorCode::InsufficientAuthorization.code(), 0x08);
    assert_eq!(table.read(7, session, 0, 185), Ok(&SEC0_RESPONSE[..]));
    // After the owner leaves, its responses are gone; a later central reusing the handle
    // reads nothing of them.
    table.on_disconnect(7, &mut pc);
    assert_eq!(table.read(7, session, 0, 185), Ok(&[][..]));
    assert_eq!(table.read(8, session, 0, 185), Ok(&[][..]));
}

proptest! {
    /// Any sequence of prepare writes (random connection, characteristic, offset, data) and
    /// executes never panics; errors are ATT codes.
    #[test]
    fn random_att_operations_never_panic(ops in prop::collection::vec(
        (0u16..3, 0usize..8, 0u16..80, prop::collection::vec(any::<u8>(), 0..40), 0u8..4), 0..40)) {
        let (mut pc, mut table) = device();
        let mut rng = TestRng::new(5);
        let mut h = EchoHandler::default();
        for (conn, idx, offset, data, kind) in ops {
            match kind {
                0 => { let _ = table.prepare_write(conn, idx, offset, &data); }
                1 => { let _ = table.execute_write(conn, offset % 2 == 0, &mut pc, &mut h, &mut rng, T0); }
                2 => { let _ = table.write(conn, idx, &data, &mut pc, &mut h, &mut rng, T0); }
                _ => { let _ = table.read(conn, idx, offset, 23 + offset); }
            }
        }
    }

    /// Splitting a value into contiguous prepare-write chunks delivers exactly that value.
    #[test]
    fn chunked_long_write_equals_single_write(value in prop::collection::vec(any::<u8>(), 1..64),
                                              cuts in prop::collection::vec(1usize..20, 1..10)) {
        let (mut pc, mut table) = device();
        let mut rng = TestRng::new(6);
        let mut h = EchoHandler::default();
        let custom = index(&table, "custom-data");
        let mut offset = 0;
        for cut in cuts.iter().cycle() {
            if offset >= value.len() { break; }
            let end = (offset + cut).min(value.len());
            table.prepare_write(3, custom, offset as u16, &value[offset..end]).expect("contiguous chunk");
            offset = end;
        }
        let outcome = table.execute_write(3, true, &mut pc, &mut h, &mut rng, T0);
        prop_assert_eq!(h.seen.len(), 1);
        prop_assert_eq!(&h.seen[0].1, &value);
        // The echo answer is 12 bytes longer than the request; beyond 64 it must be refused.
        prop_assert_eq!(outcome.is_ok(), value.len() + 12 <= 64);
    }
}
