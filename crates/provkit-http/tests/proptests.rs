//! Properties of the parser and the loop: arbitrary bytes never panic or overrun; a rendered
//! request parses back field for field; a stream of pipelined requests yields the same
//! requests and the same response bytes however it is split into reads.

mod common;

use common::{Recorder, ScriptedIo, Seen, echo_bytes};
use embassy_futures::block_on;
use proptest::prelude::*;
use provkit_http::limits::{MAX_BODY_LEN, REQUEST_BUFFER_LEN};
use provkit_http::{
    Ended, NoTimer, Parsed, RequestParser, Timeouts, parse_request, serve_connection,
};

#[derive(Debug, Clone)]
struct Spec {
    method: &'static str,
    target: String,
    cookie: Option<String>,
    close: bool,
    body: Vec<u8>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(vec!["POST", "GET", "PUT", "OPTIONS"]),
        "/[a-z0-9._~-]{0,24}(\\?[a-z0-9=&]{0,12})?",
        proptest::option::of("session=[0-9]{1,10}"),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(method, target, cookie, close, body)| Spec {
            method,
            target,
            cookie,
            close,
            body,
        })
}

/// A request as a client could send it; header name case and line endings vary.
fn render(s: &Spec, variant: u8) -> Vec<u8> {
    let eol = if variant & 1 == 0 { "\r\n" } else { "\n" };
    let length = if variant & 2 == 0 {
        "Content-Length"
    } else {
        "content-length"
    };
    let mut raw = format!(
        "{} {} HTTP/1.1{eol}Host: 192.168.4.1{eol}",
        s.method, s.target
    );
    if let Some(c) = &s.cookie {
        raw.push_str(&format!("Cookie: {c}{eol}"));
    }
    if s.close {
        raw.push_str(&format!("Connection: close{eol}"));
    }
    if !s.body.is_empty() || variant & 4 != 0 {
        raw.push_str(&format!("{length}:\t{} {eol}", s.body.len()));
    }
    raw.push_str(eol);
    let mut bytes = raw.into_bytes();
    bytes.extend_from_slice(&s.body);
    bytes
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_never_overrun(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        if let Ok(Parsed::Request(r)) = parse_request(&data) {
            prop_assert!(r.consumed <= data.len());
            prop_assert!(r.body.len() <= MAX_BODY_LEN);
            prop_assert_eq!(r.body.len(), r.content_length);
        }
    }

    #[test]
    fn a_rendered_request_parses_back(s in spec(), variant in any::<u8>(), tail in proptest::collection::vec(any::<u8>(), 0..20)) {
        let raw = render(&s, variant);
        let stream = [raw.clone(), tail].concat();
        let Ok(Parsed::Request(r)) = parse_request(&stream) else {
            return Err(TestCaseError::fail("rendered request not parsed"));
        };
        prop_assert_eq!(r.method, s.method);
        prop_assert_eq!(r.target, s.target.as_str());
        prop_assert_eq!(r.cookie, s.cookie.as_deref().map(str::as_bytes));
        prop_assert_eq!(r.keep_alive, !s.close);
        prop_assert_eq!(r.body, s.body.as_slice());
        prop_assert_eq!(r.consumed, raw.len());
        // Every proper prefix is incomplete, never an error and never a request.
        for cut in [0, raw.len() / 3, raw.len() / 2, raw.len() - 1] {
            prop_assert_eq!(parse_request(&raw[..cut]), Ok(Parsed::Incomplete));
        }
    }

    #[test]
    fn any_split_gives_the_same_requests_and_responses(
        specs in proptest::collection::vec(spec(), 1..5),
        variant in any::<u8>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        // Only the last request may ask to close (what follows a close is never read).
        let mut specs = specs;
        let last = specs.len() - 1;
        for (i, s) in specs.iter_mut().enumerate() {
            s.close &= i == last;
            if s.target.starts_with("/fail") || s.target.starts_with("/bye") {
                s.target = "/x".into();
            }
        }
        let stream: Vec<u8> = specs.iter().flat_map(|s| render(s, variant)).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.extend([0, stream.len()]);
        points.sort_unstable();
        points.dedup();
        let chunks: Vec<Vec<u8>> = points.windows(2).map(|w| stream[w[0]..w[1]].to_vec()).collect();

        let mut service = Recorder::default();
        let mut io = ScriptedIo::new(chunks, true);
        let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
        let ended = block_on(serve_connection(&mut io, 5, &mut service, &mut buffer, &mut Timeouts::new(NoTimer)));
        let want_end = if specs[last].close { Ended::ClosedAfterResponse } else { Ended::PeerClosed };
        prop_assert_eq!(ended, want_end);
        let want: Vec<Seen> = specs.iter().map(|s| Seen {
            connection: 5,
            method: s.method.to_string(),
            target: s.target.clone(),
            cookie: s.cookie.as_ref().map(|c| c.as_bytes().to_vec()),
            body: s.body.clone(),
            keep_alive: !s.close,
        }).collect();
        prop_assert_eq!(&service.seen, &want);
        let responses: Vec<u8> = specs.iter().flat_map(|s| echo_bytes(&s.body)).collect();
        prop_assert_eq!(io.written, responses);

        // The bare parser agrees, fed the same pieces into one growing buffer.
        let mut parser = RequestParser::new();
        let mut buf = Vec::new();
        let mut bodies = Vec::new();
        for w in points.windows(2) {
            buf.extend_from_slice(&stream[w[0]..w[1]]);
            while let Ok(Parsed::Request(r)) = parser.parse(&buf) {
                bodies.push(r.body.to_vec());
                let consumed = r.consumed;
                buf.drain(..consumed);
            }
        }
        prop_assert_eq!(bodies, specs.iter().map(|s| s.body.clone()).collect::<Vec<_>>());
    }
}
