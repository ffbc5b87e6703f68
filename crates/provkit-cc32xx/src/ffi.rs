//! [`NwpDriver`] and [`NwpSockets`] over TI's SimpleLink host driver (feature
//! `simplelink-sdk`; linking needs the SDK's `simplelink` library). The SDK calls the
//! `SimpleLink*EventHandler` functions below from its spawn task; they decode the C unions
//! into [`NwpEvent`]s and queue them (a critical section guards the queue, since the
//! callbacks run in another context than [`NwpDriver::poll_event`]).

use core::cell::RefCell;

use critical_section::Mutex;
use heapless::Deque;

use provkit_nwp::Cc32xxError;
use provkit_nwp::consts::{device, device_event, wlan_event};
use provkit_nwp::driver::{NwpDriver, NwpEvent, NwpSockets, ProfileInfo, field32};
use provkit_nwp::sys::{
    NETAPP_EVENT_IPV4_ACQUIRED, SlDeviceEvent, SlNetAppEventHead, SlSockAddrIn, SlWlanEvent,
    SlWlanNetworkEntry, SlWlanSecParams,
};

use crate::sys;

/// Events waiting for `poll_event`; when full, the newest is dropped (the host was too slow).
const QUEUE_LEN: usize = 16;

static EVENTS: Mutex<RefCell<Deque<NwpEvent, QUEUE_LEN>>> = Mutex::new(RefCell::new(Deque::new()));

fn push(event: NwpEvent) {
    critical_section::with(|cs| {
        if let Err(lost) = EVENTS.borrow_ref_mut(cs).push_back(event) {
            dropped!("NWP event queue full", lost);
        }
    });
}

fn check(ret: i16) -> Result<i16, Cc32xxError> {
    if ret < 0 {
        Err(Cc32xxError::Driver(ret))
    } else {
        Ok(ret)
    }
}

fn len_i16(bytes: &[u8]) -> Result<i16, Cc32xxError> {
    i16::try_from(bytes.len()).map_err(|_| Cc32xxError::InvalidValue("length"))
}

fn sec_params(sec_type: u8, key: &[u8]) -> Result<SlWlanSecParams, Cc32xxError> {
    Ok(SlWlanSecParams {
        sec_type,
        key: key.as_ptr().cast(),
        key_len: u8::try_from(key.len()).map_err(|_| Cc32xxError::InvalidValue("key length"))?,
    })
}

/// The real driver. Only one may exist per chip; the SDK itself is a singleton.
pub struct SimpleLink {
    _private: (),
}

impl SimpleLink {
    /// # Safety
    /// The SimpleLink spawn task and interface must be set up as the SDK requires, and no
    /// other code may call the `sl_*` API concurrently with this value.
    pub unsafe fn new() -> Self {
        Self { _private: () }
    }
}

impl NwpDriver for SimpleLink {
    fn start(&mut self) -> Result<u8, Cc32xxError> {
        // SAFETY: NULL interface/name select the defaults; no init callback = synchronous.
        let ret = unsafe { sys::sl_Start(core::ptr::null(), core::ptr::null_mut(), None) };
        u8::try_from(check(ret)?).map_err(|_| Cc32xxError::InvalidValue("role"))
    }

    fn stop(&mut self, timeout_ms: u16) -> Result<(), Cc32xxError> {
        // SAFETY: plain value argument.
        check(unsafe { sys::sl_Stop(timeout_ms) }).map(drop)
    }

    fn wlan_provisioning(
        &mut self,
        cmd: u8,
        role_after_success: u8,
        inactivity_timeout_s: u16,
        smart_config_key: Option<&[u8; 16]>,
        flags: u32,
    ) -> Result<(), Cc32xxError> {
        // The driver copies the key; it is not NUL-terminated in the API either (16 chars).
        let key = smart_config_key.map_or(core::ptr::null_mut(), |k| k.as_ptr().cast_mut().cast());
        // SAFETY: `key` is NULL or points at 16 readable bytes for the duration of the call.
        check(unsafe {
            sys::sl_WlanProvisioning(cmd, role_after_success, inactivity_timeout_s, key, flags)
        })
        .map(drop)
    }

