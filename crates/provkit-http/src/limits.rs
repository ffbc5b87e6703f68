//! The limits every provkit HTTP server applies, in one place.
//!
//! The head and body limits are esp_http_server's and protocomm_httpd's, so a request that an
//! ESP-IDF device accepts is accepted here and one it cannot take is refused here too. The
//! timeouts and the connection cap are provkit's own (esp_http_server keeps idle sockets
//! forever and, under protocomm, serves one socket and evicts the least recently used one for
//! a newcomer — which lets any newcomer cut the owner's connection); each adapter applies
//! them with its own runtime's clock and sockets.

/// Longest request head accepted: request line, headers and the blank line (plus any empty
/// lines before the request line). esp_http_server reads at most `CONFIG_HTTPD_MAX_URI_LEN`
/// (512) bytes for the request line and `CONFIG_HTTPD_MAX_REQ_HDR_LEN` (1024, ESP-IDF 5.x
/// default) for the headers; one budget of their sum is at least as lenient for every real
/// client (esp_prov's head is about 200 bytes, the phone apps' about 300).
pub const MAX_HEAD_LEN: usize = 512 + 1024;

/// Largest request body accepted (`MAX_REQ_BODY_LEN` in ESP-IDF's `protocomm_httpd.c`; a sec2
/// Command0, the largest provisioning message, is about 400 bytes).
pub const MAX_BODY_LEN: usize = 4096;

/// Buffer one connection needs to hold any acceptable request in full.
pub const REQUEST_BUFFER_LEN: usize = MAX_HEAD_LEN + MAX_BODY_LEN;

/// Default: how long a keep-alive connection may wait for its next request (or its first)
/// before it is closed. Long, because esp_prov keeps one `http.client` connection that does
/// not reopen a socket the server closed, and a person may be reading its prompt.
pub const IDLE_TIMEOUT_MS: u64 = 120_000;

/// Default: how long one request may take from its first byte to its last, and its response
/// to be taken by the peer (a slow sender or a peer that stops reading holds a connection
/// slot no longer than this). esp_http_server waits 5 s per `recv` instead.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;

/// Default cap on simultaneous connections for a host server (the simulator). Chips set
/// their own, smaller cap from their socket count; connections over the cap are refused and
/// the ones being served are left alone.
pub const MAX_CONNECTIONS: usize = 256;
