//! A minimal blocking HTTP/1.1 server for TI's device API on a real TCP socket (loopback in
//! tests, `provkit sim --personality cc32xx` for a phone or curl). Connections are served
//! one after another, one request each (`Connection: close`), by provkit-http's connection
//! loop (the parser, limits and response writer of every provkit HTTP server) over the
//! blocking socket; each request is handed to [`super::http_api::handle`], a malformed one
//! gets `400`. Announcements the NWP queued are sent to `announce_to` after each request.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use provkit_http::limits::REQUEST_BUFFER_LEN;
use provkit_http::{
    Answer, ConnectionId, NoTimer, ParseError, Request, Response, Service, Status, Timeouts,
    serve_connection,
};

use provkit_hal::Instant;
use provkit_nwp::driver::{NwpDriver, NwpEvent};
use provkit_portal::{Portal, PortalRequest};
use provkit_protocomm::{ClientId, Throttle, ThrottleState, TransportKind};

use super::portal::TiBackend;
use super::{EmulatedNwp, NwpSettings, announce, http_api};

/// How often the simulator moves the NWP's virtual time to the wall clock.
pub const TICK: Duration = Duration::from_millis(50);

/// `provkit sim --personality cc32xx`: an NWP booted from `settings` (its own timers —
/// auto-provisioning after 2 s with no profiles, inactivity — run on the wall clock),
/// serving TI's HTTP API on `listener` until `stop` is set. The host events the NWP raises
/// are drained and dropped; [`run_sim_with_events`] hands them to the caller.
pub fn run_sim(
    listener: TcpListener,
    settings: NwpSettings,
    options: ServerOptions,
    stop: Arc<AtomicBool>,
) -> Result<(), crate::SimError> {
    run_sim_with_events(listener, settings, options, stop, |_| {})
}

/// [`run_sim`], calling `on_event` (on the timer thread, in order) with every event the NWP
/// delivers to its host (`SL_WLAN_EVENT_PROVISIONING_STATUS`, profile added, link events,
/// reset requests), at most one [`TICK`] after it happened.
pub fn run_sim_with_events(
    listener: TcpListener,
    settings: NwpSettings,
    options: ServerOptions,
    stop: Arc<AtomicBool>,
    on_event: impl FnMut(NwpEvent) + Send + 'static,
) -> Result<(), crate::SimError> {
    run_sim_with_portal(listener, settings, options, None, stop, on_event)
}

/// [`run_sim_with_events`] with the captive portal (`provkit sim --personality cc32xx
/// --portal`) served beside TI's API: the paths [`Portal::serves`] go to the portal, which
/// drives TI's API ([`super::portal`]); the others to TI's API as before.
pub fn run_sim_with_portal(
    listener: TcpListener,
    settings: NwpSettings,
    options: ServerOptions,
    portal: Option<Portal>,
    stop: Arc<AtomicBool>,
    mut on_event: impl FnMut(NwpEvent) + Send + 'static,
) -> Result<(), crate::SimError> {
    let io = |context: &str| {
        let context = context.to_string();
        move |source| crate::SimError::Io { context, source }
    };
    let mut nwp = EmulatedNwp::new(settings)?;
    nwp.start()
        .map_err(|e| crate::SimError::Manager(format!("sl_Start failed: {e}")))?;
    let nwp = Arc::new(Mutex::new(nwp));
    let ticker = {
        let (nwp, stop) = (nwp.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut last = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                let now = std::time::Instant::now();
                let elapsed = u64::try_from(now.duration_since(last).as_millis()).unwrap_or(0);
                last = now;
                let Ok(mut guard) = nwp.lock() else { return };
                guard.advance(elapsed);
                let announcements = guard.take_announcements();
                // Drained every tick so the queue stays bounded even with no listener.
                let mut events = Vec::new();
                while let Some(event) = guard.poll_event() {
                    events.push(event);
                }
                drop(guard);
                events.into_iter().for_each(&mut on_event);
                if let Some(to) = options.announce_to {
                    for a in announcements {
                        let _ = announce::send(&a, to);
                    }
                }
            }
        })
    };
    let portal = portal.map(|p| Mutex::new((p, ThrottleState::new(Some(Throttle::DEFAULT)))));
    let served = serve_all(listener, nwp, options, portal.as_ref(), stop.clone())
        .map_err(io("serving TI HTTP API"));
    stop.store(true, Ordering::Relaxed);
    let _ = ticker.join();
    served
}

