//! The credential store in flash: [`provkit_hal::asynch::CredentialStore`] on any async NOR
//! flash (on the chip: esp-storage through embassy-embedded-hal's `BlockingAsync`) with
//! sequential-storage's key-value map.
//!
//! Why this shape:
//! * **Power-fail safety.** The whole profile list is one item under one key. sequential-storage
//!   appends a new item and only then considers the old one superseded, and an item whose
//!   write was cut short fails its CRC and is skipped; so after a power cut [`FlashStore::load`]
//!   returns either the old list or the new one, never a mix. `commit` is atomic as
//!   `provkit-hal` requires, and the manager's "commit after the connection is confirmed"
//!   (TI semantics) maps to a single `commit` call.
//! * **Wear levelling.** Appending round-robins over the pages of the region and erases a page
//!   only when the map wraps, so a profile change costs ~1 record write, not an erase.
//!
//! Record format (version 1), all lengths one byte:
//! `[version=1][count] { [priority][flags: 1=bssid 2=channel][ssid_len][ssid][pass_len][pass]
//! [bssid: 6]? [channel]? } * count`. Unknown versions and any inconsistency decode to
//! [`Esp32Error::CorruptRecord`]; the store never panics on what it reads back.

use core::ops::Range;

use embedded_storage_async::nor_flash::NorFlash;
use provkit_hal::{
    Bssid, Credentials, MAX_PASSPHRASE_LEN, MAX_PROFILES, MAX_SSID_LEN, Passphrase, Profile,
    ProfileList, Ssid,
};
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

use crate::Esp32Error;

/// Format version written in the first byte of the record.
pub const RECORD_VERSION: u8 = 1;
/// The map key the profile list lives under.
const PROFILES_KEY: u8 = 0;
/// Largest profile encoding: priority, flags, 2 lengths, SSID, passphrase, BSSID, channel.
const MAX_PROFILE_LEN: usize = 4 + MAX_SSID_LEN + MAX_PASSPHRASE_LEN + 6 + 1;
/// Largest record.
pub const MAX_RECORD_LEN: usize = 2 + MAX_PROFILES * MAX_PROFILE_LEN;
/// sequential-storage's work buffer: key + record + item header slack, word aligned.
const WORK_BUF_LEN: usize = (MAX_RECORD_LEN + 1 + 32).next_multiple_of(32);

const FLAG_BSSID: u8 = 1;
const FLAG_CHANNEL: u8 = 2;

/// Encodes `profiles` into `out`, returning the record length.
pub fn encode_record(
    profiles: &[Profile],
    out: &mut [u8; MAX_RECORD_LEN],
) -> Result<usize, Esp32Error> {
    let count = u8::try_from(profiles.len())
        .ok()
        .filter(|&n| usize::from(n) <= MAX_PROFILES)
        .ok_or(Esp32Error::TooManyProfiles)?;
    let mut w = Writer { out, at: 0 };
    w.byte(RECORD_VERSION)?;
    w.byte(count)?;
    for p in profiles {
        let c = &p.credentials;
        let flags = if c.bssid.is_some() { FLAG_BSSID } else { 0 }
            | if c.channel.is_some() { FLAG_CHANNEL } else { 0 };
        w.byte(p.priority)?;
        w.byte(flags)?;
        w.prefixed(c.ssid.as_bytes())?;
        w.prefixed(c.passphrase.as_bytes())?;
        if let Some(Bssid(mac)) = c.bssid {
            w.bytes(&mac)?;
        }
        if let Some(ch) = c.channel {
            w.byte(ch)?;
        }
    }
    Ok(w.at)
}

