//! BLE GATT long write / read blob reassembly (`GattTable`) over a sec1 `Protocomm`, driven by
//! an arbitrary sequence of connects, disconnects, writes, prepare/execute writes and reads.
//! Invariants: no panic; reads never return more than `mtu - 1` bytes (an MTU below the ATT
//! minimum of 23 counts as 23); a rejected operation is an ATT error, never a crash.
#![no_main]
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use provkit_fuzz::{EchoHandler, configs, fixed_rng};
use provkit_hal::Instant;
use provkit_protocomm::ble::{ATT_MIN_MTU, BLUEDROID_MAX_VALUE_LEN, GattTable, Uuid128};
use provkit_protocomm::{Protocomm, VersionInfo};

#[derive(Arbitrary, Debug)]
enum Op {
    Connect(u16),
    Disconnect(u16),
    Write {
        conn: u16,
        index: u8,
        data: Vec<u8>,
    },
    Prepare {
        conn: u16,
        index: u8,
        offset: u16,
        data: Vec<u8>,
    },
    Execute {
        conn: u16,
        commit: bool,
    },
    Read {
        conn: u16,
        index: u8,
        offset: u16,
        mtu: u16,
    },
    ReadDescription {
        index: u8,
        offset: u16,
        mtu: u16,
    },
}

fuzz_target!(|input: (u8, Vec<Op>)| {
    let (selector, ops) = input;
    let (device_cfg, _) = configs(selector % 2);
    let mut protocomm = Protocomm::new(device_cfg, VersionInfo::default());
    let mut table = GattTable::new(
        Uuid128::EXAMPLE_SERVICE,
        protocomm.endpoints(),
        BLUEDROID_MAX_VALUE_LEN,
    );
    let mut rng = fixed_rng(5);
    // Each operation is 700 ms after the previous one, so throttle windows, lockouts and
    // owner timeouts come and go within one input.
    for (step, op) in (0u64..).zip(ops) {
        let now = Instant::from_millis(step * 700);
        // Connection handles are small in practice; folding them makes collisions likely.
        match op {
            Op::Connect(c) => {
                let _ = table.on_connect(c % 4, &mut protocomm, now);
            }
            Op::Disconnect(c) => table.on_disconnect(c % 4, &mut protocomm),
            Op::Write { conn, index, data } => {
                let _ = table.write(
                    conn % 4,
                    usize::from(index),
                    &data,
                    &mut protocomm,
                    &mut EchoHandler,
                    &mut rng,
                    now,
                );
            }
            Op::Prepare {
                conn,
                index,
                offset,
                data,
            } => {
                let _ = table.prepare_write(conn % 4, usize::from(index), offset, &data);
            }
            Op::Execute { conn, commit } => {
                let _ = table.execute_write(
                    conn % 4,
                    commit,
                    &mut protocomm,
                    &mut EchoHandler,
                    &mut rng,
                    now,
                );
            }
            Op::Read {
                conn,
                index,
                offset,
                mtu,
            } => {
                if let Ok(window) = table.read(conn % 4, usize::from(index), offset, mtu) {
                    assert!(
                        window.len() < usize::from(mtu.max(ATT_MIN_MTU)),
                        "read past the MTU"
                    );
                }
            }
            Op::ReadDescription { index, offset, mtu } => {
                if let Ok(window) = table.read_user_description(usize::from(index), offset, mtu) {
                    assert!(
                        window.len() < usize::from(mtu.max(ATT_MIN_MTU)),
                        "read past the MTU"
                    );
                }
            }
        }
    }
});