    fn wlan_profile_add(
        &mut self,
        ssid: &[u8],
        bssid: Option<&[u8; 6]>,
        sec_type: u8,
        key: &[u8],
        priority: u8,
    ) -> Result<u8, Cc32xxError> {
        let sec = sec_params(sec_type, key)?;
        let mac = bssid.map_or(core::ptr::null(), |b| b.as_ptr());
        // SAFETY: every pointer is valid for the lengths passed, for the call's duration.
        let ret = unsafe {
            sys::sl_WlanProfileAdd(
                ssid.as_ptr().cast(),
                len_i16(ssid)?,
                mac,
                &sec,
                core::ptr::null(),
                u32::from(priority),
                0,
            )
        };
        u8::try_from(check(ret)?).map_err(|_| Cc32xxError::InvalidValue("profile index"))
    }

    fn wlan_profile_get(&mut self, index: u8) -> Result<ProfileInfo, Cc32xxError> {
        let mut name = [0i8; 32];
        let mut name_len: i16 = 0;
        let mut mac = [0u8; 6];
        let mut sec = SlWlanSecParams {
            sec_type: 0,
            key: core::ptr::null(),
            key_len: 0,
        };
        let mut priority: u32 = 0;
        // SAFETY: the buffers have the sizes the SDK documents (32-byte name, 6-byte MAC).
        check(unsafe {
            sys::sl_WlanProfileGet(
                i16::from(index),
                name.as_mut_ptr(),
                &mut name_len,
                mac.as_mut_ptr(),
                &mut sec,
                core::ptr::null_mut(),
                &mut priority,
            )
        })?;
        let len = usize::try_from(name_len).unwrap_or(0).min(32);
        let bytes = name.map(|c| c as u8);
        Ok(ProfileInfo {
            ssid: field32(bytes.get(..len).unwrap_or_default()),
            bssid: (mac != [0; 6]).then_some(mac),
            sec_type: sec.sec_type,
            priority: u8::try_from(priority).unwrap_or(u8::MAX),
        })
    }

    fn wlan_profile_del(&mut self, index: u8) -> Result<(), Cc32xxError> {
        // SAFETY: plain value argument.
        check(unsafe { sys::sl_WlanProfileDel(i16::from(index)) }).map(drop)
    }

    fn wlan_connect(
        &mut self,
        ssid: &[u8],
        bssid: Option<&[u8; 6]>,
        sec_type: u8,
        key: &[u8],
    ) -> Result<(), Cc32xxError> {
        let sec = sec_params(sec_type, key)?;
        let mac = bssid.map_or(core::ptr::null(), |b| b.as_ptr());
        // SAFETY: every pointer is valid for the lengths passed, for the call's duration.
        check(unsafe {
            sys::sl_WlanConnect(
                ssid.as_ptr().cast(),
                len_i16(ssid)?,
                mac,
                &sec,
                core::ptr::null(),
            )
        })
        .map(drop)
    }

    fn wlan_disconnect(&mut self) -> Result<(), Cc32xxError> {
        // SAFETY: no arguments.
        check(unsafe { sys::sl_WlanDisconnect() }).map(drop)
    }

    fn wlan_policy_set(&mut self, policy_type: u8, policy: u8) -> Result<(), Cc32xxError> {
        // SAFETY: NULL value with length 0 is the documented form for the connection policy.
        check(unsafe { sys::sl_WlanPolicySet(policy_type, policy, core::ptr::null_mut(), 0) })
            .map(drop)
    }

    fn wlan_set_mode(&mut self, role: u8) -> Result<(), Cc32xxError> {
        // SAFETY: plain value argument.
        check(unsafe { sys::sl_WlanSetMode(role) }).map(drop)
    }

    fn wlan_get_network_list(
        &mut self,
        index: u8,
        out: &mut [SlWlanNetworkEntry],
    ) -> Result<usize, Cc32xxError> {
        let count = u8::try_from(out.len()).unwrap_or(u8::MAX);
        // SAFETY: `out` holds at least `count` entries.
        let n = check(unsafe { sys::sl_WlanGetNetworkList(index, count, out.as_mut_ptr()) })?;
        Ok(usize::try_from(n).unwrap_or(0).min(out.len()))
    }