/// Decodes a record written by [`encode_record`]. Trailing bytes are corruption.
pub fn decode_record(bytes: &[u8]) -> Result<ProfileList, Esp32Error> {
    let mut r = Reader { bytes };
    if r.byte()? != RECORD_VERSION {
        return Err(Esp32Error::CorruptRecord);
    }
    let count = usize::from(r.byte()?);
    let mut list = ProfileList::new();
    for _ in 0..count {
        let priority = r.byte()?;
        let flags = r.byte()?;
        if flags & !(FLAG_BSSID | FLAG_CHANNEL) != 0 {
            return Err(Esp32Error::CorruptRecord);
        }
        let ssid = Ssid::new(r.prefixed()?).map_err(|_| Esp32Error::CorruptRecord)?;
        let passphrase =
            Passphrase::from_raw(r.prefixed()?).map_err(|_| Esp32Error::CorruptRecord)?;
        let bssid = if flags & FLAG_BSSID != 0 {
            Some(Bssid::from_slice(r.take(6)?).map_err(|_| Esp32Error::CorruptRecord)?)
        } else {
            None
        };
        let channel = if flags & FLAG_CHANNEL != 0 {
            Some(r.byte()?)
        } else {
            None
        };
        let profile = Profile {
            credentials: Credentials {
                ssid,
                passphrase,
                bssid,
                channel,
            },
            priority,
        };
        list.push(profile).map_err(|_| Esp32Error::CorruptRecord)?;
    }
    if r.bytes.is_empty() {
        Ok(list)
    } else {
        Err(Esp32Error::CorruptRecord)
    }
}

