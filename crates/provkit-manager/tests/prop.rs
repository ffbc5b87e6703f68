//! Random event sequences against each personality, checking the manager's invariants after
//! every step. Each personality gets the operations both share (prov-config, prov-scan,
//! prov-ctrl over the Wi-Fi backend, link events, time) mixed with its own API:
//! * only confirmed credentials are ever persisted (wrong passwords, unknown networks and
//!   networks without DHCP can never reach the store);
//! * one owner at a time: the station never gets a second `connect` while an earlier one
//!   has neither been disconnected nor reported as failed;
//! * after any failure the manager is back to accepting credentials in the same session —
//!   for ESP every `CredFail` must leave the manager in `Fail` (or `Started`) *and* accepting
//!   a new SetConfig + ApplyConfig, unless the same step stopped or reprovisioned it;
//! * `CredRecv` ⇔ an attempt owns the station;
//! * no input sequence panics.

mod common;

use std::fmt::Debug;

use common::*;
use proptest::prelude::*;
use provkit_hal::mock::{MemoryStore, MockStation};
use provkit_hal::{
    Credentials, DisconnectReason, ErrorType, Instant, LinkEvent, Profile, ScanConfig, ScanEntry,
    WifiStation,
};
use provkit_manager::{
    Esp, EspConfig, EspEvent, Manager, Personality, ProvState, Role, Runner, ServiceInfo, Ti,
    TiCommand, TiConfig, TiEvent, TiHostCall, TiMode, TiStartParams, TiStatus,
};
use provkit_proto::wi_fi_ctrl_payload::Payload as CtrlPayload;
use provkit_proto::{CmdCtrlReprov, CmdCtrlReset, Message, WiFiCtrlMsgType, WiFiCtrlPayload};

/// Wraps a station and counts connects issued while another connect still owns it.
struct Recorder {
    inner: MockStation,
    busy: bool,
    violations: u32,
}

impl ErrorType for Recorder {
    type Error = provkit_hal::ErrorKind;
}

impl WifiStation for Recorder {
    fn start_scan(&mut self, config: &ScanConfig) -> Result<(), Self::Error> {
        self.inner.start_scan(config)
    }
    fn scan_results(&mut self, out: &mut [ScanEntry]) -> Result<Option<usize>, Self::Error> {
        self.inner.scan_results(out)
    }
    fn connect(&mut self, credentials: &Credentials) -> Result<(), Self::Error> {
        if self.busy {
            self.violations += 1;
        }
        self.busy = true;
        self.inner.connect(credentials)
    }
    fn disconnect(&mut self) -> Result<(), Self::Error> {
        self.busy = false;
        self.inner.disconnect()
    }
    fn poll_event(&mut self) -> Option<LinkEvent> {
        let event = self.inner.poll_event();
        if matches!(event, Some(LinkEvent::Disconnected { .. })) {
            self.busy = false;
        }
        event
    }
}

/// What every personality serves.
#[derive(Clone, Debug)]
enum Shared {
    Apply(usize),
    Advance(u64),
    GetStatus,
    /// prov-ctrl Reset through the Wi-Fi backend.
    Reset,
    /// prov-ctrl Reprov through the Wi-Fi backend.
    Reprov,
    LinkLost,
    ScriptFail(u16),
    Scan,
    Activity,
}

#[derive(Clone, Debug)]
enum Op<O> {
    Shared(Shared),
    Own(O),
}

fn shared_op() -> impl Strategy<Value = Shared> {
    prop_oneof![
        4 => (0usize..5).prop_map(Shared::Apply),
        4 => (0u64..70_000).prop_map(Shared::Advance),
        2 => Just(Shared::GetStatus),
        1 => Just(Shared::Reset),
        1 => Just(Shared::Reprov),
        1 => Just(Shared::LinkLost),
        1 => prop_oneof![Just(201u16), Just(202), Just(205), Just(2)].prop_map(Shared::ScriptFail),
        1 => Just(Shared::Scan),
        1 => Just(Shared::Activity),
    ]
}

/// The shared operations' total weight in [`shared_op`].
const SHARED_WEIGHT: u32 = 17;

fn op<S: Subject>() -> impl Strategy<Value = Op<S::Own>> {
    prop_oneof![
        SHARED_WEIGHT => shared_op().prop_map(Op::Shared),
        S::OWN_WEIGHT => S::own_op().prop_map(Op::Own),
    ]
}

const CANDIDATES: [(&[u8], &[u8]); 5] = [
    (HOME, HOME_PASS),
    (HOME, b"wrong password"),
    (OFFICE, OFFICE_PASS),
    (b"missing", b"password1"),
    (NO_DHCP, b"nodhcp-pass"),
];

fn is_good(p: &Profile) -> bool {
    p.credentials == creds(HOME, HOME_PASS) || p.credentials == creds(OFFICE, OFFICE_PASS)
}

fn ctrl(msg: WiFiCtrlMsgType, payload: CtrlPayload) -> Vec<u8> {
    WiFiCtrlPayload {
        msg: msg as i32,
        status: 0,
        payload: Some(payload),
    }
    .encode_to_vec()
}