    fn netapp_set(&mut self, app_id: u8, option: u8, value: &[u8]) -> Result<(), Cc32xxError> {
        let len = u8::try_from(value.len()).map_err(|_| Cc32xxError::InvalidValue("option"))?;
        // SAFETY: `value` is valid for `len` bytes.
        check(unsafe { sys::sl_NetAppSet(app_id, option, len, value.as_ptr()) }).map(drop)
    }

    fn netapp_start(&mut self, app_bitmap: u32) -> Result<(), Cc32xxError> {
        // SAFETY: plain value argument.
        check(unsafe { sys::sl_NetAppStart(app_bitmap) }).map(drop)
    }

    fn netapp_stop(&mut self, app_bitmap: u32) -> Result<(), Cc32xxError> {
        // SAFETY: plain value argument.
        check(unsafe { sys::sl_NetAppStop(app_bitmap) }).map(drop)
    }

    fn device_get_version(&mut self) -> Result<(), Cc32xxError> {
        let mut option = device::GENERAL_VERSION;
        let mut len = device::VERSION_LEN;
        // u32 words: `SlDeviceVersion_t` starts with a `_u32`.
        let mut version = [0u32; 5];
        // SAFETY: `version` is 20 writable, 4-aligned bytes; `option`/`len` are valid.
        check(unsafe {
            sys::sl_DeviceGet(
                device::GENERAL,
                &mut option,
                &mut len,
                version.as_mut_ptr().cast(),
            )
        })
        .map(drop)
    }

    fn poll_event(&mut self) -> Option<NwpEvent> {
        critical_section::with(|cs| EVENTS.borrow_ref_mut(cs).pop_front())
    }
}

const SL_AF_INET: i16 = 2;
const SL_SOCK_STREAM: i16 = 1;
const SL_SOL_SOCKET: i16 = 1;
const SL_SO_NONBLOCKING: i16 = 24;
const SL_ERROR_BSD_EAGAIN: i16 = -11;

fn sock(ret: i16) -> Result<i16, Cc32xxError> {
    match ret {
        SL_ERROR_BSD_EAGAIN => Err(Cc32xxError::WouldBlock),
        r => check(r),
    }
}

impl NwpSockets for SimpleLink {
    fn tcp_listen(&mut self, port: u16) -> Result<i16, Cc32xxError> {
        // SAFETY: plain value arguments.
        let sd = check(unsafe { sys::sl_Socket(SL_AF_INET, SL_SOCK_STREAM, 0) })?;
        let addr = SlSockAddrIn {
            sin_family: SL_AF_INET as u16,
            sin_port: port.to_be(),
            sin_addr: 0,
            sin_zero: [0; 8],
        };
        let non_blocking: u32 = 1;
        // SAFETY: `addr` and `non_blocking` outlive the calls; sizes are theirs.
        unsafe {
            check(sys::sl_Bind(
                sd,
                &addr,
                core::mem::size_of::<SlSockAddrIn>() as i16,
            ))?;
            check(sys::sl_Listen(sd, 2))?;
            check(sys::sl_SetSockOpt(
                sd,
                SL_SOL_SOCKET,
                SL_SO_NONBLOCKING,
                (&raw const non_blocking).cast(),
                4,
            ))?;
        }
        Ok(sd)
    }

    fn accept(&mut self, listener: i16) -> Result<i16, Cc32xxError> {
        let mut addr = SlSockAddrIn::default();
        let mut len = core::mem::size_of::<SlSockAddrIn>() as u16;
        // SAFETY: `addr`/`len` are valid out-parameters.
        sock(unsafe { sys::sl_Accept(listener, &mut addr, &mut len) })
    }

