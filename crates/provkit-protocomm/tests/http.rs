//! HTTP framing (spec §5.1) — replay of `tests/vectors/transcripts/sec0_auto.json` plus
//! the cookie/socket session rules, limits and error paths.

mod common;

use common::{EchoHandler, SEC0_COMMAND, SEC0_RESPONSE, TestRng};
use provkit_hal::Instant;
use provkit_protocomm::http::{
    CONTENT_TYPE, HttpFraming, HttpOutcome, HttpReply, HttpRequest, MAX_BODY_LEN,
};
use provkit_protocomm::{
    ClientId, DeviceSecurityConfig, HandlerError, Protocomm, RequestHandler, TransportKind,
    VersionInfo,
};
use provkit_security::{ClientSecurityConfig, ClientSession};

/// The time of every request in these tests (nothing here depends on it).
const T0: Instant = Instant::from_millis(0);

/// Answers each REQ_EP request with the next recorded device plaintext and records what it got.
struct ScriptedHandler {
    responses: std::collections::VecDeque<Vec<u8>>,
    seen: Vec<(String, Vec<u8>)>,
}

impl RequestHandler for ScriptedHandler {
    fn handle_request(
        &mut self,
        endpoint: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HandlerError> {
        self.seen.push((endpoint.to_string(), plaintext.to_vec()));
        self.responses
            .pop_front()
            .ok_or(HandlerError::new("script exhausted"))
    }
}

fn hex(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn reply(outcome: HttpOutcome) -> HttpReply {
    match outcome {
        HttpOutcome::Reply(r) => r,
        HttpOutcome::Close => panic!("expected a reply, got Close"),
    }
}

fn post<'a>(path: &'a str, cookie: Option<&'a str>, body: &'a [u8], conn: u32) -> HttpRequest<'a> {
    HttpRequest {
        method: "POST",
        path,
        cookie: cookie.map(str::as_bytes),
        body,
        connection: conn,
    }
}

/// Replays the request side of the sec0 transcript; the proto-ver and prov-session exchanges
/// must produce the recorded status, Set-Cookie and body; prov-config requests must reach the
/// handler as the recorded device-side plaintext, and its answer must go out unchanged.
#[test]
fn replays_sec0_auto_transcript() {
    let t = common::load_json("transcripts/sec0_auto.json");
    let cookie_id = t["device"]["session_cookie_ids"][0]
        .as_u64()
        .expect("cookie id") as u32;
    let exchanges = t["exchanges"].as_array().expect("exchanges");

    let mut handler = ScriptedHandler {
        responses: exchanges
            .iter()
            .filter(|e| !e["device_view"].is_null())
            .map(|e| hex(&e["device_view"]["response_plaintext"]))
            .collect(),
        seen: Vec::new(),
    };
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut http = HttpFraming::new();
    let mut rng = TestRng::with_u32s(7, &[cookie_id]);

    for e in exchanges {
        let path = e["path"].as_str().expect("path");
        let body = hex(&e["request_body_hex"]);
        let request = HttpRequest {
            method: e["method"].as_str().expect("method"),
            path,
            cookie: e["request_cookie"].as_str().map(str::as_bytes),
            body: &body,
            connection: 1,
        };
        let r = reply(http.handle(&mut pc, &request, &mut handler, &mut rng, T0));
        assert_eq!(
            u64::from(r.status),
            e["response_status"].as_u64().expect("status"),
            "{path}"
        );
        assert_eq!(
            r.set_cookie.as_deref(),
            e["set_cookie"].as_str(),
            "seq {}",
            e["seq"]
        );
        assert_eq!(r.content_type, "text/html");
        assert_eq!(r.body, hex(&e["response_body_hex"]), "seq {}", e["seq"]);
        if let Some(view) = e["device_view"].as_object() {
            let (ep, pt) = handler.seen.last().expect("handler was called");
            assert_eq!(ep, path.trim_start_matches('/'));
            assert_eq!(pt, &hex(&view["request_plaintext"]));
        }
    }
    assert!(
        handler.responses.is_empty(),
        "every scripted answer was used"
    );
    assert_eq!(handler.seen.len(), 4);
}

