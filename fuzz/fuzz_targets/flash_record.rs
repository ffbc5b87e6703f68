//! The ESP32 credential store's flash side (`provkit-esp32::store`) fed raw bytes: first the
//! record decoder itself, then a whole flash region holding the input as found after any
//! corruption (repeated to fill two 4 KiB pages). Invariants: no panic; a record that decodes
//! re-encodes to exactly the same bytes; `load` of any flash image returns a profile list or a
//! typed error; after a `commit` the store loads exactly what was committed.
#![no_main]
use embassy_futures::block_on;
use embedded_storage_async::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use libfuzzer_sys::fuzz_target;
use provkit_esp32::store::{FlashStore, MAX_RECORD_LEN, decode_record, encode_record};
use provkit_hal::asynch::CredentialStore;

const PAGE: usize = 4096;

/// RAM NOR flash: erase sets 0xFF, writes only clear bits.
struct RamFlash(Vec<u8>);

#[derive(Debug)]
struct OutOfRange;

impl NorFlashError for OutOfRange {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::OutOfBounds
    }
}

impl ErrorType for RamFlash {
    type Error = OutOfRange;
}

impl ReadNorFlash for RamFlash {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), OutOfRange> {
        let start = offset as usize;
        let src = self.0.get(start..start + bytes.len()).ok_or(OutOfRange)?;
        bytes.copy_from_slice(src);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.0.len()
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;
    async fn erase(&mut self, from: u32, to: u32) -> Result<(), OutOfRange> {
        self.0
            .get_mut(from as usize..to as usize)
            .ok_or(OutOfRange)?
            .fill(0xFF);
        Ok(())
    }
    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), OutOfRange> {
        let start = offset as usize;
        let dst = self.0.get_mut(start..start + bytes.len()).ok_or(OutOfRange)?;
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d &= *s;
        }
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    // 1. The record decoder on the raw bytes.
    if let Ok(list) = decode_record(data) {
        let mut out = [0u8; MAX_RECORD_LEN];
        let len = encode_record(&list, &mut out).expect("a decoded list re-encodes");
        assert_eq!(&out[..len], data, "records are canonical");
        assert_eq!(decode_record(&out[..len]).expect("re-decodes"), list);
    }

    // 2. A flash region whose contents are the input (any corruption a power cut, a bad
    //    write or an attacker with flash access could leave).
    let mut image = vec![0xFF; 2 * PAGE];
    if !data.is_empty() {
        for (byte, value) in image.iter_mut().zip(data.iter().cycle()) {
            *byte = *value;
        }
    }
    let Ok(mut store) = FlashStore::new(RamFlash(image), 0..(2 * PAGE) as u32) else {
        return;
    };
    let loaded = block_on(store.load());
    // Whatever it found, a commit of a valid list must then load back exactly.
    let list = match loaded {
        Ok(list) => list,
        Err(_) => Default::default(),
    };
    if block_on(store.commit(&list)).is_ok() {
        assert_eq!(block_on(store.load()).expect("loads what it committed"), list);
    }
});
