//! The connection loop on an in-memory socket: keep-alive, pipelining, "close without
//! response", refusals, the idle and request timeouts, and the buffer bound.

mod common;

use common::{ExpiredTimer, Recorder, ScriptedIo, echo_bytes};
use embassy_futures::block_on;
use provkit_http::limits::{IDLE_TIMEOUT_MS, MAX_BODY_LEN, REQUEST_BUFFER_LEN, REQUEST_TIMEOUT_MS};
use provkit_http::{Ended, NoTimer, ParseError, Timeouts, serve_connection};

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

fn run(chunks: Vec<Vec<u8>>, eof: bool, service: &mut Recorder) -> (Ended, Vec<u8>) {
    let mut io = ScriptedIo::new(chunks, eof);
    let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
    let mut timeouts = Timeouts::new(NoTimer);
    let ended = block_on(serve_connection(
        &mut io,
        7,
        service,
        &mut buffer,
        &mut timeouts,
    ));
    (ended, io.written)
}

#[test]
fn keep_alive_serves_requests_in_order_and_pipelined_bytes_are_kept() {
    let mut service = Recorder::default();
    let stream = [post("/a", b"abc"), post("/b", b"xy"), post("/c", b"")].concat();
    let (ended, written) = run(vec![stream], true, &mut service);
    assert_eq!(ended, Ended::PeerClosed);
    assert_eq!(
        written,
        [echo_bytes(b"abc"), echo_bytes(b"xy"), echo_bytes(b"")].concat()
    );
    let targets: Vec<_> = service.seen.iter().map(|s| s.target.as_str()).collect();
    assert_eq!(targets, ["/a", "/b", "/c"]);
    assert_eq!(service.closed, vec![7]);
}

#[test]
fn close_answer_writes_nothing_and_ends_the_connection() {
    let mut service = Recorder::default();
    let stream = [post("/fail", b"x"), post("/a", b"never")].concat();
    let (ended, written) = run(vec![stream], true, &mut service);
    assert_eq!(ended, Ended::ServiceClosed);
    assert!(written.is_empty(), "{written:?}");
    assert_eq!(service.seen.len(), 1, "nothing after the close is served");
    assert_eq!(service.closed, vec![7]);
}

#[test]
fn closing_response_and_connection_close_end_after_the_response() {
    let mut service = Recorder::default();
    let (ended, written) = run(
        vec![[post("/bye", b"1"), post("/a", b"2")].concat()],
        true,
        &mut service,
    );
    assert_eq!(ended, Ended::ClosedAfterResponse);
    assert!(written.ends_with(b"\r\n\r\nbye"));
    assert_eq!(service.seen.len(), 1);

    let mut service = Recorder::default();
    let raw = b"POST /a HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi".to_vec();
    let (ended, written) = run(vec![raw, post("/b", b"no")], false, &mut service);
    assert_eq!(ended, Ended::ClosedAfterResponse);
    assert_eq!(written, echo_bytes(b"hi"));
}

#[test]
fn over_long_head_or_body_closes_without_a_byte() {
    let mut service = Recorder::default();
    let head = [b"POST /a HTTP/1.1\r\nX-Junk: ".as_slice(), &[b'a'; 4000]].concat();
    let (ended, written) = run(vec![head], false, &mut service);
    assert_eq!(ended, Ended::Refused(ParseError::HeadTooLong));
    assert!(written.is_empty());

    let mut service = Recorder::default();
    let (ended, written) = run(
        vec![post("/a", &vec![1; MAX_BODY_LEN + 1])],
        false,
        &mut service,
    );
    assert_eq!(ended, Ended::Refused(ParseError::BodyTooLong));
    assert!(written.is_empty());
    assert!(service.seen.is_empty());
    assert_eq!(service.closed, vec![7]);

    // The service may answer a refusal instead (the TI server does).
    let mut service = Recorder {
        loud_refusals: true,
        ..Recorder::default()
    };
    let (ended, written) = run(vec![b"GARBAGE\r\n\r\n".to_vec()], false, &mut service);
    assert_eq!(ended, Ended::Refused(ParseError::BadRequestLine));
    assert!(written.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
}

#[test]
fn a_body_of_exactly_the_limit_is_served() {
    let mut service = Recorder::default();
    let body = vec![9u8; MAX_BODY_LEN];
    let (ended, written) = run(vec![post("/a", &body)], true, &mut service);
    assert_eq!(ended, Ended::PeerClosed);
    assert_eq!(written, echo_bytes(&body));
}

#[test]
fn idle_connection_times_out_with_the_idle_timeout() {
    let mut service = Recorder::default();
    let mut io = ScriptedIo::new(vec![post("/a", b"1")], false);
    let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
    let mut timeouts = Timeouts::new(ExpiredTimer::default());
    let ended = block_on(serve_connection(
        &mut io,
        3,
        &mut service,
        &mut buffer,
        &mut timeouts,
    ));
    // The first request arrives at once; then the peer says nothing.
    assert_eq!(ended, Ended::IdleTimeout);
    assert_eq!(io.written, echo_bytes(b"1"));
    assert_eq!(service.closed, vec![3]);
    assert_eq!(timeouts.timer.asked.last(), Some(&IDLE_TIMEOUT_MS));
}

#[test]
fn a_stalled_request_times_out_with_the_request_timeout() {
    let mut service = Recorder::default();
    let mut io = ScriptedIo::new(
        vec![b"POST /a HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc".to_vec()],
        false,
    );
    let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
    let mut timeouts = Timeouts::new(ExpiredTimer::default());
    let ended = block_on(serve_connection(
        &mut io,
        3,
        &mut service,
        &mut buffer,
        &mut timeouts,
    ));
    assert_eq!(ended, Ended::RequestTimeout);
    assert!(io.written.is_empty());
    assert!(service.seen.is_empty());
    assert_eq!(
        timeouts.timer.asked,
        vec![IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS]
    );
}

#[test]
fn eof_mid_request_is_truncated_and_a_small_buffer_is_reported() {
    let mut service = Recorder::default();
    let (ended, written) = run(
        vec![b"POST /a HTTP/1.1\r\nContent-Le".to_vec()],
        true,
        &mut service,
    );
    assert_eq!((ended, written.len()), (Ended::Truncated, 0));

    let mut service = Recorder::default();
    let mut io = ScriptedIo::new(vec![post("/a", &[1; 100])], false);
    let mut buffer = vec![0u8; 64];
    let mut timeouts = Timeouts::new(NoTimer);
    let ended = block_on(serve_connection(
        &mut io,
        1,
        &mut service,
        &mut buffer,
        &mut timeouts,
    ));
    assert_eq!(ended, Ended::BufferFull);
}

#[test]
fn line_breaks_after_a_body_do_not_start_a_request() {
    let mut service = Recorder::default();
    let mut io = ScriptedIo::new(vec![[post("/a", b"1"), b"\r\n".to_vec()].concat()], false);
    let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
    let mut timeouts = Timeouts::new(ExpiredTimer::default());
    let ended = block_on(serve_connection(
        &mut io,
        1,
        &mut service,
        &mut buffer,
        &mut timeouts,
    ));
    // The connection goes back to idle (not to a half-read request).
    assert_eq!(ended, Ended::IdleTimeout);
}
