//! The provisioning GATT layout and advertising data (spec §5.2), independent of TrouBLE so
//! it is testable on the host; [`crate::ble`] builds the attribute table from it.
//!
//! One primary service (128-bit UUID); per endpoint one Read + Write characteristic whose
//! UUID is the service UUID with bytes 12–13 of its little-endian array replaced by the
//! endpoint's 16-bit id, plus a 0x2901 descriptor holding the endpoint name (esp_prov and the
//! phone apps find endpoints by that name, and esp_prov's fallback without it is broken,
//! spec §12.9).

extern crate alloc;

use heapless::Vec;

/// Service UUID used by ESP-IDF's `wifi_prov_mgr` example and all Espressif apps
/// (`021a9004-0382-4aea-bff4-6b3f1c5adfb4`), little-endian as on the air.
pub const EXAMPLE_SERVICE_UUID_LE: [u8; 16] = [
    0xb4, 0xdf, 0x5a, 0x1c, 0x3f, 0x6b, 0xf4, 0xbf, 0xea, 0x4a, 0x82, 0x03, 0x04, 0x90, 0x1a, 0x02,
];

/// The built-in endpoints with their BLE ids (`wifi_prov_mgr` order).
pub const STANDARD_ENDPOINTS: [(&str, u16); 5] = [
    ("prov-ctrl", 0xFF4F),
    ("prov-scan", 0xFF50),
    ("prov-session", 0xFF51),
    ("prov-config", 0xFF52),
    ("proto-ver", 0xFF53),
];

/// First id handed to custom endpoints, in creation order.
pub const FIRST_CUSTOM_ID: u16 = 0xFF54;

/// Largest request/response the GATT value buffers hold: NimBLE's 512 (spec §5.2), which
/// covers security 2's ~404-byte Command0 and TrouBLE's 512-byte prepare-write buffer.
pub const MAX_VALUE_LEN: usize = 512;

/// Longest advertised device name (`MAX_BLE_DEVNAME_LEN`).
pub const MAX_NAME_LEN: usize = 29;

/// A characteristic's 128-bit UUID (little-endian) for endpoint id `id`.
pub fn characteristic_uuid(service_le: &[u8; 16], id: u16) -> [u8; 16] {
    let mut uuid = *service_le;
    let [lo, hi] = id.to_le_bytes();
    uuid[12] = lo;
    uuid[13] = hi;
    uuid
}

/// Advertising payload (flags + the complete list of 128-bit service UUIDs) and scan
/// response (complete local name), as NimBLE builds them (spec §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertising {
    /// ADV_IND payload.
    pub adv_data: Vec<u8, 31>,
    /// Scan response payload.
    pub scan_data: Vec<u8, 31>,
}

/// Errors building the advertising data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvertisingError {
    /// Name longer than [`MAX_NAME_LEN`] bytes.
    NameTooLong,
}

/// Builds the advertising data for `service_le` and device name `name` (e.g. `PROV_1a2b3c`).
pub fn advertising(service_le: &[u8; 16], name: &str) -> Result<Advertising, AdvertisingError> {
    let name = name.as_bytes();
    if name.len() > MAX_NAME_LEN {
        return Err(AdvertisingError::NameTooLong);
    }
    let mut adv_data = Vec::new();
    let mut scan_data = Vec::new();
    // Both payloads fit 31 bytes by construction (3 + 18; 2 + 29), so the pushes cannot fail.
    let _ = adv_data.extend_from_slice(&[0x02, 0x01, 0x06]); // LE General Discoverable, no BR/EDR
    let _ = adv_data.extend_from_slice(&[17, 0x07]); // Complete List of 128-bit Service UUIDs
    let _ = adv_data.extend_from_slice(service_le);
    // The name length is checked above, so `+ 1` fits a u8.
    let _ = scan_data.extend_from_slice(&[name.len() as u8 + 1, 0x09]); // Complete Local Name
    let _ = scan_data.extend_from_slice(name);
    Ok(Advertising {
        adv_data,
        scan_data,
    })
}

/// The device name `PROV_xxxxxx` from the last three bytes of the MAC, like the
/// `wifi_prov_mgr` example, so a phone lists the board the same way as an IDF one.
pub fn default_device_name(mac: [u8; 6]) -> heapless::String<16> {
    let mut name = heapless::String::new();
    let hex = b"0123456789ABCDEF";
    let _ = name.push_str("PROV_");
    for b in &mac[3..] {
        let _ = name.push(char::from(hex[usize::from(b >> 4)]));
        let _ = name.push(char::from(hex[usize::from(b & 0xF)]));
    }
    name
}

/// ATT errors the provisioning service answers writes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// A write not starting at offset 0 (ESP clients always write whole requests).
    InvalidOffset,
    /// The response does not fit the attribute (what recent IDF answers, spec §5.2).
    InvalidAttributeValueLength,
    /// The request produced no response (decrypt or handler failure; NimBLE's ATT error).
    Unlikely,
}

/// What the GATT server does with a complete write to an endpoint characteristic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Acknowledge without calling the handler (NimBLE ignores empty writes).
    Ignore,
    /// Acknowledge and make this the value the phone reads next.
    Store(alloc::vec::Vec<u8>),
    /// Answer the write with an ATT error; the link stays up.
    Reject(WriteError),
}

