"""messages.json: enum and field numbers, proto-ver handling, and each request/response of the
Wi-Fi endpoints, built by esp_prov's `prov/*.py` functions or (device side) by the device model's
encoder, and parsed by esp_prov's response functions.

Enum and field tables come from the `*_pb2` modules esp_prov's code uses (inside
`as_esp_idf()`, the repository's proto/ schema), so a message the PyPI package lacks is adapted.
"""

import ast
import asyncio
import json
import re

from . import client, device, pbjson

SCENARIO_CUSTOM_DATA = "hello"  # esp_prov --custom_data in every recorded scenario

SCHEMA_MODULES = ["constants_pb2", "session_pb2", "sec0_pb2", "sec1_pb2", "sec2_pb2",
                  "wifi_constants_pb2", "wifi_config_pb2", "wifi_scan_pb2", "wifi_ctrl_pb2"]


def _schema_files():
    return [getattr(client.proto, name).DESCRIPTOR for name in SCHEMA_MODULES]


def _find(kind, name):
    for fd in _schema_files():
        table = fd.enum_types_by_name if kind == "enum" else fd.message_types_by_name
        if name in table:
            return table[name]
    return None


def _device_class(name):
    for module in SCHEMA_MODULES:
        cls = getattr(getattr(device.proto, module), name, None)
        if cls is not None:
            return cls
    raise KeyError(f"no message {name} in the repository schema")


def generate(doc, ledger):
    _tables(doc, ledger)
    _proto_ver(doc["proto_ver"], ledger)
    _session(doc["session"], ledger)
    for group in ("wifi_scan", "wifi_config", "wifi_ctrl"):
        for entry in doc[group]:
            _endpoint_message(entry, ledger)
    custom = doc["custom_data"]
    sec = client.security.Security0(False)
    request = client.prov.custom_data_request(sec, SCENARIO_CUSTOM_DATA)
    ledger.put(custom, "request_hex", client.convenience.str_to_bytes(request).hex())
    ledger.put(custom, "response_hex", device.CUSTOM_DATA_REPLY.hex())


def _tables(doc, ledger):
    for name in doc["enums"]:
        enum = _find("enum", name)
        if enum is not None:
            ledger.put(doc["enums"], name, {v.name: v.number for v in enum.values})
    for name in doc["fields"]:
        message = _find("message", name)
        if message is not None:
            ledger.put(doc["fields"], name, {
                f.name: {"number": f.number, "type": f.type,
                         "oneof": f.containing_oneof.name if f.containing_oneof else None}
                for f in message.fields
            })


class _ProtoVerDevice:
    """A transport whose device answers proto-ver with one fixed string and records bodies."""

    def __init__(self, answer):
        self.answer = answer
        self.sent = []

    async def send_data(self, endpoint, data):
        if endpoint != "proto-ver":
            raise _StopClient(endpoint)
        self.sent.append(data)
        return self.answer

    async def disconnect(self):
        pass


class _StopClient(Exception):
    """Raised at the first request after security selection, to end esp_prov's main()."""


def _run(coro):
    return asyncio.run(coro)


def _proto_ver(section, ledger):
    ep = client.esp_prov
    probes = {
        "none": lambda tp: ep.has_capability(tp),
        "no_sec": lambda tp: ep.has_capability(tp, "no_sec"),
        "no_pop": lambda tp: ep.has_capability(tp, "no_pop"),
        "---": lambda tp: ep.get_sec_patch_ver(tp),
        "wifi_scan": lambda tp: ep.has_capability(tp, "wifi_scan"),
    }
    for key in section["request_bodies_hex"]:
        tp = _ProtoVerDevice("v1.1")
        _run(probes[key](tp))
        ledger.put(section["request_bodies_hex"], key, client.convenience.str_to_bytes(tp.sent[0]).hex())

    for response in section["responses"]:
        text = response["response_string"]
        ledger.put(response, "response_hex", text.encode("latin-1").hex())
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        ledger.put(response, "json", parsed)
        view = response["esp_prov_interpretation"]
        for key in view:
            m = re.match(r"^has_capability\('([^']*)'\)$", key)
            if m:
                cap = m.group(1)
                value = _run(ep.has_capability(_ProtoVerDevice(text), cap) if cap != "none"
                             else ep.has_capability(_ProtoVerDevice(text)))
            elif key.startswith("get_sec_patch_ver()"):
                value = _run(ep.get_sec_patch_ver(_ProtoVerDevice(text)))
            elif key == "version_match('v1.1')":
                value = _run(ep.version_match(_ProtoVerDevice(text), "v1.1"))
            elif key == "auto_selected_sec_ver":
                value = _auto_selected(text)
            else:
                raise ValueError(f"proto_ver: unknown interpretation {key!r}")
            ledger.put(view, key, value)