#[test]
fn unknown_path_is_404_and_other_methods_405_without_a_session() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut http = HttpFraming::new();
    let mut rng = TestRng::new(1);
    let mut h = EchoHandler::default();

    let r = reply(http.handle(&mut pc, &post("/nope", None, b"x", 1), &mut h, &mut rng, T0));
    assert_eq!((r.status, r.reason()), (404, "Not Found"));
    assert_eq!(r.body, b"Nothing matches the given URI");
    let get = HttpRequest {
        method: "GET",
        ..post("/proto-ver", None, b"x", 1)
    };
    let r = reply(http.handle(&mut pc, &get, &mut h, &mut rng, T0));
    assert_eq!(r.status, 405);
    assert_eq!(r.set_cookie, None);
    assert_eq!(http.session_id(), None);
    // A query string does not change the route.
    let r = reply(http.handle(
        &mut pc,
        &post("/proto-ver?x=1", None, b"x", 1),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, pc.proto_ver_body());
}

#[test]
fn body_length_limits_close_the_socket() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut http = HttpFraming::new();
    let mut rng = TestRng::new(2);
    let mut h = EchoHandler::default();
    let big = vec![b'a'; MAX_BODY_LEN + 1];
    assert_eq!(
        http.handle(
            &mut pc,
            &post("/proto-ver", None, b"", 1),
            &mut h,
            &mut rng,
            T0
        ),
        HttpOutcome::Close
    );
    assert_eq!(
        http.handle(
            &mut pc,
            &post("/prov-config", None, &big, 1),
            &mut h,
            &mut rng,
            T0
        ),
        HttpOutcome::Close
    );
    let max = vec![b'a'; MAX_BODY_LEN];
    let r = reply(http.handle(
        &mut pc,
        &post("/prov-config", None, &max, 1),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(r.body.len(), "prov-config:".len() + MAX_BODY_LEN);
    assert_eq!(r.content_type, CONTENT_TYPE);
    assert_eq!(h.seen.len(), 1, "oversized bodies never reach the handler");
}

#[test]
fn cookie_and_socket_rules() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut http = HttpFraming::new();
    let mut rng = TestRng::with_u32s(3, &[111, 222, 333, 444]);
    let mut h = EchoHandler::default();
    let mut send = |http: &mut HttpFraming, pc: &mut Protocomm, cookie: Option<&str>, conn: u32| {
        reply(http.handle(
            pc,
            &post("/proto-ver", cookie, b"-", conn),
            &mut h,
            &mut rng,
            T0,
        ))
        .set_cookie
    };

    // First request opens session 111 on socket 1.
    assert_eq!(
        send(&mut http, &mut pc, None, 1).as_deref(),
        Some("session=111")
    );
    // Same socket without cookie: same session, no new cookie.
    assert_eq!(send(&mut http, &mut pc, None, 1), None);
    // Matching cookie on another socket: same session; the socket binding is forgotten.
    assert_eq!(send(&mut http, &mut pc, Some("session=111"), 2), None);
    assert_eq!(http.session_id(), Some(111));
    // ...so a cookie-less request on the original socket now starts a new session.
    assert_eq!(
        send(&mut http, &mut pc, None, 1).as_deref(),
        Some("session=222")
    );
    // A stale cookie, even on the bound socket, starts a new session.
    assert_eq!(
        send(&mut http, &mut pc, Some("session=111"), 1).as_deref(),
        Some("session=333")
    );
    // Extra cookies make the header value mismatch (whole-value comparison).
    assert_eq!(
        send(&mut http, &mut pc, Some("session=333; other=1"), 1).as_deref(),
        Some("session=444")
    );
    // Closing the bound socket keeps the cookie session alive.
    http.connection_closed(1);
    assert_eq!(send(&mut http, &mut pc, Some("session=444"), 5), None);
    assert_eq!(http.client(), Some(ClientId::new(TransportKind::Http, 444)));
}

/// Runs a whole handshake over HTTP on `conn`, starting without a cookie; returns the cookie.
fn http_handshake(
    pc: &mut Protocomm,
    http: &mut HttpFraming,
    client: &mut ClientSession,
    conn: u32,
    rng: &mut TestRng,
) -> String {
    let mut h = EchoHandler::default();
    let mut request = client.start(rng).expect("command0");
    let mut cookie: Option<String> = None;
    loop {
        let r = reply(http.handle(
            pc,
            &post("/prov-session", cookie.as_deref(), &request, conn),
            &mut h,
            rng,
            T0,
        ));
        if let Some(c) = r.set_cookie {
            cookie = Some(c);
        }
        match client
            .handle_response(&r.body, rng)
            .expect("handshake step")
        {
            Some(next) => request = next,
            None => return cookie.expect("a cookie was set"),
        }
    }
}