struct Writer<'a> {
    out: &'a mut [u8; MAX_RECORD_LEN],
    at: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, data: &[u8]) -> Result<(), Esp32Error> {
        let end = self.at + data.len();
        self.out
            .get_mut(self.at..end)
            .ok_or(Esp32Error::TooManyProfiles)?
            .copy_from_slice(data);
        self.at = end;
        Ok(())
    }
    fn byte(&mut self, b: u8) -> Result<(), Esp32Error> {
        self.bytes(&[b])
    }
    fn prefixed(&mut self, data: &[u8]) -> Result<(), Esp32Error> {
        // Ssid / Passphrase bound these to 32 / 64 bytes, so the length always fits.
        let len = u8::try_from(data.len()).map_err(|_| Esp32Error::InvalidCredentials)?;
        self.byte(len)?;
        self.bytes(data)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Esp32Error> {
        if self.bytes.len() < n {
            return Err(Esp32Error::CorruptRecord);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8, Esp32Error> {
        self.take(1).map(|b| b.first().copied().unwrap_or_default())
    }
    fn prefixed(&mut self) -> Result<&'a [u8], Esp32Error> {
        let len = usize::from(self.byte()?);
        self.take(len)
    }
}

fn map_storage_error<E>(e: sequential_storage::Error<E>) -> Esp32Error {
    match e {
        sequential_storage::Error::FullStorage => Esp32Error::StorageFull,
        sequential_storage::Error::Corrupted { .. } => Esp32Error::CorruptRecord,
        sequential_storage::Error::SerializationError(_) => Esp32Error::CorruptRecord,
        _ => Esp32Error::Flash,
    }
}

/// No RAM cache: the list is read once at boot and written rarely, so the ~100 bytes of
/// cache state would buy nothing.
type NoCache = Cache<Uncached, Uncached, Uncached, u8>;

/// Profiles in a flash region (at least two erase pages, page aligned).
pub struct FlashStore<F: NorFlash> {
    map: MapStorage<u8, F, NoCache>,
    work: [u8; WORK_BUF_LEN],
}

impl<F: NorFlash> FlashStore<F> {
    /// A store over `range` of `flash`. The region must be page aligned and hold two pages.
    pub fn new(flash: F, range: Range<u32>) -> Result<Self, Esp32Error> {
        let config = MapConfig::<F>::try_new(range).map_err(|_| Esp32Error::Flash)?;
        Ok(Self {
            map: MapStorage::new(flash, config, Cache::new_uncached()),
            work: [0; WORK_BUF_LEN],
        })
    }

    /// Gives the flash back (tests use it to "reboot" onto the same memory).
    pub fn into_flash(self) -> F {
        self.map.destroy().0
    }
}

impl<F: NorFlash> provkit_hal::ErrorType for FlashStore<F> {
    type Error = Esp32Error;
}

impl<F: NorFlash> provkit_hal::asynch::CredentialStore for FlashStore<F> {
    async fn load(&mut self) -> Result<ProfileList, Esp32Error> {
        let record = self
            .map
            .fetch_item::<&[u8]>(&mut self.work, &PROFILES_KEY)
            .await
            .map_err(map_storage_error)?;
        match record {
            Some(bytes) => decode_record(bytes),
            None => Ok(ProfileList::new()),
        }
    }

    async fn commit(&mut self, profiles: &[Profile]) -> Result<(), Esp32Error> {
        let mut record = [0u8; MAX_RECORD_LEN];
        let len = encode_record(profiles, &mut record)?;
        let value: &[u8] = record.get(..len).ok_or(Esp32Error::TooManyProfiles)?;
        self.map
            .store_item(&mut self.work, &PROFILES_KEY, &value)
            .await
            .map_err(map_storage_error)
    }

    async fn clear(&mut self) -> Result<(), Esp32Error> {
        // An empty list is one more append: as power-fail safe as any commit.
        self.commit(&[]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embassy_futures::block_on;
    use embedded_storage_async::nor_flash::{
        ErrorType, NorFlashError, NorFlashErrorKind, ReadNorFlash,
    };
    use provkit_hal::asynch::CredentialStore;
    use std::vec;
    use std::vec::Vec;

    const PAGE: usize = 4096;

    /// RAM NOR flash: erase sets 0xFF, writes can only clear bits (like the ESP32's SPI
    /// flash), and an optional write budget models a power cut in the middle of a write.
    struct RamFlash {
        mem: Vec<u8>,
        write_budget: Option<usize>,
    }

    #[derive(Debug)]
    struct PowerCut;
    impl NorFlashError for PowerCut {
        fn kind(&self) -> NorFlashErrorKind {
            NorFlashErrorKind::Other
        }
    }

    impl ErrorType for RamFlash {
        type Error = PowerCut;
    }
    impl ReadNorFlash for RamFlash {
        const READ_SIZE: usize = 4;
        async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), PowerCut> {
            let at = offset as usize;
            bytes.copy_from_slice(&self.mem[at..at + bytes.len()]);
            Ok(())
        }
        fn capacity(&self) -> usize {
            self.mem.len()
        }
    }
    impl NorFlash for RamFlash {
        const WRITE_SIZE: usize = 4;
        const ERASE_SIZE: usize = PAGE;
        async fn erase(&mut self, from: u32, to: u32) -> Result<(), PowerCut> {
            if self.write_budget == Some(0) {
                return Err(PowerCut);
            }
            self.mem[from as usize..to as usize].fill(0xFF);
            Ok(())
        }
        async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), PowerCut> {
            for (i, b) in bytes.iter().enumerate() {
                if let Some(budget) = &mut self.write_budget {
                    if *budget == 0 {
                        return Err(PowerCut);
                    }
                    *budget -= 1;
                }
                self.mem[offset as usize + i] &= *b;
            }
            Ok(())
        }
    }

    fn flash(pages: usize) -> RamFlash {
        RamFlash {
            mem: vec![0xFF; pages * PAGE],
            write_budget: None,
        }
    }

    fn profile(ssid: &str, pass: &str, priority: u8, bssid: Option<[u8; 6]>) -> Profile {
        Profile {
            credentials: Credentials {
                ssid: Ssid::new(ssid.as_bytes()).unwrap(),
                passphrase: Passphrase::new(pass.as_bytes()).unwrap(),
                bssid: bssid.map(Bssid),
                channel: bssid.map(|b| b[5] % 13 + 1),
            },
            priority,
        }
    }

    fn full_list() -> Vec<Profile> {
        (0..MAX_PROFILES as u8)
            .map(|i| {
                let ssid = std::format!("{:x<32}", i);
                // 64 hex digits: a raw PSK, the longest passphrase there is.
                let pass = std::format!("{:f>64}", i);
                profile(&ssid, &pass, i, Some([i; 6]))
            })
            .collect()
    }

    #[test]
    fn record_round_trips_every_field_at_maximum_size() {
        let list = full_list();
        let mut buf = [0u8; MAX_RECORD_LEN];
        let len = encode_record(&list, &mut buf).unwrap();
        assert_eq!(
            len, MAX_RECORD_LEN,
            "7 maximal profiles fill the record exactly"
        );
        assert_eq!(
            decode_record(&buf[..len]).unwrap().as_slice(),
            list.as_slice()
        );
    }

    #[test]
    fn too_many_profiles_is_refused() {
        let mut list = full_list();
        list.push(profile("eight", "password8", 8, None));
        let mut buf = [0u8; MAX_RECORD_LEN];
        assert_eq!(
            encode_record(&list, &mut buf),
            Err(Esp32Error::TooManyProfiles)
        );
    }

    #[test]
    fn damaged_records_decode_to_errors_never_panics() {
        let list = [profile("home", "password1", 3, Some([1, 2, 3, 4, 5, 6]))];
        let mut buf = [0u8; MAX_RECORD_LEN];
        let len = encode_record(&list, &mut buf).unwrap();
        let good = &buf[..len];
        // Every truncation is corrupt (the count promises more than is there).
        for cut in 0..len {
            assert_eq!(
                decode_record(&good[..cut]),
                Err(Esp32Error::CorruptRecord),
                "cut {cut}"
            );
        }
        // Trailing garbage, unknown version, unknown flag bits.
        let mut longer = good.to_vec();
        longer.push(0);
        assert_eq!(decode_record(&longer), Err(Esp32Error::CorruptRecord));
        let mut v2 = good.to_vec();
        v2[0] = 2;
        assert_eq!(decode_record(&v2), Err(Esp32Error::CorruptRecord));
        let mut flags = good.to_vec();
        flags[3] |= 0x80;
        assert_eq!(decode_record(&flags), Err(Esp32Error::CorruptRecord));
        // Every single-byte value at every position: typed result, no panic.
        for at in 0..len {
            for v in [0u8, 1, 0x7F, 0xFF] {
                let mut m = good.to_vec();
                m[at] = v;
                let _ = decode_record(&m);
            }
        }
    }

    #[test]
    fn store_starts_empty_and_returns_the_last_commit_after_reboot() {
        let mut store = FlashStore::new(flash(4), 0..(4 * PAGE) as u32).unwrap();
        assert!(block_on(store.load()).unwrap().is_empty());
        let first = [profile("a", "password1", 1, None)];
        let second = full_list();
        block_on(store.commit(&first)).unwrap();
        block_on(store.commit(&second)).unwrap();
        let mut store = FlashStore::new(store.into_flash(), 0..(4 * PAGE) as u32).unwrap();
        assert_eq!(
            block_on(store.load()).unwrap().as_slice(),
            second.as_slice()
        );
        block_on(store.clear()).unwrap();
        assert!(block_on(store.load()).unwrap().is_empty());
    }

    #[test]
    fn many_commits_wrap_around_the_region_without_filling_it() {
        // 4 pages x 4 KiB hold ~20 maximal records; 200 commits force repeated page reuse.
        let mut store = FlashStore::new(flash(4), 0..(4 * PAGE) as u32).unwrap();
        let list = full_list();
        for i in 0..200usize {
            let n = i % MAX_PROFILES + 1;
            block_on(store.commit(&list[..n])).unwrap();
            assert_eq!(block_on(store.load()).unwrap().len(), n);
        }
    }

    #[test]
    fn a_power_cut_at_any_byte_leaves_the_old_or_the_new_list() {
        let old = [profile("old-net", "password-old", 1, None)];
        let new = full_list();
        let range = 0..(3 * PAGE) as u32;
        let mut saw_old = false;
        let mut saw_new = false;
        // Cut the power after every possible number of written bytes of the second commit.
        for budget in (0..MAX_RECORD_LEN + 64).step_by(7) {
            let mut store = FlashStore::new(flash(3), range.clone()).unwrap();
            block_on(store.commit(&old)).unwrap();
            let mut f = store.into_flash();
            f.write_budget = Some(budget);
            let mut store = FlashStore::new(f, range.clone()).unwrap();
            let _ = block_on(store.commit(&new));
            // Reboot with the power back on.
            let mut f = store.into_flash();
            f.write_budget = None;
            let mut store = FlashStore::new(f, range.clone()).unwrap();
            let loaded = block_on(store.load()).unwrap();
            if loaded.as_slice() == old.as_slice() {
                saw_old = true;
            } else {
                assert_eq!(loaded.as_slice(), new.as_slice(), "budget {budget}: a mix");
                saw_new = true;
            }
        }
        assert!(saw_old && saw_new, "the sweep covers both outcomes");
    }
}
