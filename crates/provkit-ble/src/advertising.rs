//! Advertising data of the provisioning service: what a scanner (a phone app, esp_prov's
//! bleak scan) sees before it connects.
//!
//! ```text
//!  ADV_IND        Flags (LE General Discoverable, no BR/EDR)          3 bytes
//!                 Complete List of 128-bit Service UUIDs              18 bytes
//!                 Complete Local Name, only if it fits (≤ 8 bytes)    2 + n bytes
//!  SCAN_RSP       Complete Local Name (1..=29 bytes)                  2 + n bytes
//!                 Manufacturer Specific Data, if the application set it (ESP-IDF's
//!                 `wifi_prov_scheme_ble_set_mfg_data`)
//! ```
//!
//! ESP-IDF (NimBLE) puts the UUID in the advertisement and the name in the scan response,
//! which is all a real radio needs: an active scanner merges both. The name is also put in the
//! advertisement whenever it fits, because some controllers (bumble's virtual controller among
//! them) answer a scan request with the advertising data itself, so a name that lives only in
//! the scan response is never seen through them. `PROV_` plus three hex digits fits; ESP-IDF's
//! default `PROV_` plus six does not.

use heapless::Vec;
use provkit_protocomm::ble::Uuid128;

/// Legacy advertising and scan response payload size.
pub const MAX_ADV_LEN: usize = 31;
/// Longest device name (`MAX_BLE_DEVNAME_LEN` of ESP-IDF's BLE scheme).
pub const MAX_DEVICE_NAME_LEN: usize = 29;
/// Longest name that also fits in the advertisement next to the flags and the service UUID.
pub const MAX_NAME_IN_ADVERTISEMENT: usize = MAX_ADV_LEN - 3 - 18 - 2;

const AD_FLAGS: u8 = 0x01;
const AD_COMPLETE_UUID128_LIST: u8 = 0x07;
const AD_COMPLETE_LOCAL_NAME: u8 = 0x09;
const AD_MANUFACTURER_SPECIFIC: u8 = 0xFF;
/// LE General Discoverable Mode, BR/EDR Not Supported.
const FLAGS_GENERAL_NO_BREDR: u8 = 0x06;

/// The two payloads a peripheral hands to its controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertisement {
    /// ADV_IND payload.
    pub adv_data: Vec<u8, MAX_ADV_LEN>,
    /// SCAN_RSP payload.
    pub scan_data: Vec<u8, MAX_ADV_LEN>,
}

/// Why no advertisement could be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdvertisingError {
    /// The device name is empty or longer than [`MAX_DEVICE_NAME_LEN`] bytes.
    InvalidDeviceName {
        /// Its length in bytes.
        len: usize,
    },
    /// The manufacturer data does not fit in the scan response next to the name.
    ManufacturerDataTooLong {
        /// Bytes of manufacturer data that would fit.
        available: usize,
    },
}

impl core::fmt::Display for AdvertisingError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidDeviceName { len } => write!(
                f,
                "BLE device name must be 1 to {MAX_DEVICE_NAME_LEN} bytes, got {len}"
            ),
            Self::ManufacturerDataTooLong { available } => write!(
                f,
                "manufacturer data does not fit next to the name ({available} bytes would)"
            ),
        }
    }
}

impl core::error::Error for AdvertisingError {}

/// ESP-IDF's default device name, `PROV_` and the last three bytes of the MAC address in
/// upper-case hex (`PROV_1A2B3C`), so a board is listed like an IDF one. (It does not fit in
/// the advertisement itself; see the module docs.)
pub fn default_device_name(mac: [u8; 6]) -> heapless::String<11> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut name = heapless::String::new();
    // 5 + 6 characters: exactly the capacity, so no push can fail.
    let _ = name.push_str("PROV_");
    for byte in mac.iter().skip(3) {
        for nibble in [byte >> 4, byte & 0x0F] {
            let digit = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            let _ = name.push(char::from(digit));
        }
    }
    name
}

