//! The HTTP framing (`HttpFraming`: cookie/socket session tracking, routing, body limits) over
//! a sec1 `Protocomm`, driven by an arbitrary sequence of requests and connection closes.
//! Invariants: no panic; only 200/404/405 replies; unknown paths are 404 and never touch the
//! session; a Set-Cookie is only ever issued on a 200.
#![no_main]
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use provkit_fuzz::{EchoHandler, configs, fixed_rng};
use provkit_protocomm::http::{HttpFraming, HttpOutcome, HttpRequest};
use provkit_protocomm::{Protocomm, VersionInfo};

#[derive(Arbitrary, Debug)]
enum Cookie {
    None,
    Current,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Request {
        method: u8,
        path: u8,
        raw_path: String,
        cookie: Cookie,
        body: Vec<u8>,
        connection: u8,
    },
    Close(u8),
}

const PATHS: [&str; 7] = [
    "/proto-ver",
    "/prov-session",
    "/prov-config",
    "/prov-scan",
    "/prov-ctrl",
    "/prov-session?x=1",
    "/",
];
const METHODS: [&str; 4] = ["POST", "GET", "post", "PUT"];

fuzz_target!(|input: (u8, Vec<Op>)| {
    let (selector, ops) = input;
    // sec0 or sec1: cheap handshakes keep the fuzzer fast.
    let (device_cfg, _) = configs(selector % 2);
    let mut protocomm = Protocomm::new(device_cfg, VersionInfo::default());
    let mut framing = HttpFraming::new();
    let mut rng = fixed_rng(3);
    // One operation every 700 ms: lockouts and owner timeouts come and go within one input.
    for (step, op) in (0u64..).zip(ops) {
        let now = provkit_hal::Instant::from_millis(step * 700);
        match op {
            Op::Close(c) => framing.connection_closed(u32::from(c)),
            Op::Request {
                method,
                path,
                raw_path,
                cookie,
                body,
                connection,
            } => {
                let path = PATHS
                    .get(usize::from(path))
                    .copied()
                    .unwrap_or(raw_path.as_str());
                let current = framing.session_id().map(|id| format!("session={id}"));
                let cookie = match &cookie {
                    Cookie::None => None,
                    Cookie::Current => current.as_deref().map(str::as_bytes),
                    Cookie::Raw(raw) => Some(raw.as_slice()),
                };
                let request = HttpRequest {
                    method: METHODS[usize::from(method) % METHODS.len()],
                    path,
                    cookie,
                    body: &body,
                    connection: u32::from(connection),
                };
                let before = framing.session_id();
                let known = path
                    .split('?')
                    .next()
                    .and_then(|p| p.strip_prefix('/'))
                    .is_some_and(|name| protocomm.endpoints().lookup(name).is_some());
                match framing.handle(&mut protocomm, &request, &mut EchoHandler, &mut rng, now) {
                    HttpOutcome::Reply(reply) => {
                        assert!(matches!(reply.status, 200 | 404 | 405), "{reply:?}");
                        if reply.status != 200 {
                            assert!(reply.set_cookie.is_none());
                        }
                        if reply.status == 404 {
                            assert!(!known);
                        }
                    }
                    HttpOutcome::Close => assert!(known, "an unknown path closed the socket"),
                }
                if !known {
                    assert_eq!(before, framing.session_id(), "404 changed the session");
                }
            }
        }
    }
});
