//! The adapter's own logic against a scripted driver: event decoding, the raw command
//! encoding, the deferred start after the −2014 probe and the RESET_REQUEST restart.

use std::collections::VecDeque;

use provkit_cc32xx::native::raw_command;
use provkit_cc32xx::{NativeEvent, NativeProvisioning, StartOutcome};
use provkit_manager::{
    ResetCaller, Role, TiCommand, TiEvent, TiMode, TiStartParams, TiStatus, TiWlanStatus,
};
use provkit_nwp::Cc32xxError;
use provkit_nwp::consts::{cmd, error, role, status};
use provkit_nwp::driver::{NwpDriver, NwpEvent, ProfileInfo, field32, ti_status_from_code};
use provkit_nwp::sys::SlWlanNetworkEntry;

#[derive(Default)]
struct Scripted {
    calls: Vec<String>,
    events: VecDeque<NwpEvent>,
    probe: Option<i16>,
    role: u8,
}

impl NwpDriver for Scripted {
    fn start(&mut self) -> Result<u8, Cc32xxError> {
        self.calls.push("start".into());
        Ok(self.role)
    }
    fn stop(&mut self, t: u16) -> Result<(), Cc32xxError> {
        self.calls.push(format!("stop {t}"));
        Ok(())
    }
    fn wlan_provisioning(
        &mut self,
        c: u8,
        r: u8,
        t: u16,
        k: Option<&[u8; 16]>,
        f: u32,
    ) -> Result<(), Cc32xxError> {
        self.calls
            .push(format!("prov {c} {r} {t} {} {f}", k.is_some()));
        Ok(())
    }
    fn wlan_profile_add(
        &mut self,
        _: &[u8],
        _: Option<&[u8; 6]>,
        _: u8,
        _: &[u8],
        _: u8,
    ) -> Result<u8, Cc32xxError> {
        Ok(0)
    }
    fn wlan_profile_get(&mut self, _: u8) -> Result<ProfileInfo, Cc32xxError> {
        Err(Cc32xxError::InvalidValue("none"))
    }
    fn wlan_profile_del(&mut self, _: u8) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn wlan_connect(
        &mut self,
        _: &[u8],
        _: Option<&[u8; 6]>,
        _: u8,
        _: &[u8],
    ) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn wlan_disconnect(&mut self) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn wlan_policy_set(&mut self, _: u8, _: u8) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn wlan_set_mode(&mut self, r: u8) -> Result<(), Cc32xxError> {
        self.calls.push(format!("mode {r}"));
        self.role = r;
        Ok(())
    }
    fn wlan_get_network_list(
        &mut self,
        _: u8,
        _: &mut [SlWlanNetworkEntry],
    ) -> Result<usize, Cc32xxError> {
        Ok(0)
    }
    fn netapp_set(&mut self, _: u8, _: u8, _: &[u8]) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn netapp_start(&mut self, _: u32) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn netapp_stop(&mut self, _: u32) -> Result<(), Cc32xxError> {
        Ok(())
    }
    fn device_get_version(&mut self) -> Result<(), Cc32xxError> {
        self.calls.push("probe".into());
        match self.probe {
            Some(code) => Err(Cc32xxError::Driver(code)),
            None => Ok(()),
        }
    }
    fn poll_event(&mut self) -> Option<NwpEvent> {
        self.events.pop_front()
    }
}

fn start_params() -> TiStartParams {
    TiStartParams {
        mode: TiMode::ApSc,
        role_after_success: Role::Sta,
        inactivity_timeout_s: 600,
        smart_config_key: Some(*b"Key0Key0Key0Key0"),
        external_confirmation: true,
    }
}

#[test]
fn raw_commands_round_trip_through_the_manager_parser() {
    let commands = [
        TiCommand::Start(start_params()),
        TiCommand::Stop { role: None },
        TiCommand::Stop {
            role: Some(Role::Ap),
        },
        TiCommand::AbortExternalConfirmation,
    ];
    for command in commands {
        let (c, r, t, k, f) = raw_command(&command);
        let parsed = TiCommand::from_raw(c, r, t, k.as_ref().map(|k| k.as_slice()), f).unwrap();
        assert_eq!(parsed, command);
    }
    // The header's own examples (TI §3.1).
    assert_eq!(
        raw_command(&TiCommand::Start(start_params())).0,
        cmd::START_MODE_APSC
    );
    assert_eq!(
        raw_command(&TiCommand::Start(start_params())).4,
        cmd::FLAG_EXTERNAL_CONFIRMATION
    );
    assert_eq!(
        raw_command(&TiCommand::Stop { role: None }),
        (cmd::STOP, cmd::REMAIN_IN_CURRENT_ROLE, 0, None, 0)
    );
}

