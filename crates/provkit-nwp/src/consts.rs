//! Constants of the SimpleLink host driver (`wlan.h`, `device.h`, `errors.h`, `netapp.h`,
//! SDK 3.30; ti-simplelink.md §3, §7, §8, §9). Names keep TI's spelling minus the `SL_`
//! prefix so a reader can grep the SDK headers.

/// `sl_WlanProvisioning` commands (`SL_WLAN_PROVISIONING_CMD_*`).
pub mod cmd {
    /// AP mode.
    pub const START_MODE_AP: u8 = 0;
    /// SmartConfig only.
    pub const START_MODE_SC: u8 = 1;
    /// AP + SmartConfig.
    pub const START_MODE_APSC: u8 = 2;
    /// AP + SmartConfig + a host-implemented external method.
    pub const START_MODE_APSC_EXTERNAL_CONFIGURATION: u8 = 3;
    /// Stop provisioning.
    pub const STOP: u8 = 4;
    /// The host's external (cloud) confirmation failed.
    pub const ABORT_EXTERNAL_CONFIRMATION: u8 = 5;
    /// `Flags` bit: the host completes the confirmation (cloud).
    pub const FLAG_EXTERNAL_CONFIRMATION: u32 = 0x0000_0001;
    /// `RequestedRoleAfterSuccess` with STOP: remain in the current role.
    pub const REMAIN_IN_CURRENT_ROLE: u8 = 0xFF;
    /// `SL_WLAN_SMART_CONFIG_KEY_LENGTH`.
    pub const SMART_CONFIG_KEY_LENGTH: usize = 16;
}

/// `SL_WLAN_PROVISIONING_*` status values of the provisioning-status event (§7.2).
pub mod status {
    /// Unknown error.
    pub const GENERAL_ERROR: u8 = 0;
    /// SSID not found.
    pub const CONFIRMATION_STATUS_FAIL_NETWORK_NOT_FOUND: u8 = 1;
    /// Association failed (wrong key).
    pub const CONFIRMATION_STATUS_FAIL_CONNECTION_FAILED: u8 = 2;
    /// Connected, no IP.
    pub const CONFIRMATION_STATUS_CONNECTION_SUCCESS_IP_NOT_ACQUIRED: u8 = 3;
    /// Connected with IP, feedback not delivered.
    pub const CONFIRMATION_STATUS_SUCCESS_FEEDBACK_FAILED: u8 = 4;
    /// Confirmed.
    pub const CONFIRMATION_STATUS_SUCCESS: u8 = 5;
    /// Not started: unknown error.
    pub const ERROR_ABORT: u8 = 6;
    /// Not started: bad parameter.
    pub const ERROR_ABORT_INVALID_PARAM: u8 = 7;
    /// Not started: HTTP server disabled.
    pub const ERROR_ABORT_HTTP_SERVER_DISABLED: u8 = 8;
    /// Not started: 7 profiles stored.
    pub const ERROR_ABORT_PROFILE_LIST_FULL: u8 = 9;
    /// Already running.
    pub const ERROR_ABORT_PROVISIONING_ALREADY_STARTED: u8 = 10;
    /// The NWP started provisioning by itself.
    pub const AUTO_STARTED: u8 = 11;
    /// Provisioning ended; role / WLAN status / SSID valid.
    pub const STOPPED: u8 = 12;
    /// SmartConfig receiver synced.
    pub const SMART_CONFIG_SYNCED: u8 = 13;
    /// SmartConfig sync lost.
    pub const SMART_CONFIG_SYNC_TIMEOUT: u8 = 14;
    /// Confirmation: associated.
    pub const CONFIRMATION_WLAN_CONNECT: u8 = 15;
    /// Confirmation: IP acquired.
    pub const CONFIRMATION_IP_ACQUIRED: u8 = 16;
    /// Mode 3 started; the host may start its external method.
    pub const EXTERNAL_CONFIGURATION_READY: u8 = 17;
}

/// Negative return codes (`errors.h`, §8).
pub mod error {
    /// Any host API other than provisioning / `sl_Stop` while provisioning.
    pub const RET_CODE_PROVISIONING_IN_PROGRESS: i16 = -2014;
    /// Scan configuration during provisioning.
    pub const ERROR_WLAN_CANNOT_CONFIG_SCAN_DURING_PROVISIONING: i16 = -2052;
    /// Start while running.
    pub const ERROR_WLAN_PROVISIONING_ABORT_PROVISIONING_ALREADY_STARTED: i16 = -2169;
    /// AP provisioning without the HTTP server.
    pub const ERROR_WLAN_PROVISIONING_ABORT_HTTP_SERVER_DISABLED: i16 = -2170;
    /// Seven profiles stored.
    pub const ERROR_WLAN_PROVISIONING_ABORT_PROFILE_LIST_FULL: i16 = -2171;
    /// Bad parameter.
    pub const ERROR_WLAN_PROVISIONING_ABORT_INVALID_PARAM: i16 = -2172;
    /// Unknown failure.
    pub const ERROR_WLAN_PROVISIONING_ABORT_GENERAL_ERROR: i16 = -2173;
    /// STOP / ABORT when not applicable.
    pub const ERROR_WLAN_PROVISIONING_CMD_NOT_EXPECTED: i16 = -2177;
}

