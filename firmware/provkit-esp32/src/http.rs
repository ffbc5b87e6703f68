//! SoftAP HTTP transport: picoserve on an embassy-net TCP socket, every request handed to an
//! [`HttpHandler`] (the firmware maps it 1:1 onto protocomm's sans-I/O `HttpFraming`, which
//! owns the cookie/socket session rules of spec §5.1).
//!
//! ```text
//!  TCP :80 accept ─► connection id n ─► picoserve parses request line, headers, body
//!     ─► HttpHandler::on_request{method, path, Cookie, body, n}
//!         Reply{status, Set-Cookie, body} ─► written, connection kept
//!         Close                           ─► see below
//!  socket closed ─► HttpHandler::on_connection_closed(n)
//! ```
//!
//! Known deviation: the reference answers a failed request by closing the socket without a
//! response. picoserve's service interface cannot abort a connection mid-request (its I/O
//! error type is the socket's), so `Close` becomes `500` with `Connection: close`; esp_prov and
//! the phone apps treat both as a failed exchange.

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use picoserve::io::{Read, Write};
use picoserve::request::Path;
use picoserve::response::{Content, Response, ResponseWriter, StatusCode};
use picoserve::routing::PathRouterService;
use picoserve::{ResponseSent, Router};

/// One request, as protocomm's HTTP framing wants it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequestParts<'a> {
    /// Method, e.g. `POST`.
    pub method: &'a str,
    /// Path without the query, e.g. `/prov-session`.
    pub path: &'a str,
    /// Raw `Cookie` header value.
    pub cookie: Option<&'a [u8]>,
    /// The body.
    pub body: &'a [u8],
    /// The TCP connection the request came on.
    pub connection: u32,
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpAnswer {
    /// Send this reply.
    Reply {
        /// Status code.
        status: u16,
        /// `Set-Cookie` value, if due.
        set_cookie: Option<String>,
        /// Body (sent as `Content-Type: text/html`, like esp_http_server).
        body: Vec<u8>,
    },
    /// Fail the request (see the module docs).
    Close,
}

/// Answers HTTP requests (the firmware's protocomm glue).
pub trait HttpHandler {
    /// One request.
    fn on_request(&mut self, request: HttpRequestParts<'_>) -> HttpAnswer;
    /// Connection `connection` closed.
    fn on_connection_closed(&mut self, connection: u32);
}

/// Largest request body protocomm accepts (`MAX_REQ_BODY_LEN`).
pub const MAX_BODY_LEN: usize = 4096;

/// A body sent as `text/html`, the content type esp_http_server puts on every protocomm reply.
struct TextHtml(Vec<u8>);

impl Content for TextHtml {
    fn content_type(&self) -> &'static str {
        "text/html"
    }

    fn content_length(&self) -> usize {
        self.0.len()
    }

    async fn write_content<W: Write>(self, mut writer: W) -> Result<(), W::Error> {
        writer.write_all(&self.0).await
    }
}

struct ProtocommService<'h, H: HttpHandler> {
    handler: &'h RefCell<H>,
    connection: u32,
}

impl<H: HttpHandler> PathRouterService<()> for ProtocommService<'_, H> {
    async fn call_path_router_service<R: Read, W: ResponseWriter<Error = R::Error>>(
        &self,
        _state: &(),
        _path_parameters: (),
        _path: Path<'_>,
        mut request: picoserve::request::Request<'_, R>,
        response_writer: W,
    ) -> Result<ResponseSent, W::Error> {
        let method = request.parts.method();
        let path = request.parts.path().encoded();
        let cookie = request.parts.headers().get("Cookie").map(|v| v.as_raw());
        let answer = match request.body_connection.body().read_all().await {
            Ok(body) => self.handler.borrow_mut().on_request(HttpRequestParts {
                method,
                path,
                cookie,
                body,
                connection: self.connection,
            }),
            // Larger than the HTTP buffer: protocomm would refuse it too.
            Err(_) => HttpAnswer::Close,
        };
        let connection = request.body_connection.finalize().await?;
        match answer {
            HttpAnswer::Reply {
                status,
                set_cookie,
                body,
            } => {
                let response = Response::new(StatusCode::new(status), TextHtml(body));
                match set_cookie {
                    Some(cookie) => {
                        response_writer
                            .write_response(connection, response.with_header("Set-Cookie", cookie))
                            .await
                    }
                    None => response_writer.write_response(connection, response).await,
                }
            }
            HttpAnswer::Close => {
                let response =
                    Response::new(StatusCode::INTERNAL_SERVER_ERROR, TextHtml(Vec::new()))
                        .with_header("Connection", "close");
                response_writer.write_response(connection, response).await
            }
        }
    }
}

/// Serves HTTP on `port` forever, one connection at a time (the reference's httpd serves one
/// provisioning client; a second phone waits in the listen backlog).
pub async fn serve<H: HttpHandler>(stack: Stack<'_>, port: u16, handler: &RefCell<H>) -> ! {
    static CONFIG: picoserve::Config = picoserve::Config::new(picoserve::Timeouts {
        start_read_request: picoserve::time::Duration::from_secs(30),
        persistent_start_read_request: picoserve::time::Duration::from_secs(30),
        read_request: picoserve::time::Duration::from_secs(10),
        write: picoserve::time::Duration::from_secs(10),
    })
    .keep_connection_alive();
    let mut rx = [0u8; 1536];
    let mut tx = [0u8; 1536];
    let mut http_buffer = [0u8; MAX_BODY_LEN + 1024];
    let mut next_connection = 0u32;
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        if socket.accept(port).await.is_err() {
            continue;
        }
        next_connection = next_connection.wrapping_add(1);
        let connection = next_connection;
        let router = Router::from_service(ProtocommService {
            handler,
            connection,
        });
        let _ = picoserve::Server::new(&router, &CONFIG, &mut http_buffer)
            .serve(socket)
            .await;
        handler.borrow_mut().on_connection_closed(connection);
    }
}