/// Per-connection read timeout: a silent client must not hold the server.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the server sends the `"ip,name"` announcements.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Destination of announcements (`None` = drop them).
    pub announce_to: Option<SocketAddr>,
}

/// Serve until `stop` is set (checked between connections; the listener is non-blocking
/// with a short poll so a stop is seen promptly).
pub fn serve(
    listener: TcpListener,
    nwp: Arc<Mutex<EmulatedNwp>>,
    options: ServerOptions,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    serve_all(listener, nwp, options, None, stop)
}

/// The portal and its throttle, shared by the connections.
type SharedPortal = Mutex<(Portal, ThrottleState)>;

fn serve_all(
    listener: TcpListener,
    nwp: Arc<Mutex<EmulatedNwp>>,
    options: ServerOptions,
    portal: Option<&SharedPortal>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                // A broken client only ends its own connection.
                let _ = serve_connection_blocking(stream, &nwp, options, portal);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A blocking socket as provkit-http's async I/O: every read and write completes before it
/// returns (bounded by the socket's timeouts), so the loop never waits on a waker.
struct BlockingIo(TcpStream);

impl embedded_io_async::ErrorType for BlockingIo {
    type Error = std::io::Error;
}

impl embedded_io_async::Read for BlockingIo {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl embedded_io_async::Write for BlockingIo {
    async fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Runs a future whose I/O is blocking to completion on this thread.
fn run_blocking<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// TI's HTTP API as provkit-http's service.
struct TiService<'a> {
    nwp: &'a Mutex<EmulatedNwp>,
    options: ServerOptions,
    portal: Option<&'a SharedPortal>,
}

/// The response with TI's status line, `Connection: close`, ending the connection.
fn ti_response(response: http_api::TiHttpResponse) -> Option<Response> {
    let status = Status::custom(response.status, response.reason())?;
    Response::new(status, response.body)
        .with_content_type(response.content_type)
        .and_then(|r| r.with_header("Connection", "close"))
        .ok()
        .map(Response::closing)
}

impl Service for TiService<'_> {
    async fn request(&mut self, request: &Request<'_>, _connection: ConnectionId) -> Answer {
        let Ok(mut guard) = self.nwp.lock() else {
            return Answer::Close;
        };
        if let Some(portal) = self.portal
            && Portal::serves(request.target)
        {
            let Ok(mut shared) = portal.lock() else {
                return Answer::Close;
            };
            let (portal, throttle) = &mut *shared;
            let now = Instant::from_millis(guard.now_ms());
            let portal_request = PortalRequest {
                method: request.method,
                target: request.target,
                body: request.body,
                client: ClientId::new(TransportKind::Http, 0),
            };
            let mut backend = TiBackend {
                nwp: &mut guard,
                throttle,
            };
            let response = portal.handle(&mut backend, &portal_request, now);
            let announcements = guard.take_announcements();
            drop(guard);
            if let Some(to) = self.options.announce_to {
                for a in announcements {
                    let _ = announce::send(&a, to);
                }
            }
            // One request per connection, like TI's API on this server.
            return Answer::Reply(response.closing());
        }
        let response = http_api::handle(&mut guard, request.method, request.target, request.body);
        let announcements = guard.take_announcements();
        drop(guard);
        if let Some(to) = self.options.announce_to {
            for a in announcements {
                let _ = announce::send(&a, to);
            }
        }
        ti_response(response).map_or(Answer::Close, Answer::Reply)
    }

    fn refused(&mut self, _error: ParseError, _connection: ConnectionId) -> Option<Response> {
        ti_response(http_api::TiHttpResponse {
            status: 400,
            content_type: "text/plain",
            body: b"malformed request".to_vec(),
        })
    }

    fn closed(&mut self, _connection: ConnectionId) {}
}

fn serve_connection_blocking(
    stream: TcpStream,
    nwp: &Mutex<EmulatedNwp>,
    options: ServerOptions,
    portal: Option<&SharedPortal>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut io = BlockingIo(stream);
    let mut service = TiService {
        nwp,
        options,
        portal,
    };
    let mut buffer = vec![0u8; REQUEST_BUFFER_LEN];
    // The socket's own timeouts bound every read and write.
    let mut timeouts = Timeouts::new(NoTimer);
    let _ended = run_blocking(serve_connection(
        &mut io,
        0,
        &mut service,
        &mut buffer,
        &mut timeouts,
    ));
    Ok(())
}
