//! The keep-alive connection loop, generic over `embedded_io_async::{Read, Write}`.
//!
//! ```text
//!  ┌► wait for the next request's first byte ── idle timeout ──────────────► IdleTimeout
//!  │        (skipped while pipelined bytes are left over)   EOF ───────────► PeerClosed
//!  │  read until RequestParser has a whole request ── request timeout ─────► RequestTimeout
//!  │        ParseError ─► Service::refused ─► its response, or none ───────► Refused
//!  │  Service::request ─► Answer::Close ───────────────────────────────────► ServiceClosed
//!  │                    └► Answer::Reply ─► one write (request timeout) ─┬─► ClosedAfterResponse
//!  └─── keep the bytes after the request; next ◄── keep-alive ───────────┘   (closing response
//!                                                                           or client's close)
//!  at every end: Service::closed(id); the adapter then closes the socket
//! ```
//!
//! The loop has no clock: timeouts come from a [`Timer`] the adapter implements with its
//! runtime (`tokio::time::sleep` in the simulator, `embassy_time::Timer` on the ESP32).
//! The connection cap is the adapter's too (it owns accepting): the simulator counts
//! connections and drops the ones over its cap on accept; the ESP32 has one socket per
//! connection it serves, so over the cap no socket listens and the TCP stack refuses.
//!
//! "No response" is literal: for [`Answer::Close`] and for a refused request (by default) no
//! byte is written, and the adapter closes the socket — what ESP-IDF's protocomm_httpd does
//! when a handler fails.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{Read, Write};

use crate::limits::{IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS};
use crate::parse::{ParseError, Request, RequestParser};
use crate::response::Response;

/// Identifies one connection for the service (e.g. to bind a session to a socket).
pub type ConnectionId = u32;

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Send this response (and keep the connection unless it or the client says otherwise).
    Reply(Response),
    /// Send nothing and close the connection.
    Close,
}

/// What a server does with requests: the adapter's side of the loop.
pub trait Service {
    /// Answers one request that arrived on `connection`.
    fn request(
        &mut self,
        request: &Request<'_>,
        connection: ConnectionId,
    ) -> impl Future<Output = Answer>;

    /// A request the parser refused: the response to send before closing, if any. The
    /// default sends nothing (esp_http_server would send a 4xx/5xx; protocomm's clients never
    /// produce these requests, and an attacker learns nothing from silence).
    fn refused(&mut self, error: ParseError, connection: ConnectionId) -> Option<Response> {
        let _ = (error, connection);
        None
    }

    /// `connection` ended (for any reason); called once, last.
    fn closed(&mut self, connection: ConnectionId);
}

/// The adapter's clock, as the loop needs it.
pub trait Timer {
    /// A future that completes `ms` milliseconds after it is created.
    fn sleep_ms(&mut self, ms: u64) -> impl Future<Output = ()>;
}

/// A timer that never fires (tests, or an adapter that bounds connections another way).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTimer;

impl Timer for NoTimer {
    fn sleep_ms(&mut self, _ms: u64) -> impl Future<Output = ()> {
        core::future::pending()
    }
}

/// The loop's timeouts and the timer that measures them.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts<T> {
    /// The adapter's clock.
    pub timer: T,
    /// Longest wait for a request's first byte (between keep-alive requests, or the first).
    pub idle_ms: u64,
    /// Longest a request may take to arrive in full, and its response to be written.
    pub request_ms: u64,
}

impl<T: Timer> Timeouts<T> {
    /// [`IDLE_TIMEOUT_MS`] and [`REQUEST_TIMEOUT_MS`] measured by `timer`.
    pub const fn new(timer: T) -> Self {
        Self {
            timer,
            idle_ms: IDLE_TIMEOUT_MS,
            request_ms: REQUEST_TIMEOUT_MS,
        }
    }
}

/// Why a connection ended. The adapter closes the socket in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The peer closed between requests.
    PeerClosed,
    /// The peer closed in the middle of a request.
    Truncated,
    /// No request began within the idle timeout.
    IdleTimeout,
    /// A request, or its response, took longer than the request timeout.
    RequestTimeout,
    /// The request was malformed or over a limit.
    Refused(ParseError),
    /// The service answered [`Answer::Close`]: no response was sent.
    ServiceClosed,
    /// A response was sent and the connection ends there: the response was
    /// [closing](Response::closing) or the client asked for `Connection: close`.
    ClosedAfterResponse,
    /// The buffer given to the loop is too small for this request.
    BufferFull,
    /// Reading from the socket failed.
    ReadFailed,
    /// Writing to the socket failed.
    WriteFailed,
}

enum Either<A, B> {
    First(A),
    Second(B),
}

