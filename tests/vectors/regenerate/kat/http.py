"""protocomm_httpd, modelled: the HTTP side of a provisioning device, and a socket for
esp_prov's `http.client` connection that talks to it in-process (no port is opened).

The device answers like ESP-IDF's protocomm_httpd: every endpoint is a POST whose body is the
message; the first request of a new session gets `Set-Cookie: session=<id>`; a request belongs
to the session when its Cookie matches (there is one socket here, so one session); responses
are `Content-Type: text/html`. `proto-ver` always answers the configured string; `prov-session`
runs the security handshake; the other endpoints are decrypted, handled and encrypted.
"""

import http.client
import io

from . import device


class HttpDevice:
    def __init__(self, proto_ver_response, security, handlers, cookie_ids):
        """security: "sec0", or an object with response0/response1 and then channel()."""
        self.proto_ver_response = proto_ver_response
        self.security = security
        self.handlers = handlers
        self.cookie_ids = list(cookie_ids)
        self.cookie = None
        self.handshake = []
        self.channel = None
        self.exchanges = []

    def handle(self, raw):
        head, body = raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = lines[0].split(" ")
        headers = [line.split(": ", 1) for line in lines[1:]]
        cookie = next((value for name, value in headers if name.lower() == "cookie"), None)
        set_cookie = None
        if self.cookie is None:
            self.cookie = f"session={self.cookie_ids.pop(0)}"
            set_cookie = self.cookie
        elif cookie != self.cookie:
            raise AssertionError(f"request to {path} outside the session (Cookie {cookie!r})")
        endpoint = path.lstrip("/")
        view = None
        if method != "POST":
            raise AssertionError(f"esp_prov sent {method} {path}")
        if endpoint == "proto-ver":
            answer = self.proto_ver_response
        elif endpoint == "prov-session":
            answer = self._session(body)
        else:
            answer, view = self._application(endpoint, body)
        response_headers = [["Content-Type", "text/html"], ["Content-Length", str(len(answer))]]
        if set_cookie:
            response_headers.append(["Set-Cookie", set_cookie])
        self.exchanges.append({
            "method": method, "path": path, "request_headers": [list(h) for h in headers],
            "request_cookie": cookie, "request_body": body, "response_status": 200,
            "response_headers": response_headers, "set_cookie": set_cookie, "response_body": answer,
            "device_view": view,
        })
        status = b"HTTP/1.1 200 OK\r\n"
        header_bytes = b"".join(f"{n}: {v}\r\n".encode("latin-1") for n, v in response_headers)
        return status + header_bytes + b"\r\n" + answer

    def _session(self, body):
        if self.security == "sec0":
            self.channel = device.PlainChannel()
            return device.sec0_response(body)
        step = len(self.handshake)
        answer = (self.security.response0 if step == 0 else self.security.response1)(body)
        self.handshake.append(body)
        if step == 1:
            self.channel = self.security.channel() if hasattr(self.security, "channel") else self.security
        return answer

    def _application(self, endpoint, body):
        request_position = self.channel.position
        plaintext = self.channel.decrypt(body)
        reply = self.handlers.handle(endpoint, plaintext)
        reply_position = self.channel.position
        answer = self.channel.encrypt(reply)
        view = {"request_plaintext": plaintext, "request_position": request_position,
                "response_plaintext": reply, "response_position": reply_position}
        return answer, view


class _DeviceSocket:
    """What http.client needs of a socket: sendall() and makefile()."""

    def __init__(self, httpd):
        self.httpd = httpd
        self.pending = b""
        self.reply = b""

    def sendall(self, data):
        self.pending += bytes(data)
        head, sep, rest = self.pending.partition(b"\r\n\r\n")
        if not sep:
            return
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b": ")
            if name.lower() == b"content-length":
                length = int(value)
        if len(rest) >= length:
            request, self.pending = self.pending[:len(head) + 4 + length], rest[length:]
            self.reply += self.httpd.handle(request)

    def makefile(self, mode, *args, **kwargs):
        reply, self.reply = self.reply, b""
        return io.BufferedReader(io.BytesIO(reply))

    def close(self):
        pass


def connection_class(httpd):
    """An HTTPConnection whose socket is `httpd` (what esp_prov's transport instantiates)."""

    class DeviceConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = _DeviceSocket(httpd)

    return DeviceConnection
