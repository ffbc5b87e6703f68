//! `#[repr(C)]` mirrors of the SimpleLink host-driver structures (SDK 3.30 `wlan.h`,
//! `device.h`, `netapp.h`): the layouts the driver seam and the C driver share. The
//! `extern "C"` declarations of the functions live with the adapter's FFI
//! (`provkit-cc32xx`, feature `simplelink-sdk`).
//!
//! Layouts follow the SDK headers field by field (the driver is built with the default ARM
//! EABI packing); the tests pin their sizes so an accidental edit shows up.

/// `SlWlanSecParams_t`: security type and key of a connect / profile add.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlWlanSecParams {
    /// `SL_WLAN_SEC_TYPE_*`.
    pub sec_type: u8,
    /// Key bytes (not NUL-terminated; `key_len` counts them).
    pub key: *const i8,
    /// Key length.
    pub key_len: u8,
}

/// `SlWlanNetworkEntry_t`: one scan result of `sl_WlanGetNetworkList`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlWlanNetworkEntry {
    /// SSID bytes.
    pub ssid: [u8; 32],
    /// BSSID.
    pub bssid: [u8; 6],
    /// Valid bytes in `ssid`.
    pub ssid_len: u8,
    /// Signal strength, dBm.
    pub rssi: i8,
    /// Security bits (`SL_WLAN_SCAN_RESULT_SEC_TYPE_BITMAP` etc.).
    pub security_info: i16,
    /// Channel.
    pub channel: u8,
    /// Padding in the header.
    pub reserved: [i8; 1],
}

/// `SlWlanEventConnect_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlWlanEventConnect {
    /// Valid bytes in `ssid_name`.
    pub ssid_len: u8,
    /// SSID.
    pub ssid_name: [u8; 32],
    /// BSSID.
    pub bssid: [u8; 6],
}

/// `SlWlanEventDisconnect_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlWlanEventDisconnect {
    /// Valid bytes in `ssid_name`.
    pub ssid_len: u8,
    /// SSID.
    pub ssid_name: [u8; 32],
    /// BSSID.
    pub bssid: [u8; 6],
    /// `SL_WLAN_DISCONNECT_*` reason.
    pub reason_code: u16,
}

/// `SlWlanEventProvisioningStatus_t` (§7.2).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlWlanEventProvisioningStatus {
    /// Status 0–17.
    pub provisioning_status: u8,
    /// Role after STOPPED.
    pub role: u8,
    /// WLAN status with STOPPED and role STA.
    pub wlan_status: u8,
    /// Valid bytes of `ssid` (when connected).
    pub ssid_len: u8,
    /// SSID.
    pub ssid: [u8; 32],
    /// Reserved.
    pub reserved: u32,
}

/// `SlWlanEventProvisioningProfileAdded_t` (§7.3).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlWlanEventProvisioningProfileAdded {
    /// Status (meaning unconfirmed by TI's documents).
    pub status: u32,
    /// Valid bytes of `ssid`.
    pub ssid_len: u32,
    /// SSID.
    pub ssid: [u8; 32],
    /// Valid bytes of `reserved` (the private token in TI's demo).
    pub reserved_len: u32,
    /// Private token.
    pub reserved: [u8; 32],
}

/// `SlWlanEventData_u`, reduced to the members the adapter reads plus room for the rest.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SlWlanEventData {
    /// `SL_WLAN_EVENT_CONNECT`.
    pub connect: SlWlanEventConnect,
    /// `SL_WLAN_EVENT_DISCONNECT`.
    pub disconnect: SlWlanEventDisconnect,
    /// `SL_WLAN_EVENT_PROVISIONING_STATUS`.
    pub provisioning_status: SlWlanEventProvisioningStatus,
    /// `SL_WLAN_EVENT_PROVISIONING_PROFILE_ADDED`.
    pub provisioning_profile_added: SlWlanEventProvisioningProfileAdded,
    /// The P2P members of the real union are larger than ours; never read.
    pub reserved: [u8; 128],
}

/// `SlWlanEvent_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SlWlanEvent {
    /// `SL_WLAN_EVENT_*`.
    pub id: u32,
    /// Payload selected by `id`.
    pub data: SlWlanEventData,
}

/// `SlDeviceEventResetRequest_t` (§7.4).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlDeviceEventResetRequest {
    /// Status.
    pub status: i16,
    /// `SL_DEVICE_RESET_REQUEST_CALLER_*`.
    pub caller: u16,
}

/// `SlDeviceEventData_u`, reduced.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SlDeviceEventData {
    /// `SL_DEVICE_EVENT_RESET_REQUEST`.
    pub reset_request: SlDeviceEventResetRequest,
    /// Room for the error members of the real union; never read.
    pub reserved: [u8; 16],
}

/// `SlDeviceEvent_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SlDeviceEvent {
    /// `SL_DEVICE_EVENT_*`.
    pub id: u32,
    /// Payload selected by `id`.
    pub data: SlDeviceEventData,
}

/// `SlNetAppEvent_t` head: only the id is read (IP acquired = 1 for IPv4).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SlNetAppEventHead {
    /// `SL_NETAPP_EVENT_*`.
    pub id: u32,
    /// `SlIpV4AcquiredAsync_t.Ip` when `id` is IPv4 acquired.
    pub ip: u32,
}

/// `SL_NETAPP_EVENT_IPV4_ACQUIRED`.
pub const NETAPP_EVENT_IPV4_ACQUIRED: u32 = 1;

/// `SlSockAddrIn_t` for the socket calls of protocomm mode.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct SlSockAddrIn {
    /// `SL_AF_INET` = 2.
    pub sin_family: u16,
    /// Port, network byte order.
    pub sin_port: u16,
    /// Address, network byte order.
    pub sin_addr: u32,
    /// Padding.
    pub sin_zero: [i8; 8],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_struct_sizes_match_the_sdk_headers() {
        // 4 × u8 + 32-byte SSID + u32 = 40 bytes.
        assert_eq!(core::mem::size_of::<SlWlanEventProvisioningStatus>(), 40);
        // 3 × u32 + 2 × 32 bytes = 76.
        assert_eq!(
            core::mem::size_of::<SlWlanEventProvisioningProfileAdded>(),
            76
        );
        assert_eq!(core::mem::size_of::<SlDeviceEventResetRequest>(), 4);
        assert_eq!(core::mem::size_of::<SlWlanNetworkEntry>(), 44);
    }
}
