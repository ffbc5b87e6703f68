//! In-memory socket, timer and service for driving `serve_connection` deterministically.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;

use provkit_http::{Answer, ConnectionId, ParseError, Request, Response, Service, Status, Timer};

/// A socket whose reads return the scripted chunks in order, then EOF (or nothing ever,
/// like an idle peer, when `eof` is false); writes are recorded.
pub struct ScriptedIo {
    pub chunks: VecDeque<Vec<u8>>,
    pub eof: bool,
    pub written: Vec<u8>,
}

impl ScriptedIo {
    pub fn new(chunks: Vec<Vec<u8>>, eof: bool) -> Self {
        Self {
            chunks: chunks.into(),
            eof,
            written: Vec::new(),
        }
    }
}

impl embedded_io_async::ErrorType for ScriptedIo {
    type Error = Infallible;
}

impl embedded_io_async::Read for ScriptedIo {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        match self.chunks.pop_front() {
            Some(chunk) => {
                let n = chunk.len().min(buf.len());
                buf[..n].copy_from_slice(&chunk[..n]);
                if n < chunk.len() {
                    self.chunks.push_front(chunk[n..].to_vec());
                }
                Ok(n)
            }
            None if self.eof => Ok(0),
            None => std::future::pending().await,
        }
    }
}

impl embedded_io_async::Write for ScriptedIo {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A timer whose every sleep is already over: it fires whenever the socket has nothing to
/// give (the loop polls the socket first). Records the durations asked for.
#[derive(Default)]
pub struct ExpiredTimer {
    pub asked: Vec<u64>,
}

impl Timer for ExpiredTimer {
    fn sleep_ms(&mut self, ms: u64) -> impl Future<Output = ()> {
        self.asked.push(ms);
        std::future::ready(())
    }
}

/// One request as the service saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub connection: ConnectionId,
    pub method: String,
    pub target: String,
    pub cookie: Option<Vec<u8>>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

/// `/fail` → Close; `/bye` → 200 that closes; `/refuse-loudly` is never a path (see
/// `loud_refusals`); anything else → 200 with the body reversed.
#[derive(Default)]
pub struct Recorder {
    pub seen: Vec<Seen>,
    pub closed: Vec<ConnectionId>,
    pub refused: Vec<ParseError>,
    pub loud_refusals: bool,
}

impl Service for Recorder {
    async fn request(&mut self, r: &Request<'_>, connection: ConnectionId) -> Answer {
        self.seen.push(Seen {
            connection,
            method: r.method.to_string(),
            target: r.target.to_string(),
            cookie: r.cookie.map(<[u8]>::to_vec),
            body: r.body.to_vec(),
            keep_alive: r.keep_alive,
        });
        match r.path() {
            "/fail" => Answer::Close,
            "/bye" => Answer::Reply(Response::new(Status::OK, b"bye".to_vec()).closing()),
            _ => Answer::Reply(Response::new(
                Status::OK,
                r.body.iter().rev().copied().collect(),
            )),
        }
    }

    fn refused(&mut self, error: ParseError, _connection: ConnectionId) -> Option<Response> {
        self.refused.push(error);
        self.loud_refusals
            .then(|| Response::error(Status::BAD_REQUEST, "Bad request syntax"))
    }

    fn closed(&mut self, connection: ConnectionId) {
        self.closed.push(connection);
    }
}

/// What `Recorder` answers to a request with `body` (not `/fail`, not `/bye`).
pub fn echo_bytes(body: &[u8]) -> Vec<u8> {
    Response::new(Status::OK, body.iter().rev().copied().collect()).encode()
}
