"""Espressif's esp_prov client, from the PyPI package esp-rainmaker-cli 1.14.1, run in-process.

The package ships esp_prov as `rmaker_tools.rmaker_local_ctrl.esp_prov`; importing it sets up
what its code imports (`security` = `rmaker_tools/common/security/security{0,1,2}.py` and
`srp6a.py`, `prov` = `rmaker_tools/common/prov/wifi_{scan,prov,ctrl}.py` plus
`rmaker_local_ctrl/prov/custom_prov.py`, and a top-level `proto` module with the `*_pb2`
classes). Nothing of it is copied or changed on disk. At run time this module only swaps
module-level names, each for the duration of one `with` block:

* randomness, as the vectors were made: `security1.X25519PrivateKey` (its `generate()` returns
  the recorded client key) and `srp6a.os` (its `urandom(n)` returns the recorded bytes);
* `time.sleep` (a no-op, so status polling does not wait 5 s) and, for HTTP runs, the
  transport's `HTTPConnection` (see `kat.http`) and `send_data` (1.14.1 awaits this plain
  function; the wrapper awaits nothing and sends the same bytes, as tests/interop does);
* `as_esp_idf()`: the two differences between this copy and ESP-IDF's that the vectors show
  (prov-ctrl requests, and wifi_config's `attempt_failed`), see there.
"""

import asyncio
import contextlib
import io
import shlex
import sys
import time
import warnings

with warnings.catch_warnings():
    # The package's `proto` loader calls SourceFileLoader.load_module(), deprecated since 3.10.
    warnings.simplefilter("ignore", DeprecationWarning)
    from rmaker_tools.rmaker_local_ctrl import esp_prov
    import proto  # the module esp_prov's security and prov code resolved
    from rmaker_tools.common.prov import wifi_ctrl as _wifi_ctrl
    from rmaker_tools.common.security import security1 as _security1
    from rmaker_tools.common.security import srp6a
    from rmaker_tools.common.transport import transport_http as _transport_http
    from rmaker_tools.common.utils import convenience

from . import schema

security = esp_prov.security
prov = esp_prov.prov
long_to_bytes = convenience.long_to_bytes
bytes_to_long = convenience.bytes_to_long


class RandomnessMismatch(RuntimeError):
    """esp_prov asked for different randomness than the case records."""


@contextlib.contextmanager
def fixed_x25519_keys(private_keys):
    """`X25519PrivateKey.generate()` in security1 returns these 32-byte keys, in order."""
    queue = [bytes.fromhex(k) if isinstance(k, str) else k for k in private_keys]
    real = _security1.X25519PrivateKey

    class RecordedKeys:
        @staticmethod
        def generate():
            if not queue:
                raise RandomnessMismatch("esp_prov generated more X25519 keys than recorded")
            return real.from_private_bytes(queue.pop(0))

    _security1.X25519PrivateKey = RecordedKeys
    try:
        yield
    finally:
        _security1.X25519PrivateKey = real
    if queue:
        raise RandomnessMismatch(f"{len(queue)} recorded X25519 key(s) were not used")


class _RecordedUrandom:
    def __init__(self, chunks):
        self.queue = [bytes.fromhex(c) if isinstance(c, str) else c for c in chunks]

    def urandom(self, n):
        if not self.queue:
            raise RandomnessMismatch(f"esp_prov asked os.urandom({n}) beyond the recorded bytes")
        chunk = self.queue.pop(0)
        if len(chunk) != n:
            raise RandomnessMismatch(f"esp_prov asked os.urandom({n}), recorded {len(chunk)} bytes")
        return chunk


@contextlib.contextmanager
def fixed_urandom(chunks):
    """`os.urandom(n)` as seen by srp6a returns these byte strings, in order."""
    recorded = _RecordedUrandom(chunks)
    real = srp6a.os
    srp6a.os = recorded
    try:
        yield
    finally:
        srp6a.os = real
    if recorded.queue:
        raise RandomnessMismatch(f"{len(recorded.queue)} recorded urandom value(s) were not used")


CTRL_COMMANDS = {
    proto.wifi_ctrl_pb2.TypeCmdCtrlReset: "cmd_ctrl_reset",
    proto.wifi_ctrl_pb2.TypeCmdCtrlReprov: "cmd_ctrl_reprov",
}
_REAL_MAKE_CTRL_PAYLOAD = _wifi_ctrl._make_ctrl_payload


@contextlib.contextmanager
def esp_idf_ctrl_requests():
    """Makes `prov.ctrl_reset_request` / `ctrl_reprov_request` build ESP-IDF's bytes.

    ESP-IDF's esp_prov (commit 56949379, which made the committed vectors) sends a prov-ctrl
    command as `msg` alone (`08 01`). esp-rainmaker-cli 1.14.1's `_make_ctrl_payload` also sets
    the matching empty oneof member (`08 01 5a 00`); messages.json records both. Inside this
    block the PyPI builder runs unchanged and the empty member is cleared from what it built;
    the check below makes sure that member is the only thing removed.
    """
    real = _wifi_ctrl._make_ctrl_payload

    def msg_only(msg_type):
        payload = _REAL_MAKE_CTRL_PAYLOAD(msg_type)
        member = CTRL_COMMANDS.get(msg_type)
        if member is not None:
            built = payload.SerializeToString()
            if payload.WhichOneof("payload") != member:
                raise AssertionError(f"PyPI prov-ctrl builder no longer sets {member}")
            payload.ClearField(member)
            field = payload.DESCRIPTOR.fields_by_name[member]
            removed = bytes([(field.number << 3) | 2, 0])
            if built != payload.SerializeToString() + removed:
                raise AssertionError("PyPI prov-ctrl request differs from ESP-IDF's by more than the empty oneof")
        return payload

    _wifi_ctrl._make_ctrl_payload = msg_only
    try:
        yield
    finally:
        _wifi_ctrl._make_ctrl_payload = real