/// The write rules of the BLE transport: `respond` (protocomm) runs only for a non-empty
/// request written from offset 0, and its response must fit [`MAX_VALUE_LEN`].
pub fn on_endpoint_write(
    offset: usize,
    data: &[u8],
    respond: impl FnOnce(&[u8]) -> Option<alloc::vec::Vec<u8>>,
) -> WriteOutcome {
    if offset != 0 {
        return WriteOutcome::Reject(WriteError::InvalidOffset);
    }
    if data.is_empty() {
        return WriteOutcome::Ignore;
    }
    match respond(data) {
        Some(response) if response.len() <= MAX_VALUE_LEN => WriteOutcome::Store(response),
        Some(_) => WriteOutcome::Reject(WriteError::InvalidAttributeValueLength),
        None => WriteOutcome::Reject(WriteError::Unlikely),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_rules_follow_nimble() {
        let echo = |r: &[u8]| Some(r.to_vec());
        assert_eq!(
            on_endpoint_write(0, b"req", echo),
            WriteOutcome::Store(b"req".to_vec())
        );
        // The handler must not run for these.
        let never = |_: &[u8]| -> Option<alloc::vec::Vec<u8>> { panic!("handler called") };
        assert_eq!(on_endpoint_write(0, b"", never), WriteOutcome::Ignore);
        assert_eq!(
            on_endpoint_write(5, b"tail", never),
            WriteOutcome::Reject(WriteError::InvalidOffset)
        );
        assert_eq!(
            on_endpoint_write(0, b"req", |_| None),
            WriteOutcome::Reject(WriteError::Unlikely)
        );
        let full = std::vec![7u8; MAX_VALUE_LEN];
        assert_eq!(
            on_endpoint_write(0, b"req", |_| Some(full.clone())),
            WriteOutcome::Store(full.clone())
        );
        assert_eq!(
            on_endpoint_write(0, b"req", |_| Some(std::vec![0; MAX_VALUE_LEN + 1])),
            WriteOutcome::Reject(WriteError::InvalidAttributeValueLength)
        );
    }

    /// Canonical text of a little-endian UUID array.
    fn text(le: &[u8; 16]) -> std::string::String {
        let mut be = *le;
        be.reverse();
        let h: std::vec::Vec<std::string::String> =
            be.iter().map(|b| std::format!("{b:02x}")).collect();
        std::format!(
            "{}-{}-{}-{}-{}",
            h[0..4].concat(),
            h[4..6].concat(),
            h[6..8].concat(),
            h[8..10].concat(),
            h[10..16].concat()
        )
    }

    #[test]
    fn example_service_uuid_reads_as_in_the_spec() {
        assert_eq!(
            text(&EXAMPLE_SERVICE_UUID_LE),
            "021a9004-0382-4aea-bff4-6b3f1c5adfb4"
        );
    }

    #[test]
    fn endpoint_uuids_replace_digits_5_to_8() {
        // Spec §5.2: prov-ctrl 021aff4f-…, prov-session 021aff51-…, proto-ver 021aff53-….
        let expect = [
            ("prov-ctrl", "021aff4f"),
            ("prov-scan", "021aff50"),
            ("prov-session", "021aff51"),
            ("prov-config", "021aff52"),
            ("proto-ver", "021aff53"),
        ];
        for ((name, id), (ename, prefix)) in STANDARD_ENDPOINTS.iter().zip(expect) {
            assert_eq!(*name, ename);
            let t = text(&characteristic_uuid(&EXAMPLE_SERVICE_UUID_LE, *id));
            assert_eq!(t, std::format!("{prefix}-0382-4aea-bff4-6b3f1c5adfb4"));
        }
        let custom = text(&characteristic_uuid(
            &EXAMPLE_SERVICE_UUID_LE,
            FIRST_CUSTOM_ID,
        ));
        assert!(custom.starts_with("021aff54-"));
    }

    #[test]
    fn advertising_is_flags_plus_uuid_list_and_name_in_scan_response() {
        let adv = advertising(&EXAMPLE_SERVICE_UUID_LE, "PROV_1A2B3C").unwrap();
        assert_eq!(&adv.adv_data[..5], &[0x02, 0x01, 0x06, 17, 0x07]);
        assert_eq!(&adv.adv_data[5..], &EXAMPLE_SERVICE_UUID_LE);
        assert_eq!(adv.scan_data[0] as usize, adv.scan_data.len() - 1);
        assert_eq!(adv.scan_data[1], 0x09);
        assert_eq!(&adv.scan_data[2..], b"PROV_1A2B3C");
        let longest = "N".repeat(MAX_NAME_LEN);
        assert_eq!(
            advertising(&EXAMPLE_SERVICE_UUID_LE, &longest)
                .unwrap()
                .scan_data
                .len(),
            31
        );
        let too_long = "N".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            advertising(&EXAMPLE_SERVICE_UUID_LE, &too_long),
            Err(AdvertisingError::NameTooLong)
        );
    }

    #[test]
    fn device_name_uses_the_mac_tail() {
        assert_eq!(
            default_device_name([0, 1, 2, 0x1a, 0x2b, 0xc3]).as_str(),
            "PROV_1A2BC3"
        );
    }
}
