//! The `extern "C"` declarations of the SimpleLink host-driver functions the adapter calls
//! (SDK 3.30 `wlan.h`, `device.h`, `netapp.h`, `socket.h`); linked from TI's SDK (feature
//! `simplelink-sdk`). The structures they take are `provkit_nwp::sys`.

use provkit_nwp::sys::{SlSockAddrIn, SlWlanNetworkEntry, SlWlanSecParams};

#[allow(missing_docs)]
unsafe extern "C" {
    pub fn sl_Start(
        if_hdl: *const core::ffi::c_void,
        dev_name: *mut i8,
        init_callback: Option<unsafe extern "C" fn(status: u32, dev_info: *mut core::ffi::c_void)>,
    ) -> i16;
    pub fn sl_Stop(timeout: u16) -> i16;
    pub fn sl_DeviceGet(
        device_get_id: u8,
        option: *mut u8,
        config_len: *mut u16,
        values: *mut u8,
    ) -> i16;
    pub fn sl_WlanProvisioning(
        provisioning_cmd: u8,
        requested_role_after_success: u8,
        inactivity_timeout_sec: u16,
        smart_config_key: *mut i8,
        flags: u32,
    ) -> i16;
    pub fn sl_WlanProfileAdd(
        name: *const i8,
        name_len: i16,
        mac_addr: *const u8,
        sec_params: *const SlWlanSecParams,
        sec_ext_params: *const core::ffi::c_void,
        priority: u32,
        options: u32,
    ) -> i16;
    pub fn sl_WlanProfileGet(
        index: i16,
        name: *mut i8,
        name_len: *mut i16,
        mac_addr: *mut u8,
        sec_params: *mut SlWlanSecParams,
        sec_ext_params: *mut core::ffi::c_void,
        priority: *mut u32,
    ) -> i16;
    pub fn sl_WlanProfileDel(index: i16) -> i16;
    pub fn sl_WlanConnect(
        name: *const i8,
        name_len: i16,
        mac_addr: *const u8,
        sec_params: *const SlWlanSecParams,
        sec_ext_params: *const core::ffi::c_void,
    ) -> i16;
    pub fn sl_WlanDisconnect() -> i16;
    pub fn sl_WlanPolicySet(policy_type: u8, policy: u8, val: *mut u8, val_len: u8) -> i16;
    pub fn sl_WlanSetMode(mode: u8) -> i16;
    pub fn sl_WlanGetNetworkList(index: u8, count: u8, entries: *mut SlWlanNetworkEntry) -> i16;
    pub fn sl_NetAppSet(app_id: u8, option: u8, option_len: u8, option_value: *const u8) -> i16;
    pub fn sl_NetAppStart(app_bit_map: u32) -> i16;
    pub fn sl_NetAppStop(app_bit_map: u32) -> i16;
    pub fn sl_Socket(domain: i16, sock_type: i16, protocol: i16) -> i16;
    pub fn sl_Bind(sd: i16, addr: *const SlSockAddrIn, addr_len: i16) -> i16;
    pub fn sl_Listen(sd: i16, backlog: i16) -> i16;
    pub fn sl_Accept(sd: i16, addr: *mut SlSockAddrIn, addr_len: *mut u16) -> i16;
    pub fn sl_Recv(sd: i16, buf: *mut core::ffi::c_void, len: i16, flags: i16) -> i16;
    pub fn sl_Send(sd: i16, buf: *const core::ffi::c_void, len: i16, flags: i16) -> i16;
    pub fn sl_Close(sd: i16) -> i16;
    pub fn sl_SetSockOpt(
        sd: i16,
        level: i16,
        optname: i16,
        optval: *const core::ffi::c_void,
        optlen: u16,
    ) -> i16;
}
