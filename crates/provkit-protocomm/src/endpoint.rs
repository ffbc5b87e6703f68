//! The endpoint table: name → class and BLE 16-bit id (spec §1, §3.1).
//!
//! ```text
//!  prov-ctrl    REQ_EP  0xFF4F      the five standard endpoints, registered in this order
//!  prov-scan    REQ_EP  0xFF50      by wifi_prov_mgr_init()
//!  prov-session SEC_EP  0xFF51
//!  prov-config  REQ_EP  0xFF52
//!  proto-ver    VER_EP  0xFF53
//!  <custom #1>  REQ_EP  0xFF54      application endpoints, in creation order
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ProtocommError;

/// `prov-session`: the security handshake endpoint.
pub const EP_SESSION: &str = "prov-session";
/// `proto-ver`: the version/capability JSON.
pub const EP_VERSION: &str = "proto-ver";
/// `prov-config`: Wi-Fi credentials and status.
pub const EP_CONFIG: &str = "prov-config";
/// `prov-scan`: Wi-Fi scan.
pub const EP_SCAN: &str = "prov-scan";
/// `prov-ctrl`: reset / re-provision (IDF v5.1+).
pub const EP_CTRL: &str = "prov-ctrl";

/// BLE id of the first custom endpoint; later ones count up from here.
pub const FIRST_CUSTOM_BLE_ID: u16 = 0xFF54;

/// Longest endpoint name accepted. The reference has no explicit limit; 32 keeps a console line
/// (256 bytes) and a GATT user description comfortably small.
pub const MAX_ENDPOINT_NAME_LEN: usize = 32;

/// How protocomm treats requests on an endpoint (`protocomm_priv.h` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointClass {
    /// `SEC_EP`: handshake messages, never encrypted.
    Session,
    /// `VER_EP`: the proto-ver JSON, never encrypted, no session needed.
    Version,
    /// `REQ_EP`: application requests, encrypted under the session's scheme.
    Request,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Name as used in the HTTP path, the console line and the GATT user description.
    pub name: String,
    /// Dispatch class.
    pub class: EndpointClass,
    /// 16-bit id substituted into the BLE service UUID.
    pub ble_id: u16,
}

/// Name → class/id table, standard endpoints first.
#[derive(Debug, Clone)]
pub struct EndpointTable {
    endpoints: Vec<Endpoint>,
    next_custom_id: Option<u16>,
}

impl Default for EndpointTable {
    fn default() -> Self {
        Self::new()
    }
}

impl EndpointTable {
    /// The five standard endpoints in the reference's registration order.
    pub fn new() -> Self {
        let standard = [
            (EP_CTRL, EndpointClass::Request, 0xFF4F),
            (EP_SCAN, EndpointClass::Request, 0xFF50),
            (EP_SESSION, EndpointClass::Session, 0xFF51),
            (EP_CONFIG, EndpointClass::Request, 0xFF52),
            (EP_VERSION, EndpointClass::Version, 0xFF53),
        ];
        let endpoints = standard
            .iter()
            .map(|&(name, class, ble_id)| Endpoint {
                name: String::from(name),
                class,
                ble_id,
            })
            .collect();
        Self {
            endpoints,
            next_custom_id: Some(FIRST_CUSTOM_BLE_ID),
        }
    }

    /// Adds an application `REQ_EP` endpoint and returns its BLE id.
    pub fn add_custom(&mut self, name: &str) -> Result<u16, ProtocommError> {
        if !is_valid_endpoint_name(name) {
            return Err(ProtocommError::InvalidEndpointName);
        }
        if self.lookup(name).is_some() {
            return Err(ProtocommError::DuplicateEndpoint);
        }
        let ble_id = self
            .next_custom_id
            .ok_or(ProtocommError::EndpointIdsExhausted)?;
        self.next_custom_id = ble_id.checked_add(1);
        self.endpoints.push(Endpoint {
            name: String::from(name),
            class: EndpointClass::Request,
            ble_id,
        });
        Ok(ble_id)
    }

    /// The row for `name`, if registered.
    pub fn lookup(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// All rows in registration order (standard endpoints, then customs).
    pub fn iter(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter()
    }

    /// Number of endpoints.
    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// Never true (the standard endpoints are always present); here for API completeness.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }
}

/// A name must survive as an HTTP path segment (`/<name>`) and as one whitespace-free console
/// token, so only visible ASCII other than `/`, `?`, `#` and `%` is allowed.
pub fn is_valid_endpoint_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ENDPOINT_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b'%'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_ids_match_spec_table() {
        let t = EndpointTable::new();
        let rows: Vec<(&str, EndpointClass, u16)> = t
            .iter()
            .map(|e| (e.name.as_str(), e.class, e.ble_id))
            .collect();
        assert_eq!(
            rows,
            [
                ("prov-ctrl", EndpointClass::Request, 0xFF4F),
                ("prov-scan", EndpointClass::Request, 0xFF50),
                ("prov-session", EndpointClass::Session, 0xFF51),
                ("prov-config", EndpointClass::Request, 0xFF52),
                ("proto-ver", EndpointClass::Version, 0xFF53),
            ]
        );
    }

    #[test]
    fn customs_count_up_from_ff54_in_creation_order() {
        let mut t = EndpointTable::new();
        assert_eq!(t.add_custom("custom-data"), Ok(0xFF54));
        assert_eq!(t.add_custom("second"), Ok(0xFF55));
        assert_eq!(
            t.lookup("second").map(|e| e.class),
            Some(EndpointClass::Request)
        );
        assert_eq!(t.len(), 7);
    }

    #[test]
    fn rejects_duplicates_and_bad_names() {
        let mut t = EndpointTable::new();
        assert_eq!(
            t.add_custom("prov-config"),
            Err(ProtocommError::DuplicateEndpoint)
        );
        for bad in [
            "",
            "a b",
            "a/b",
            "x?",
            "é",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert_eq!(
                t.add_custom(bad),
                Err(ProtocommError::InvalidEndpointName),
                "{bad:?}"
            );
        }
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn id_space_exhaustion_is_an_error() {
        let mut t = EndpointTable::new();
        let mut last = 0;
        for i in 0..=(0xFFFF - FIRST_CUSTOM_BLE_ID as usize) {
            last = t.add_custom(&alloc::format!("ep{i}")).unwrap_or(0);
        }
        assert_eq!(last, 0xFFFF);
        assert_eq!(
            t.add_custom("one-more"),
            Err(ProtocommError::EndpointIdsExhausted)
        );
    }
}