/// Sec1 over HTTP: unlike the reference, a newcomer on another socket does not end the
/// established crypto session; only a newcomer that completes its own proof replaces it.
#[test]
fn a_newcomer_socket_does_not_end_the_owners_session_until_it_proves() {
    let pop = b"abcd1234".to_vec();
    let mut pc = Protocomm::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(pop.clone()),
        },
        VersionInfo::default(),
    );
    let mut http = HttpFraming::new();
    let mut rng = TestRng::with_u32s(4, &[10, 20, 30]);
    let mut h = EchoHandler::default();
    let mut owner = ClientSession::new(ClientSecurityConfig::Sec1 {
        pop: Some(pop.clone()),
    });
    let cookie = http_handshake(&mut pc, &mut http, &mut owner, 1, &mut rng);
    assert_eq!(cookie, "session=10");
    let ask = |http: &mut HttpFraming, pc: &mut Protocomm, owner: &mut ClientSession, msg| {
        let ct = owner.encrypt(msg).expect("encrypt");
        let r = reply(http.handle(
            pc,
            &post("/prov-config", Some(&cookie), &ct, 1),
            &mut EchoHandler::default(),
            &mut TestRng::new(0),
            T0,
        ));
        owner.decrypt(&r.body).expect("decrypt")
    };
    assert_eq!(
        ask(&mut http, &mut pc, &mut owner, b"hello"),
        b"prov-config:hello"
    );

    // Another socket without the cookie gets a session of its own...
    let r = reply(http.handle(
        &mut pc,
        &post("/proto-ver", None, b"-", 2),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(r.set_cookie.as_deref(), Some("session=20"));
    // ...and even a wrong-PoP handshake of its own leaves the owner untouched.
    let mut stranger = ClientSession::new(ClientSecurityConfig::Sec1 {
        pop: Some(b"wrong".to_vec()),
    });
    let c0 = stranger.start(&mut rng).expect("command0");
    let r = reply(http.handle(
        &mut pc,
        &post("/prov-session", Some("session=20"), &c0, 2),
        &mut h,
        &mut rng,
        T0,
    ));
    let c1 = stranger
        .handle_response(&r.body, &mut rng)
        .expect("response0")
        .expect("command1");
    assert_eq!(
        http.handle(
            &mut pc,
            &post("/prov-session", Some("session=20"), &c1, 2),
            &mut h,
            &mut rng,
            T0
        ),
        HttpOutcome::Close
    );
    assert_eq!(
        ask(&mut http, &mut pc, &mut owner, b"again"),
        b"prov-config:again"
    );

    // A newcomer that proves the PoP takes over; the old owner's records are refused.
    let mut next = ClientSession::new(ClientSecurityConfig::Sec1 { pop: Some(pop) });
    let next_cookie = http_handshake(&mut pc, &mut http, &mut next, 3, &mut rng);
    assert_eq!(next_cookie, "session=30");
    assert_eq!(
        pc.session_client(),
        Some(ClientId::new(TransportKind::Http, 30))
    );
    let ct = owner.encrypt(b"late").expect("encrypt");
    assert_eq!(
        http.handle(
            &mut pc,
            &post("/prov-config", Some(&cookie), &ct, 1),
            &mut h,
            &mut rng,
            T0
        ),
        HttpOutcome::Close
    );
    assert_eq!(
        h.seen.len(),
        0,
        "the stranger's and the late records reached no handler"
    );
}

/// The owner's cookie copied onto a second socket while the owner's own socket is open gets
/// no answer and does not move the owner's sec1 keystream; once the owner's socket closed,
/// the cookie works on a new socket (a client that reconnects).
#[test]
fn a_copied_owner_cookie_on_another_socket_is_refused_while_the_owner_socket_is_open() {
    let pop = b"abcd1234".to_vec();
    let mut pc = Protocomm::new(
        DeviceSecurityConfig::Sec1 {
            pop: Some(pop.clone()),
        },
        VersionInfo::default(),
    );
    let mut http = HttpFraming::new();
    let mut rng = TestRng::with_u32s(6, &[77]);
    let mut h = EchoHandler::default();
    let mut owner = ClientSession::new(ClientSecurityConfig::Sec1 { pop: Some(pop) });
    let cookie = http_handshake(&mut pc, &mut http, &mut owner, 1, &mut rng);

    // Garbage of the right length under the owner's cookie, from socket 2.
    for forged in [vec![0u8; 4], vec![0x08, 0x00], vec![0xff; 100]] {
        assert_eq!(
            http.handle(
                &mut pc,
                &post("/prov-config", Some(&cookie), &forged, 2),
                &mut h,
                &mut rng,
                T0
            ),
            HttpOutcome::Close
        );
    }
    assert!(h.seen.is_empty(), "nothing was decrypted for the copy");
    // The owner's keystream did not move: its next record decrypts.
    let ct = owner.encrypt(b"mine").expect("encrypt");
    let r = reply(http.handle(
        &mut pc,
        &post("/prov-config", Some(&cookie), &ct, 1),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(
        owner.decrypt(&r.body).expect("decrypt"),
        b"prov-config:mine"
    );

    // The owner's socket closes; it reconnects with its cookie on socket 3.
    http.on_connection_closed(1, &mut pc);
    let ct = owner.encrypt(b"back").expect("encrypt");
    let r = reply(http.handle(
        &mut pc,
        &post("/prov-config", Some(&cookie), &ct, 3),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(
        owner.decrypt(&r.body).expect("decrypt"),
        b"prov-config:back"
    );
}

#[test]
fn handshake_garbage_closes_the_socket() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut http = HttpFraming::new();
    let mut rng = TestRng::new(5);
    let mut h = EchoHandler::default();
    assert_eq!(
        http.handle(
            &mut pc,
            &post("/prov-session", None, &[0xff, 0xff], 1),
            &mut h,
            &mut rng,
            T0
        ),
        HttpOutcome::Close
    );
    let r = reply(http.handle(
        &mut pc,
        &post("/prov-session", None, &SEC0_COMMAND, 1),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(r.body, SEC0_RESPONSE);
}

#[test]
fn unregistered_custom_endpoint_is_404_until_registered() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    pc.add_custom_endpoint("custom-data").expect("created");
    pc.set_endpoint_registered("custom-data", false)
        .expect("custom endpoints can be unregistered");
    assert!(!pc.is_endpoint_served("custom-data"));
    // The five standard endpoints always exist.
    assert!(
        pc.set_endpoint_registered("prov-config", false).is_err(),
        "standard endpoints have no registration"
    );
    let mut http = HttpFraming::new();
    let mut rng = TestRng::new(31);
    let mut h = EchoHandler::default();

    let r = reply(http.handle(
        &mut pc,
        &post("/custom-data", None, b"x", 1),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!((r.status, r.set_cookie.as_deref()), (404, None));
    assert_eq!(r.body, b"Nothing matches the given URI");
    assert!(h.seen.is_empty());
    assert_eq!(http.session_id(), None, "a 404 has no session side effects");

    pc.set_endpoint_registered("custom-data", true)
        .expect("registered after start");
    let r = reply(http.handle(
        &mut pc,
        &post("/custom-data", None, b"x", 1),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"custom-data:x");
}

#[test]
fn a_cookie_differing_in_any_byte_or_length_opens_a_new_session() {
    let mut pc = Protocomm::new(DeviceSecurityConfig::Sec0, VersionInfo::default());
    let mut http = HttpFraming::new();
    let mut rng = TestRng::new(32);
    let mut h = EchoHandler::default();
    let first = reply(http.handle(
        &mut pc,
        &post("/proto-ver", None, b"x", 1),
        &mut h,
        &mut rng,
        T0,
    ));
    let cookie = first.set_cookie.expect("session opened");
    let id = http.session_id().expect("id");
    let good = reply(http.handle(
        &mut pc,
        &post("/proto-ver", Some(&cookie), b"x", 2),
        &mut h,
        &mut rng,
        T0,
    ));
    assert_eq!(good.set_cookie, None, "the exact cookie keeps the session");
    assert_eq!(http.session_id(), Some(id));

    let mut near_misses = vec![format!("{cookie}0"), cookie[..cookie.len() - 1].to_string()];
    let mut flipped = cookie.clone().into_bytes();
    if let Some(last) = flipped.last_mut() {
        *last = if *last == b'9' { b'8' } else { b'9' };
    }
    near_misses.push(String::from_utf8(flipped).expect("ascii"));
    for (conn, bad) in (3..).zip(near_misses) {
        let before = http.session_id();
        let r = reply(http.handle(
            &mut pc,
            &post("/proto-ver", Some(&bad), b"x", conn),
            &mut h,
            &mut rng,
            T0,
        ));
        assert!(r.set_cookie.is_some(), "cookie {bad:?} must not match");
        assert_ne!(http.session_id(), before);
    }
}