#[test]
fn every_status_code_decodes_and_18_is_rejected() {
    for code in 0..=17u8 {
        let s = ti_status_from_code(code).unwrap();
        assert_eq!(s as u8, code);
        let raw = NwpEvent::ProvisioningStatus {
            status: code,
            role: role::ROLE_AP,
            wlan_status: 3,
            ssid: field32(b"HomeNet"),
        };
        let Some(TiEvent::ProvisioningStatus {
            status,
            role: r,
            wlan_status,
            ssid,
        }) = raw.to_ti_event().unwrap()
        else {
            panic!("not a status event");
        };
        assert_eq!(
            (status, r, wlan_status),
            (s, Role::Ap, TiWlanStatus::Connected)
        );
        assert_eq!(ssid.unwrap().as_bytes(), b"HomeNet");
        // Encoding back gives the same raw event.
        let back = NwpEvent::from_ti_event(&TiEvent::ProvisioningStatus {
            status,
            role: r,
            wlan_status,
            ssid: Some(provkit_hal::Ssid::new(b"HomeNet").unwrap()),
        });
        assert_eq!(back, raw);
    }
    assert!(ti_status_from_code(18).is_err());
    // An unknown role is only an error where the field is defined (STOPPED).
    let stopped_bad_role = NwpEvent::ProvisioningStatus {
        status: status::STOPPED,
        role: 7,
        wlan_status: 0,
        ssid: field32(b""),
    };
    assert_eq!(
        stopped_bad_role.to_ti_event(),
        Err(Cc32xxError::InvalidValue("role"))
    );
}

#[test]
fn deferred_start_waits_for_stopped() {
    let driver = Scripted {
        probe: Some(error::RET_CODE_PROVISIONING_IN_PROGRESS),
        ..Scripted::default()
    };
    let mut a = NativeProvisioning::new(driver);
    assert_eq!(
        a.start(TiCommand::Start(start_params())).unwrap(),
        StartOutcome::Deferred
    );
    assert_eq!(a.driver().calls, ["probe", "prov 4 255 0 false 0"]);
    a.driver().events.push_back(NwpEvent::ProvisioningStatus {
        status: status::STOPPED,
        role: role::ROLE_AP,
        wlan_status: 0,
        ssid: field32(b""),
    });
    let e = a.poll().unwrap().unwrap();
    assert!(matches!(
        e,
        NativeEvent::Provisioning(TiEvent::ProvisioningStatus {
            status: TiStatus::Stopped,
            ..
        })
    ));
    assert_eq!(a.driver().calls.last().unwrap(), "prov 2 0 600 true 1");
    assert_eq!(a.role(), Some(Role::Ap));
    // Other probe failures are reported, not swallowed.
    a.driver().probe = Some(-1);
    assert_eq!(
        a.start(TiCommand::Start(start_params())),
        Err(Cc32xxError::Driver(-1))
    );
    assert!(a.start(TiCommand::AbortExternalConfirmation).is_err());
}

#[test]
fn reset_request_restarts_the_nwp_unless_the_application_does_it() {
    let mut a = NativeProvisioning::new(Scripted {
        role: role::ROLE_AP,
        ..Scripted::default()
    });
    let request = NwpEvent::ResetRequest {
        status: 0,
        caller: 1,
    };
    a.driver().events.push_back(request.clone());
    assert_eq!(
        a.poll().unwrap(),
        Some(NativeEvent::Provisioning(TiEvent::ResetRequest {
            caller: ResetCaller::ProvisioningExternalConfiguration
        }))
    );
    assert_eq!(
        a.poll().unwrap(),
        Some(NativeEvent::NwpRestarted { role: Role::Ap })
    );
    assert_eq!(a.driver().calls, ["stop 200", "start"]);
    a.set_restart_on_reset_request(false);
    a.driver().events.push_back(request);
    assert!(a.poll().unwrap().is_some());
    assert_eq!(a.poll().unwrap(), None);
    assert_eq!(a.driver().calls.len(), 2);
    // Unknown callers are rejected, not guessed.
    a.driver().events.push_back(NwpEvent::ResetRequest {
        status: 0,
        caller: 9,
    });
    assert!(a.poll().is_err());
}

#[test]
fn link_events_pass_through_and_set_role_restarts() {
    let mut a = NativeProvisioning::new(Scripted::default());
    a.driver()
        .events
        .push_back(NwpEvent::IpAcquired { ip: [10, 0, 0, 2] });
    assert_eq!(
        a.poll().unwrap(),
        Some(NativeEvent::Link(provkit_hal::LinkEvent::GotIp {
            ip: [10, 0, 0, 2]
        }))
    );
    assert_eq!(a.set_role(Role::Ap).unwrap(), Role::Ap);
    assert_eq!(a.driver().calls, ["mode 2", "stop 200", "start"]);
}