/// Builds the advertisement for `service`, device `name` and optional manufacturer data
/// (company id first, as the AD type requires) (see the module docs).
pub fn advertisement(
    service: Uuid128,
    name: &str,
    manufacturer_data: Option<&[u8]>,
) -> Result<Advertisement, AdvertisingError> {
    let name = name.as_bytes();
    if name.is_empty() || name.len() > MAX_DEVICE_NAME_LEN {
        return Err(AdvertisingError::InvalidDeviceName { len: name.len() });
    }
    let mut adv_data = Vec::new();
    let mut scan_data = Vec::new();
    // Every push below stays within 31 bytes by the length checks above, so none can fail;
    // the results are still folded in so a mistake would show as a short payload in tests.
    let mut ok = push_ad(&mut adv_data, AD_FLAGS, &[FLAGS_GENERAL_NO_BREDR]);
    ok &= push_ad(
        &mut adv_data,
        AD_COMPLETE_UUID128_LIST,
        &service.to_le_bytes(),
    );
    if name.len() <= MAX_NAME_IN_ADVERTISEMENT {
        ok &= push_ad(&mut adv_data, AD_COMPLETE_LOCAL_NAME, name);
    }
    ok &= push_ad(&mut scan_data, AD_COMPLETE_LOCAL_NAME, name);
    debug_assert!(ok);
    if let Some(data) = manufacturer_data
        && !push_ad(&mut scan_data, AD_MANUFACTURER_SPECIFIC, data)
    {
        return Err(AdvertisingError::ManufacturerDataTooLong {
            available: MAX_ADV_LEN.saturating_sub(scan_data.len() + 2),
        });
    }
    Ok(Advertisement {
        adv_data,
        scan_data,
    })
}

/// Appends one AD structure (length, type, data); false if it does not fit.
fn push_ad(out: &mut Vec<u8, MAX_ADV_LEN>, ad_type: u8, data: &[u8]) -> bool {
    let Ok(len) = u8::try_from(data.len() + 1) else {
        return false;
    };
    if out.len() + 2 + data.len() > MAX_ADV_LEN {
        return false;
    }
    out.push(len).is_ok() && out.push(ad_type).is_ok() && out.extend_from_slice(data).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_name_goes_into_both_payloads() {
        let adv = advertisement(Uuid128::EXAMPLE_SERVICE, "PROV_1A2", None).unwrap();
        assert_eq!(&adv.adv_data[..5], &[0x02, 0x01, 0x06, 0x11, 0x07]);
        assert_eq!(
            &adv.adv_data[5..21],
            &Uuid128::EXAMPLE_SERVICE.to_le_bytes()
        );
        assert_eq!(&adv.adv_data[21..], b"\x09\x09PROV_1A2");
        assert_eq!(adv.adv_data.len(), MAX_ADV_LEN);
        assert_eq!(&adv.scan_data[..], b"\x09\x09PROV_1A2");
    }

    #[test]
    fn long_name_only_in_the_scan_response_as_esp_idf_does() {
        let adv = advertisement(Uuid128::EXAMPLE_SERVICE, "PROV_1A2B3C", None).unwrap();
        assert_eq!(adv.adv_data.len(), 21);
        assert_eq!(&adv.scan_data[..], b"\x0c\x09PROV_1A2B3C");
        let longest = "N".repeat(MAX_DEVICE_NAME_LEN);
        let adv = advertisement(Uuid128::EXAMPLE_SERVICE, &longest, None).unwrap();
        assert_eq!(adv.scan_data.len(), MAX_ADV_LEN);
    }

    #[test]
    fn manufacturer_data_follows_the_name_in_the_scan_response() {
        let adv = advertisement(
            Uuid128::EXAMPLE_SERVICE,
            "PROV_A1B2C3",
            Some(&[0xe5, 0x02, 0x01]),
        )
        .unwrap();
        assert_eq!(
            &adv.scan_data[..],
            b"\x0c\x09PROV_A1B2C3\x04\xff\xe5\x02\x01"
        );
        // 31 - (2 + 11) - 2 = 16 bytes fit next to an 11-byte name.
        assert!(advertisement(Uuid128::EXAMPLE_SERVICE, "PROV_A1B2C3", Some(&[0; 16])).is_ok());
        assert_eq!(
            advertisement(Uuid128::EXAMPLE_SERVICE, "PROV_A1B2C3", Some(&[0; 17])),
            Err(AdvertisingError::ManufacturerDataTooLong { available: 16 })
        );
    }

    #[test]
    fn the_default_name_uses_the_mac_tail() {
        assert_eq!(
            default_device_name([0, 1, 2, 0x1a, 0x2b, 0xc3]).as_str(),
            "PROV_1A2BC3"
        );
    }

    #[test]
    fn names_outside_1_to_29_bytes_are_refused() {
        assert_eq!(
            advertisement(Uuid128::EXAMPLE_SERVICE, "", None),
            Err(AdvertisingError::InvalidDeviceName { len: 0 })
        );
        assert_eq!(
            advertisement(Uuid128::EXAMPLE_SERVICE, &"N".repeat(30), None),
            Err(AdvertisingError::InvalidDeviceName { len: 30 })
        );
    }
}
