//! The raw HTTP request parser (provkit-http) and the connection loop, from raw bytes as a
//! peer on the SoftAP sends them. Byte 0 chooses how the rest is cut into reads and whether a
//! valid request line is put in front (to reach the header parser more often).
//! Invariants: no panic; every request reported lies inside the input, with a body of
//! exactly Content-Length ≤ 4096 bytes and an origin-form target; the incremental parser fed
//! the same bytes in pieces finds the same requests and the same error as one-shot parsing;
//! the loop answers exactly the requests found, and writes nothing for a refused stream.
#![no_main]
use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use provkit_http::limits::{MAX_BODY_LEN, REQUEST_BUFFER_LEN};
use provkit_http::{
    Answer, ConnectionId, Ended, NoTimer, ParseError, Parsed, Request, RequestParser, Response,
    Service, Status, Timeouts, parse_request, serve_connection,
};

/// (method, target, cookie, body, keep_alive) of one request.
type Seen = (String, String, Option<Vec<u8>>, Vec<u8>, bool);

fn seen(r: &Request<'_>) -> Seen {
    (
        r.method.to_string(),
        r.target.to_string(),
        r.cookie.map(<[u8]>::to_vec),
        r.body.to_vec(),
        r.keep_alive,
    )
}

fn check(r: &Request<'_>, available: usize) {
    assert!(r.consumed <= available);
    assert_eq!(r.body.len(), r.content_length);
    assert!(r.content_length <= MAX_BODY_LEN);
    assert!(!r.method.is_empty());
    assert!(r.target.starts_with('/'));
    assert!(r.path().len() <= r.target.len());
}

/// Every request in `stream`, one-shot parsing after each removal; and how it ended.
fn one_shot(stream: &[u8]) -> (Vec<Seen>, Option<ParseError>) {
    let mut rest = stream;
    let mut out = Vec::new();
    loop {
        match parse_request(rest) {
            Ok(Parsed::Request(r)) => {
                check(&r, rest.len());
                out.push(seen(&r));
                rest = &rest[r.consumed..];
            }
            Ok(Parsed::Incomplete) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// The same with one parser fed `pieces` into a growing buffer.
fn incremental(pieces: &[&[u8]]) -> (Vec<Seen>, Option<ParseError>) {
    let mut parser = RequestParser::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match parser.parse(&buf) {
                Ok(Parsed::Request(r)) => {
                    check(&r, buf.len());
                    out.push(seen(&r));
                    let used = r.consumed;
                    buf.drain(..used);
                }
                Ok(Parsed::Incomplete) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

struct Chunks<'a> {
    pieces: std::collections::VecDeque<&'a [u8]>,
    written: Vec<u8>,
}

impl embedded_io_async::ErrorType for Chunks<'_> {
    type Error = Infallible;
}

impl embedded_io_async::Read for Chunks<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let Some(piece) = self.pieces.pop_front() else {
            return Ok(0);
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        if n < piece.len() {
            self.pieces.push_front(&piece[n..]);
        }
        Ok(n)
    }
}

impl embedded_io_async::Write for Chunks<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

#[derive(Default)]
struct Recorder {
    seen: Vec<Seen>,
    closed: usize,
}

impl Service for Recorder {
    async fn request(&mut self, r: &Request<'_>, _connection: ConnectionId) -> Answer {
        self.seen.push(seen(r));
        Answer::Reply(Response::new(Status::OK, r.body.to_vec()))
    }
    fn closed(&mut self, _connection: ConnectionId) {
        self.closed += 1;
    }
}

/// The scripted socket never waits, so polling until ready terminates.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let stream: Vec<u8> = if mode & 0x80 != 0 {
        [b"POST /prov-session HTTP/1.1\r\n".as_slice(), rest].concat()
    } else {
        rest.to_vec()
    };
    // Piece length from the low bits: 1, 2, 3 ... 64 bytes, or everything at once.
    let step = match mode & 0x3f {
        0 => stream.len().max(1),
        n => usize::from(n),
    };
    let pieces: Vec<&[u8]> = stream.chunks(step).collect();

    let whole = one_shot(&stream);
    let split = incremental(&pieces);
    assert_eq!(
        whole, split,
        "splitting the stream changed what it parses to"
    );

    let mut io = Chunks {
        pieces: pieces.iter().copied().collect(),
        written: Vec::new(),
    };
    let mut service = Recorder::default();
    let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
    let ended = run(serve_connection(
        &mut io,
        1,
        &mut service,
        &mut buffer,
        &mut Timeouts::new(NoTimer),
    ));
    assert_eq!(service.closed, 1);
    // The loop stops after a request that asked to close; up to there it saw what the
    // parser sees.
    let (requests, error) = whole;
    let expected: Vec<Seen> = match requests.iter().position(|r| !r.4) {
        Some(last) => requests[..=last].to_vec(),
        None => requests.clone(),
    };
    assert_eq!(service.seen, expected);
    let answers: Vec<u8> = expected
        .iter()
        .flat_map(|r| Response::new(Status::OK, r.3.clone()).encode())
        .collect();
    assert_eq!(io.written, answers, "a refused or cut request got bytes");
    match ended {
        Ended::Refused(e) => assert_eq!(Some(e), error),
        Ended::ClosedAfterResponse => assert!(expected.last().is_some_and(|r| !r.4)),
        Ended::PeerClosed | Ended::Truncated => assert_eq!(error, None),
        other => panic!("unexpected end {other:?} for a scripted stream"),
    }
});