def _auto_selected(answer):
    """What esp_prov's main() picks without --sec_ver (it stops at its first session request)."""
    tp = _ProtoVerDevice(answer)
    real = client.esp_prov.get_transport

    async def fake_transport(_mode, _name):
        return tp

    client.esp_prov.get_transport = fake_transport
    try:
        # --pop keeps main() from prompting for one; it is ignored or unused otherwise.
        code, out, _, error = client.run_main("esp_prov.py --transport softap --pop abcd1234")
    finally:
        client.esp_prov.get_transport = real
    if isinstance(error, ValueError):
        reason = out.strip().split(",")[0]
        return f"error: {reason} ({type(error).__name__} {error})"
    m = re.search(r"^==== Security Scheme: (\d+) ====$", out, re.M)
    if not isinstance(error, _StopClient) or not m:
        raise AssertionError(f"esp_prov main() chose no security scheme (exit {code}, {error!r})")
    return int(m.group(1))


def _session(entries, ledger):
    sec = client.security.Security0(False)
    command = client.convenience.str_to_bytes(sec.security_session(None))
    response = device.sec0_response(command)
    SessionData = device.proto.session_pb2.SessionData
    for entry in entries:
        if "message" in entry and (entry["message"], entry["endpoint"]) != ("SessionData", "prov-session"):
            raise ValueError(f"{entry['name']}: not a prov-session SessionData")
        if entry["name"] == "sec0_command":
            ledger.put(entry, "hex", command.hex())
            ledger.put(entry, "fields", pbjson.decode(SessionData, command))
        elif entry["name"] == "sec0_response":
            ledger.put(entry, "hex", response.hex())
            ledger.put(entry, "fields", pbjson.decode(SessionData, response))
            result, stdout, error = client.capture(sec.security_session, response.decode("latin-1"))
            if error is not None:
                raise AssertionError(f"Security0 refuses the device's answer: {error!r}")
            ledger.put(entry["esp_prov_parse"], "returns", result)
            ledger.put(entry["esp_prov_parse"], "stdout", stdout)


_BUILT_BY = re.compile(r"^esp_prov prov\.(?P<module>\w+)\.(?P<func>\w+)\(sec(?P<args>(?:, .*)?)\)$")


def _prov_function(dotted):
    """`prov.<module>.<func>` as named in the vectors -> esp_prov's function."""
    _, module, name = dotted.split(".")
    func = getattr(client.prov, name)
    if not func.__module__.endswith(module):
        raise ValueError(f"{dotted} is defined in {func.__module__}")
    return func


ENDPOINT_OF = {"WiFiScanPayload": "prov-scan", "WiFiConfigPayload": "prov-config",
               "WiFiCtrlPayload": "prov-ctrl", "SessionData": "prov-session"}


def _endpoint_message(entry, ledger):
    if ENDPOINT_OF[entry["message"]] != entry["endpoint"]:
        raise ValueError(f"{entry['name']}: {entry['message']} does not go to {entry['endpoint']}")
    cls = _device_class(entry["message"])
    sec = client.security.Security0(False)
    built = _BUILT_BY.match(entry["built_by"])
    if built:
        func = _prov_function(f"prov.{built.group('module')}.{built.group('func')}")
        args = ast.literal_eval(f"({built.group('args')[2:]},)") if built.group("args") else ()
        data = client.convenience.str_to_bytes(func(sec, *args))
        ledger.put(entry, "hex", data.hex())
        ledger.put(entry, "fields", pbjson.decode(cls, data))
        if "rainmaker_cli_hex" in entry:
            with client.pypi_ctrl_requests():
                pypi = client.convenience.str_to_bytes(func(sec, *args))
            ledger.put(entry, "rainmaker_cli_hex", pypi.hex())
    elif entry["built_by"].startswith("*_pb2"):
        data = pbjson.encode(cls, entry["fields"])
        ledger.put(entry, "hex", data.hex())
    else:
        raise ValueError(f"{entry['name']}: unknown built_by")
    if "esp_prov_parse" in entry:
        parse = entry["esp_prov_parse"]
        result, stdout, error = client.capture(_prov_function(parse["function"]), sec,
                                               data.decode("latin-1"))
        if error is not None:
            raise AssertionError(f"{entry['name']}: {parse['function']} raised {error!r}")
        ledger.put(parse, "returns", result)
        ledger.put(parse, "stdout", stdout)