    fn recv(&mut self, sd: i16, buf: &mut [u8]) -> Result<usize, Cc32xxError> {
        let len = i16::try_from(buf.len()).unwrap_or(i16::MAX);
        // SAFETY: `buf` is writable for `len` bytes.
        let n = sock(unsafe { sys::sl_Recv(sd, buf.as_mut_ptr().cast(), len, 0) })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn send(&mut self, sd: i16, data: &[u8]) -> Result<usize, Cc32xxError> {
        let len = i16::try_from(data.len()).unwrap_or(i16::MAX);
        // SAFETY: `data` is readable for `len` bytes.
        let n = sock(unsafe { sys::sl_Send(sd, data.as_ptr().cast(), len, 0) })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn close(&mut self, sd: i16) -> Result<(), Cc32xxError> {
        // SAFETY: plain value argument.
        check(unsafe { sys::sl_Close(sd) }).map(drop)
    }
}

/// Decode a WLAN event (the union member is chosen by `id`, as the SDK does).
///
/// # Safety
/// `event` must be a fully initialised event from the driver.
pub unsafe fn decode_wlan_event(event: &SlWlanEvent) -> Option<NwpEvent> {
    // SAFETY (all arms): the id names the union member the driver wrote.
    unsafe {
        match event.id {
            wlan_event::PROVISIONING_STATUS => {
                let s = event.data.provisioning_status;
                let len = usize::from(s.ssid_len).min(32);
                Some(NwpEvent::ProvisioningStatus {
                    status: s.provisioning_status,
                    role: s.role,
                    wlan_status: s.wlan_status,
                    ssid: field32(s.ssid.get(..len).unwrap_or_default()),
                })
            }
            wlan_event::PROVISIONING_PROFILE_ADDED => {
                let p = event.data.provisioning_profile_added;
                let ssid_len = usize::try_from(p.ssid_len).unwrap_or(0).min(32);
                let token_len = usize::try_from(p.reserved_len).unwrap_or(0).min(32);
                Some(NwpEvent::ProfileAdded {
                    status: p.status,
                    ssid: field32(p.ssid.get(..ssid_len).unwrap_or_default()),
                    token: field32(p.reserved.get(..token_len).unwrap_or_default()),
                })
            }
            wlan_event::CONNECT => {
                let c = event.data.connect;
                let len = usize::from(c.ssid_len).min(32);
                Some(NwpEvent::WlanConnected {
                    ssid: field32(c.ssid_name.get(..len).unwrap_or_default()),
                    bssid: c.bssid,
                })
            }
            wlan_event::DISCONNECT => {
                let d = event.data.disconnect;
                let len = usize::from(d.ssid_len).min(32);
                Some(NwpEvent::WlanDisconnected {
                    ssid: field32(d.ssid_name.get(..len).unwrap_or_default()),
                    reason_code: d.reason_code,
                })
            }
            _ => None,
        }
    }
}

/// SDK callback: WLAN events.
///
/// # Safety
/// Called by the SimpleLink driver with a valid event pointer (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SimpleLinkWlanEventHandler(event: *mut SlWlanEvent) {
    // SAFETY: the driver passes a valid event or NULL.
    if let Some(event) = unsafe { event.as_ref() }
        && let Some(decoded) = unsafe { decode_wlan_event(event) }
    {
        push(decoded);
    }
}

/// SDK callback: device (general) events; only RESET_REQUEST matters here.
///
/// # Safety
/// Called by the SimpleLink driver with a valid event pointer (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SimpleLinkGeneralEventHandler(event: *mut SlDeviceEvent) {
    // SAFETY: the driver passes a valid event or NULL; the id selects the member.
    if let Some(event) = unsafe { event.as_ref() }
        && event.id == device_event::RESET_REQUEST
    {
        let r = unsafe { event.data.reset_request };
        push(NwpEvent::ResetRequest {
            status: r.status,
            caller: r.caller,
        });
    }
}

/// SDK callback: NetApp events; IPv4 acquired becomes [`NwpEvent::IpAcquired`].
///
/// # Safety
/// Called by the SimpleLink driver with a valid event pointer (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SimpleLinkNetAppEventHandler(event: *mut SlNetAppEventHead) {
    // SAFETY: the driver passes a valid event or NULL.
    if let Some(event) = unsafe { event.as_ref() }
        && event.id == NETAPP_EVENT_IPV4_ACQUIRED
    {
        push(NwpEvent::IpAcquired {
            ip: event.ip.to_be_bytes(),
        });
    }
}