/// A personality under test: its own operations and what its events mean.
trait Subject: Personality + Sized {
    type Own: Clone + Debug;
    /// The own operations' total weight against [`SHARED_WEIGHT`].
    const OWN_WEIGHT: u32;
    fn own_op() -> BoxedStrategy<Self::Own>;
    fn apply(mgr: &mut Manager<Self>, op: &Self::Own, at: Instant);
    /// After each step's pump (TI: the host answers a RESET_REQUEST).
    fn settle(mgr: &mut Manager<Self>, at: Instant) {
        let _ = (mgr, at);
    }
    /// A failed attempt was reported.
    fn is_failure(event: &Self::Event) -> bool;
    /// This step's failure must have left the manager accepting credentials.
    fn must_accept(failed: bool, op: &Op<Self::Own>) -> bool;
}

#[derive(Clone, Debug)]
enum EspOp {
    Start,
    Stop,
}

impl Subject for Esp {
    type Own = EspOp;
    const OWN_WEIGHT: u32 = 2;

    fn own_op() -> BoxedStrategy<EspOp> {
        prop_oneof![Just(EspOp::Start), Just(EspOp::Stop)].boxed()
    }

    fn apply(mgr: &mut Manager<Self>, op: &EspOp, at: Instant) {
        // Errors are expected for calls in the wrong state; they must just be values.
        let _ = match op {
            EspOp::Start => mgr.start(ServiceInfo::default(), at),
            EspOp::Stop => mgr.stop(at),
        };
    }

    fn is_failure(event: &EspEvent) -> bool {
        matches!(event, EspEvent::CredFail { .. })
    }

    fn must_accept(failed: bool, op: &Op<EspOp>) -> bool {
        // A stop (→ Stopping) and a reprovision (→ Started, no attempt) may legitimately take
        // the manager elsewhere in the step that reported the failure.
        failed && !matches!(op, Op::Own(EspOp::Stop) | Op::Shared(Shared::Reprov))
    }
}

#[derive(Clone, Debug)]
enum TiOp {
    Start(u8, bool),
    Stop(bool),
    Abort,
    Feedback,
    HostCall,
    DeviceStarted(bool),
}

impl Subject for Ti {
    type Own = TiOp;
    const OWN_WEIGHT: u32 = 8;

    fn own_op() -> BoxedStrategy<TiOp> {
        prop_oneof![
            2 => (0u8..4, any::<bool>()).prop_map(|(m, e)| TiOp::Start(m, e)),
            1 => any::<bool>().prop_map(TiOp::Stop),
            1 => Just(TiOp::Abort),
            2 => Just(TiOp::Feedback),
            1 => Just(TiOp::HostCall),
            1 => any::<bool>().prop_map(TiOp::DeviceStarted),
        ]
        .boxed()
    }

    fn apply(mgr: &mut Manager<Self>, op: &TiOp, at: Instant) {
        match op {
            TiOp::Start(m, ext) => {
                let mode =
                    [TiMode::Ap, TiMode::Sc, TiMode::ApSc, TiMode::ApScExternal][*m as usize];
                let _ = mgr.provisioning(
                    TiCommand::Start(TiStartParams {
                        mode,
                        role_after_success: Role::Sta,
                        inactivity_timeout_s: 60,
                        smart_config_key: None,
                        external_confirmation: *ext,
                    }),
                    at,
                );
                let _ = mgr.nwp_restarted(at);
            }
            TiOp::Stop(remain) => {
                let role = if *remain { None } else { Some(Role::Sta) };
                let _ = mgr.provisioning(TiCommand::Stop { role }, at);
            }
            TiOp::Abort => {
                let _ = mgr.provisioning(TiCommand::AbortExternalConfirmation, at);
            }
            TiOp::Feedback => {
                let _ = mgr.feedback_fetched(at);
            }
            TiOp::HostCall => {
                let _ = mgr.host_call(TiHostCall::Other, at);
            }
            TiOp::DeviceStarted(ap) => {
                let _ = mgr.device_started(if *ap { Role::Ap } else { Role::Sta }, at);
            }
        }
    }

    fn settle(mgr: &mut Manager<Self>, at: Instant) {
        let _ = mgr.nwp_restarted(at);
    }

    fn is_failure(event: &TiEvent) -> bool {
        matches!(
            event,
            TiEvent::ProvisioningStatus {
                status: TiStatus::FailNetworkNotFound
                    | TiStatus::FailConnectionFailed
                    | TiStatus::FailIpNotAcquired
                    | TiStatus::SuccessFeedbackFailed,
                ..
            }
        )
    }

    fn must_accept(_failed: bool, _op: &Op<TiOp>) -> bool {
        // TI may stop in the same step (inactivity, host STOP); checked below only when the
        // failure left it in Fail.
        false
    }
}

