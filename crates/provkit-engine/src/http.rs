//! The SoftAP HTTP transport on the engine (feature `http`): provkit-http's [`Service`] over
//! the shared device, so a firmware hands `EngineHttp(&engine)` (one per connection slot) to
//! its HTTP server — on the ESP32, `provkit_esp32::http::serve`. With feature `portal` and a
//! portal enabled ([`Engine::enable_portal`](crate::Engine::enable_portal)), the portal's paths
//! go to it and every other path to protocomm.

use embassy_sync::blocking_mutex::raw::RawMutex;
use provkit_hal::Clock;
use provkit_http::{Answer, ConnectionId, Request, Service};
use provkit_protocomm::SecureRng;
use provkit_protocomm::http::{HttpOutcome, HttpRequest};

use crate::Engine;

/// The engine as an HTTP service: protocomm's cookie/socket framing, responses as
/// esp_http_server writes them, and no response at all where protocomm gives none.
pub struct EngineHttp<'e, M: RawMutex, R, K>(pub &'e Engine<M, R, K>);

impl<M: RawMutex, R: SecureRng, K: Clock> Service for EngineHttp<'_, M, R, K> {
    async fn request(&mut self, request: &Request<'_>, connection: ConnectionId) -> Answer {
        #[cfg(feature = "portal")]
        if let Some(response) =
            self.0
                .portal_http(request.method, request.target, request.body, connection)
        {
            return Answer::Reply(response);
        }
        let request = HttpRequest {
            method: request.method,
            path: request.path(),
            cookie: request.cookie,
            body: request.body,
            connection,
        };
        match self.0.http(&request).await {
            HttpOutcome::Close => Answer::Close,
            HttpOutcome::Reply(reply) => reply.into_response().map_or(Answer::Close, Answer::Reply),
        }
    }

    fn closed(&mut self, connection: ConnectionId) {
        self.0.http_connection_closed(connection);
    }
}