/// Polls both, `a` first; the first to finish wins and the other is dropped.
async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::First(x));
        }
        if let Poll::Ready(y) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Second(y));
        }
        Poll::Pending
    })
    .await
}

/// Serves requests on one connection until it ends; returns why.
///
/// `buffer` holds one request at a time (plus pipelined bytes after it); give it
/// [`REQUEST_BUFFER_LEN`](crate::limits::REQUEST_BUFFER_LEN) bytes so that every request
/// within the limits fits. [`Service::closed`] is called before this returns; closing the
/// socket is the caller's job.
pub async fn serve_connection<Io, S, T>(
    io: &mut Io,
    connection: ConnectionId,
    service: &mut S,
    buffer: &mut [u8],
    timeouts: &mut Timeouts<T>,
) -> Ended
where
    Io: Read + Write,
    S: Service,
    T: Timer,
{
    let ended = serve(io, connection, service, buffer, timeouts).await;
    service.closed(connection);
    ended
}

async fn serve<Io, S, T>(
    io: &mut Io,
    connection: ConnectionId,
    service: &mut S,
    buffer: &mut [u8],
    timeouts: &mut Timeouts<T>,
) -> Ended
where
    Io: Read + Write,
    S: Service,
    T: Timer,
{
    // Bytes of `buffer` holding data: the current request, then any pipelined ones.
    let mut filled = 0usize;
    let mut parser = RequestParser::new();
    loop {
        if filled == 0 {
            let idle = timeouts.timer.sleep_ms(timeouts.idle_ms);
            match race(io.read(buffer), idle).await {
                Either::First(Ok(0)) => return Ended::PeerClosed,
                Either::First(Ok(n)) => filled = n.min(buffer.len()),
                Either::First(Err(_)) => return Ended::ReadFailed,
                Either::Second(()) => return Ended::IdleTimeout,
            }
        }
        // A request has begun: it must arrive in full before the deadline.
        let complete = {
            let mut deadline = pin!(timeouts.timer.sleep_ms(timeouts.request_ms));
            loop {
                match parser.advance(buffer.get(..filled).unwrap_or_default()) {
                    Err(e) => break Err(e),
                    Ok(true) => break Ok(()),
                    Ok(false) => {}
                }
                let Some(free) = buffer.get_mut(filled..).filter(|f| !f.is_empty()) else {
                    return Ended::BufferFull;
                };
                match race(io.read(free), deadline.as_mut()).await {
                    // EOF after only empty lines is a clean close, not a truncated request.
                    Either::First(Ok(0)) if !parser.in_progress() => return Ended::PeerClosed,
                    Either::First(Ok(0)) => return Ended::Truncated,
                    Either::First(Ok(n)) => filled = (filled + n).min(buffer.len()),
                    Either::First(Err(_)) => return Ended::ReadFailed,
                    Either::Second(()) => return Ended::RequestTimeout,
                }
            }
        };
        if let Err(error) = complete {
            if let Some(response) = service.refused(error, connection)
                && let Err(ended) = write_response(io, &response, timeouts).await
            {
                return ended;
            }
            return Ended::Refused(error);
        }
        let (answer, consumed, keep_alive) = {
            let Some(request) = parser.take(buffer.get(..filled).unwrap_or_default()) else {
                // advance() said complete on this very buffer; cannot happen.
                return Ended::BufferFull;
            };
            let answer = service.request(&request, connection).await;
            (answer, request.consumed, request.keep_alive)
        };
        let response = match answer {
            Answer::Close => return Ended::ServiceClosed,
            Answer::Reply(response) => response,
        };
        if let Err(ended) = write_response(io, &response, timeouts).await {
            return ended;
        }
        if response.closes_connection() || !keep_alive {
            return Ended::ClosedAfterResponse;
        }
        // Keep what follows the request: the start of the next one. Line breaks a client
        // sends after a body (allowed before a request line) do not start a request, so
        // they do not turn the idle wait into the shorter request deadline.
        let mut start = consumed.min(filled);
        while let Some(rest) = buffer.get(start..filled) {
            if rest.starts_with(b"\r\n") {
                start += 2;
            } else if rest.starts_with(b"\n") {
                start += 1;
            } else {
                break;
            }
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
    }
}

async fn write_response<Io: Write, T: Timer>(
    io: &mut Io,
    response: &Response,
    timeouts: &mut Timeouts<T>,
) -> Result<(), Ended> {
    let bytes = response.encode();
    let write = async {
        io.write_all(&bytes).await?;
        io.flush().await
    };
    match race(write, timeouts.timer.sleep_ms(timeouts.request_ms)).await {
        Either::First(Ok(())) => Ok(()),
        Either::First(Err(_)) => Err(Ended::WriteFailed),
        Either::Second(()) => Err(Ended::RequestTimeout),
    }
}