fn run<S: Subject>(
    cfg: S::Config,
    stored: &[Profile],
    ops: &[Op<S::Own>],
) -> Result<(), TestCaseError>
where
    Manager<S>: Clone,
{
    let recorder = Recorder {
        inner: station(),
        busy: false,
        violations: 0,
    };
    let mut runner = Runner::new(recorder, MemoryStore::with_profiles(stored).unwrap());
    let mut mgr = Manager::<S>::new(cfg, runner.load_profiles().unwrap()).unwrap();
    let mut now = 0u64;
    for op in ops {
        let at = Instant::from_millis(now);
        match op {
            Op::Shared(Shared::Apply(i)) => {
                let (s, p) = CANDIDATES[*i];
                let _ = mgr.set_config(creds(s, p), at);
                let _ = mgr.apply_config(at);
            }
            Op::Shared(Shared::Advance(by)) => now += by,
            Op::Shared(Shared::GetStatus) => {
                mgr.get_status(at);
            }
            Op::Shared(Shared::Reset) => {
                let body = ctrl(
                    WiFiCtrlMsgType::TypeCmdCtrlReset,
                    CtrlPayload::CmdCtrlReset(CmdCtrlReset {}),
                );
                prop_assert!(mgr.handle_wifi_request("prov-ctrl", &body, at).is_some());
            }
            Op::Shared(Shared::Reprov) => {
                let body = ctrl(
                    WiFiCtrlMsgType::TypeCmdCtrlReprov,
                    CtrlPayload::CmdCtrlReprov(CmdCtrlReprov {}),
                );
                prop_assert!(mgr.handle_wifi_request("prov-ctrl", &body, at).is_some());
            }
            Op::Shared(Shared::LinkLost) => {
                runner.station.inner.push_event(LinkEvent::Disconnected {
                    reason: DisconnectReason::ConnectionLost,
                })
            }
            Op::Shared(Shared::ScriptFail(code)) => {
                let _ = runner
                    .station
                    .inner
                    .script_connect_failure(DisconnectReason::from_esp_reason(*code));
            }
            Op::Shared(Shared::Scan) => {
                let _ = mgr.start_scan(ScanConfig::default(), at);
            }
            Op::Shared(Shared::Activity) => mgr.on_client_activity(at),
            Op::Own(own) => S::apply(&mut mgr, own, at),
        }
        runner.pump(&mut mgr, Instant::from_millis(now));
        S::settle(&mut mgr, Instant::from_millis(now));
        runner.pump(&mut mgr, Instant::from_millis(now));

        prop_assert!(
            runner.store.profiles().iter().all(is_good),
            "unconfirmed credentials persisted: {:?}",
            runner.store.profiles()
        );
        prop_assert!(mgr.profiles().iter().all(is_good));
        prop_assert!(mgr.profiles().len() <= provkit_manager::MAX_PROFILES);
        prop_assert_eq!(runner.station.violations, 0, "two owners of the station");
        prop_assert_eq!(
            mgr.state() == ProvState::CredRecv,
            mgr.attempt_in_progress()
        );
        let mut failed = false;
        while let Some(event) = mgr.poll_event() {
            failed |= S::is_failure(&event);
        }
        // A failure must land in an accepting state, whatever state that would be; checking
        // only `state == Fail` would let a failure that lands elsewhere pass.
        let must_accept = S::must_accept(failed, op);
        if must_accept {
            prop_assert!(
                matches!(mgr.state(), ProvState::Fail | ProvState::Started),
                "failure after {:?} left the manager in {:?}",
                op,
                mgr.state()
            );
        }
        if must_accept || (failed && mgr.state() == ProvState::Fail) {
            let mut probe = mgr.clone();
            let at = Instant::from_millis(now);
            prop_assert!(probe.set_config(creds(HOME, HOME_PASS), at).is_ok());
            prop_assert!(
                probe.apply_config(at).is_ok(),
                "not accepting after a failure"
            );
            prop_assert_eq!(probe.state(), ProvState::CredRecv);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn esp_random_sequences_keep_invariants(
        attempts in 0u32..4,
        auto_stop in prop_oneof![Just(None), Just(Some(30_000u64))],
        window in prop_oneof![Just(None), Just(Some(45_000u64))],
        with_profile in any::<bool>(),
        ops in prop::collection::vec(op::<Esp>(), 1..60),
    ) {
        let cfg = EspConfig { wifi_conn_attempts: attempts, auto_stop_ms: auto_stop, window_ms: window, ..EspConfig::default() };
        let stored = if with_profile { vec![Profile { credentials: creds(OFFICE, OFFICE_PASS), priority: 1 }] } else { vec![] };
        let mut ops = ops;
        ops.insert(0, Op::Own(EspOp::Start));
        run::<Esp>(cfg, &stored, &ops)?;
    }

    #[test]
    fn ti_random_sequences_keep_invariants(
        auto in any::<bool>(),
        with_profile in any::<bool>(),
        ops in prop::collection::vec(op::<Ti>(), 1..60),
    ) {
        let cfg = TiConfig { auto_provisioning: auto, ..TiConfig::default() };
        let stored = if with_profile { vec![Profile { credentials: creds(HOME, HOME_PASS), priority: 1 }] } else { vec![] };
        let mut ops = ops;
        ops.insert(0, Op::Own(TiOp::DeviceStarted(false)));
        run::<Ti>(cfg, &stored, &ops)?;
    }
}