_SCHEMA_MODULES = ["constants_pb2", "sec0_pb2", "sec1_pb2", "sec2_pb2", "session_pb2",
                   "wifi_constants_pb2", "wifi_config_pb2", "wifi_scan_pb2", "wifi_ctrl_pb2"]


@contextlib.contextmanager
def esp_idf_schema():
    """esp_prov's code sees ESP-IDF's schema (repository proto/) instead of the package's pb2.

    esp-rainmaker-cli 1.14.1 ships a wifi_config_pb2 without `RespGetStatus.attempt_failed`, so
    its `config_get_status_response` cannot see that field (its `HasField` raises and is caught)
    and prints less than ESP-IDF's esp_prov, whose pb2 has it.
    """
    repo = schema.esp_idf()
    saved = {name: getattr(proto, name) for name in _SCHEMA_MODULES}
    for name in _SCHEMA_MODULES:
        setattr(proto, name, getattr(repo, name))
    try:
        yield
    finally:
        for name, module in saved.items():
            setattr(proto, name, module)


@contextlib.contextmanager
def as_esp_idf():
    """Both differences undone: esp_prov as ESP-IDF commit 56949379 shipped it, as far as these
    vectors can tell."""
    with esp_idf_schema(), esp_idf_ctrl_requests():
        yield


@contextlib.contextmanager
def pypi_ctrl_requests():
    """The package's own prov-ctrl builder, even inside `as_esp_idf()`."""
    current = _wifi_ctrl._make_ctrl_payload
    _wifi_ctrl._make_ctrl_payload = _REAL_MAKE_CTRL_PAYLOAD
    try:
        yield
    finally:
        _wifi_ctrl._make_ctrl_payload = current


class Recorder:
    """Wraps a Security object's encrypt/decrypt to see the plaintext and IV of each message."""

    def __init__(self, sec):
        self.sec = sec
        self.log = []
        real_encrypt, real_decrypt = sec.encrypt_data, sec.decrypt_data

        def encrypt(data):
            before = self._position()
            out = real_encrypt(data)
            self.log.append(("encrypt", bytes(data), bytes(out), before))
            return out

        def decrypt(data):
            before = self._position()
            out = real_decrypt(data)
            self.log.append(("decrypt", bytes(out), bytes(data), before))
            return out

        sec.encrypt_data, sec.decrypt_data = encrypt, decrypt

    def _position(self):
        # Security1 counts keystream bytes; Security2 keeps the GCM nonce it will use next.
        if hasattr(self.sec, "ctr_offset"):
            return self.sec.ctr_offset
        if hasattr(self.sec, "nonce"):
            return bytes(self.sec.nonce)
        return None

    def take(self):
        entry = self.log.pop(0)
        if self.log:
            raise AssertionError("esp_prov encrypted or decrypted more than once for one message")
        return entry


def capture(fn, *args):
    """Calls fn, returning (result, stdout text, exception or None)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            return fn(*args), out.getvalue(), None
        except Exception as exc:  # esp_prov signals failures by raising
            return None, out.getvalue(), exc


def run_session(sec, respond):
    """esp_prov's handshake loop (`establish_session` without the transport): `respond` gets
    each request as bytes and returns the device's answer as bytes."""
    exchanges = []
    response = None
    while True:
        request = sec.security_session(response)
        if request is None:
            return exchanges
        request = convenience.str_to_bytes(request)
        answer = respond(request)
        exchanges.append((request, answer))
        response = answer.decode("latin-1")


@contextlib.contextmanager
def no_sleep():
    real = time.sleep
    time.sleep = lambda _seconds: None
    try:
        yield
    finally:
        time.sleep = real


@contextlib.contextmanager
def http_transport(connection_class):
    """esp_prov's HTTP transport over `connection_class` instead of a socket."""
    real_conn = _transport_http.HTTPConnection
    real_send = _transport_http.Transport_HTTP.send_data

    async def send_data(self, ep_name, data):
        return real_send(self, ep_name, data)

    _transport_http.HTTPConnection = connection_class
    _transport_http.Transport_HTTP.send_data = send_data
    try:
        yield
    finally:
        _transport_http.HTTPConnection = real_conn
        _transport_http.Transport_HTTP.send_data = real_send


def run_main(command, stdin=""):
    """Runs esp_prov's `main()` with this command line (a string, or argv) and stdin.

    Returns (exit code, stdout, stderr, exception): the exception main() ended with, if any
    (SystemExit is an exit code, not an exception, as for the real command)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv, sys.stdin
    sys.argv, sys.stdin = argv, io.StringIO(stdin)
    code, error = 0, None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                asyncio.run(esp_prov.main())
            except SystemExit as exc:
                code = 0 if exc.code is None else exc.code
            except Exception as exc:  # what main() raises is the caller's to judge
                code, error = 1, exc
    finally:
        sys.argv, sys.stdin = saved
    return code, out.getvalue(), err.getvalue(), error
