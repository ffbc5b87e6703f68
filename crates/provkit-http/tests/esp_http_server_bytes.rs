//! Responses byte for byte as ESP-IDF's esp_http_server sends them on protocomm endpoints.
//!
//! The expected bytes are written out here from ESP-IDF's sources (v5.0 – v6.0, facts only):
//! `httpd_resp_send` formats `"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"`,
//! then each header the handler set as `field ": " value "\r\n"` in the order set, then
//! `"\r\n"` and the body; the default status is `HTTPD_200` = `"200 OK"` and the default type
//! `HTTPD_TYPE_TEXT` = `"text/html"`. protocomm_httpd sets one header, `"Set-Cookie"` with
//! `"session=%u"` (no attributes), on the first answer of a new session. An unknown URI gets
//! `httpd_resp_send_err(HTTPD_404_NOT_FOUND)`: status `"404 Not Found"`, body `"Nothing
//! matches the given URI"`; a known URI with another method `HTTPD_405_METHOD_NOT_ALLOWED`:
//! `"405 Method Not Allowed"`, `"Specified method is invalid for this resource"` (ESP-IDF
//! 4.x said "Request method for this URI is not handled by server"); the socket is closed
//! after either. A failing handler sends nothing and the socket is closed.

use provkit_http::{Response, Status};

fn cookie_reply(body: &[u8], cookie: &str) -> Response {
    Response::new(Status::OK, body.to_vec())
        .with_header("Set-Cookie", cookie)
        .expect("a session cookie is a valid header")
}

#[test]
fn ok_without_cookie() {
    let bytes = Response::new(Status::OK, b"\x08\x01".to_vec()).encode();
    assert_eq!(
        bytes,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\n\x08\x01"
    );
}

#[test]
fn ok_with_the_session_cookie() {
    let bytes = cookie_reply(b"{}", "session=2882400001").encode();
    assert_eq!(
        bytes,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\nSet-Cookie: session=2882400001\r\n\r\n{}"
    );
}

#[test]
fn ok_with_an_empty_body() {
    let bytes = Response::new(Status::OK, Vec::new()).encode();
    assert_eq!(
        bytes,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn not_found_and_method_not_allowed_close_the_connection() {
    let not_found = Response::error(Status::NOT_FOUND, "Nothing matches the given URI");
    assert_eq!(
        not_found.encode(),
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 29\r\n\r\nNothing matches the given URI"
    );
    assert!(not_found.closes_connection());
    let not_allowed = Response::error(
        Status::METHOD_NOT_ALLOWED,
        "Specified method is invalid for this resource",
    );
    assert_eq!(
        not_allowed.encode(),
        b"HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/html\r\nContent-Length: 45\r\n\r\nSpecified method is invalid for this resource"
    );
    assert!(not_allowed.closes_connection());
}

#[test]
fn esp_http_server_error_statuses_with_its_default_messages() {
    // The statuses esp_http_server itself produces for requests it cannot take (provkit's
    // servers close silently instead; a service may answer them through `Service::refused`).
    let cases: [(Status, &str, &[u8]); 7] = [
        (
            Status::BAD_REQUEST,
            "Bad request syntax",
            b"400 Bad Request",
        ),
        (
            Status::REQUEST_TIMEOUT,
            "Server closed this connection",
            b"408 Request Timeout",
        ),
        (Status::URI_TOO_LONG, "URI is too long", b"414 URI Too Long"),
        (
            Status::HEADER_FIELDS_TOO_LARGE,
            "Header fields are too long",
            b"431 Request Header Fields Too Large",
        ),
        (
            Status::INTERNAL_SERVER_ERROR,
            "Server has encountered an unexpected error",
            b"500 Internal Server Error",
        ),
        (
            Status::METHOD_NOT_IMPLEMENTED,
            "Server does not support this method",
            b"501 Method Not Implemented",
        ),
        (
            Status::VERSION_NOT_SUPPORTED,
            "HTTP version not supported by server",
            b"505 Version Not Supported",
        ),
    ];
    for (status, message, line) in cases {
        let want = [
            b"HTTP/1.1 ".as_slice(),
            line,
            format!(
                "\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{message}",
                message.len()
            )
            .as_bytes(),
        ]
        .concat();
        assert_eq!(Response::error(status, message).encode(), want, "{message}");
    }
}

/// The recorded transcripts (a Python model of protocomm_httpd driven by esp_prov) list each
/// response's headers; the writer produces exactly those lines, in that order.
#[test]
fn recorded_transcripts_have_the_same_header_lines() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/transcripts"
    );
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("transcripts directory") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("transcript");
        let t: serde_json::Value = serde_json::from_str(&text).expect("json");
        for e in t["exchanges"].as_array().expect("exchanges") {
            let body =
                hex::decode(e["response_body_hex"].as_str().expect("body hex")).expect("hex");
            assert_eq!(e["response_status"], 200);
            let response = match e["set_cookie"].as_str() {
                Some(cookie) => cookie_reply(&body, cookie),
                None => Response::new(Status::OK, body.clone()),
            };
            let mut want = b"HTTP/1.1 200 OK\r\n".to_vec();
            for h in e["response_headers"].as_array().expect("headers") {
                want.extend_from_slice(
                    format!(
                        "{}: {}\r\n",
                        h[0].as_str().expect("name"),
                        h[1].as_str().expect("value")
                    )
                    .as_bytes(),
                );
            }
            want.extend_from_slice(b"\r\n");
            want.extend_from_slice(&body);
            assert_eq!(
                response.encode(),
                want,
                "{} seq {}",
                path.display(),
                e["seq"]
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} exchanges found");
}