/// `SlWlanMode_e`.
pub mod role {
    /// Station.
    pub const ROLE_STA: u8 = 0;
    /// Reserved.
    pub const ROLE_RESERVED: u8 = 1;
    /// Access point.
    pub const ROLE_AP: u8 = 2;
    /// Wi-Fi Direct.
    pub const ROLE_P2P: u8 = 3;
}

/// `SL_WLAN_SEC_TYPE_*` (SDK 3.30; 11, 12, 15 from the newer SDK).
pub mod sec_type {
    /// Open.
    pub const OPEN: u8 = 0;
    /// WEP.
    pub const WEP: u8 = 1;
    /// WPA/WPA2 personal.
    pub const WPA_WPA2: u8 = 2;
    /// WPS push button.
    pub const WPS_PBC: u8 = 3;
    /// WPS PIN.
    pub const WPS_PIN: u8 = 4;
    /// WPA enterprise.
    pub const WPA_ENT: u8 = 5;
    /// P2P push button.
    pub const P2P_PBC: u8 = 6;
    /// P2P PIN keypad.
    pub const P2P_PIN_KEYPAD: u8 = 7;
    /// P2P PIN display.
    pub const P2P_PIN_DISPLAY: u8 = 8;
    /// P2P PIN auto (unsupported by the NWP).
    pub const P2P_PIN_AUTO: u8 = 9;
    /// WEP shared key.
    pub const WEP_SHARED: u8 = 10;
    /// WPA3/WPA2 transition (newer SDK).
    pub const WPA2_PLUS: u8 = 11;
    /// WPA3 (newer SDK).
    pub const WPA3: u8 = 12;
    /// Pre-computed PMK (newer SDK).
    pub const WPA_PMK: u8 = 15;
}

/// `SlWlanEventId_e` values the adapter handles.
pub mod wlan_event {
    /// Station connected.
    pub const CONNECT: u32 = 1;
    /// Station disconnected.
    pub const DISCONNECT: u32 = 2;
    /// Provisioning status.
    pub const PROVISIONING_STATUS: u32 = 13;
    /// Provisioning profile added.
    pub const PROVISIONING_PROFILE_ADDED: u32 = 14;
}

/// `SlDeviceEventId_e` values the adapter handles.
pub mod device_event {
    /// The NWP asks the host to restart it.
    pub const RESET_REQUEST: u32 = 6;
    /// `SL_DEVICE_RESET_REQUEST_CALLER_PROVISIONING`.
    pub const RESET_REQUEST_CALLER_PROVISIONING: u16 = 0;
    /// `SL_DEVICE_RESET_REQUEST_CALLER_PROVISIONING_EXTERNAL_CONFIGURATION`.
    pub const RESET_REQUEST_CALLER_PROVISIONING_EXTERNAL_CONFIGURATION: u16 = 1;
}

/// `sl_DeviceGet` ids (`device.h`).
pub mod device {
    /// `SL_DEVICE_GENERAL`.
    pub const GENERAL: u8 = 1;
    /// `SL_DEVICE_GENERAL_VERSION`.
    pub const GENERAL_VERSION: u8 = 12;
    /// `sizeof(SlDeviceVersion_t)`: chip id, three 4-byte versions, ROM version, padding.
    pub const VERSION_LEN: u16 = 20;
}

/// WLAN status carried by STOPPED.
pub mod wlan_status {
    /// Disconnected.
    pub const DISCONNECTED: u8 = 0;
    /// Scanning.
    pub const SCANING: u8 = 1;
    /// Connecting.
    pub const CONNECTING: u8 = 2;
    /// Connected.
    pub const CONNECTED: u8 = 3;
}

/// Policies and NetApp ids.
pub mod policy {
    /// `SL_WLAN_POLICY_CONNECTION`.
    pub const POLICY_CONNECTION: u8 = 0x10;
    /// `SL_WLAN_POLICY_SCAN` (−2052 while provisioning).
    pub const POLICY_SCAN: u8 = 0x20;
    /// `SL_NETAPP_HTTP_SERVER_ID`.
    pub const NETAPP_HTTP_SERVER_ID: u32 = 0x01;
    /// `SL_NETAPP_DEVICE_ID` (set id of the URN option).
    pub const NETAPP_DEVICE_ID: u8 = 0x10;
    /// `SL_NETAPP_DEVICE_URN`.
    pub const NETAPP_DEVICE_URN: u8 = 0;
    /// `SL_WLAN_MAX_PROFILES`.
    pub const MAX_PROFILES: usize = 7;
    /// `sl_WlanProfileDel(SL_WLAN_DEL_ALL_PROFILES)`.
    pub const DEL_ALL_PROFILES: u8 = 255;
    /// `SL_WLAN_SSID_MAX_LENGTH`.
    pub const SSID_MAX_LENGTH: usize = 32;
    /// Highest profile priority.
    pub const MAX_PRIORITY: u8 = 15;
    /// `SL_NETAPP_MAX_DEVICE_URN_LEN` (device name).
    pub const MAX_DEVICE_URN_LEN: usize = 32;

    /// `SL_WLAN_CONNECTION_POLICY(Auto, Fast, anyP2P, autoProvisioning)`: bits 0, 1, 3, 5.
    pub const fn connection_policy(auto: bool, fast: bool, any_p2p: bool, auto_prov: bool) -> u8 {
        (auto as u8) | (fast as u8) << 1 | (any_p2p as u8) << 3 | (auto_prov as u8) << 5
    }
}
