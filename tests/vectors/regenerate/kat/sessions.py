"""Replays `session_messages` (sec1.json, sec2_patch*.json): esp_prov builds and encrypts each
request with its `prov/*.py` functions, the device model decrypts it, answers it and encrypts
the answer, and esp_prov's matching response function decrypts and parses that answer."""

import re

from . import client, device

prov = client.prov

# What the scenario sends where the `what` label does not say it (the credentials).
SCENARIO_SSID = "myssid"
SCENARIO_PASSPHRASE = "mypassword"

# The device's GetStatus answers, scripted by the answers' `what` labels: the same scenario as
# transcripts/sec1_pop.json's `get_status_sequence` (one failed attempt with 4 left, then up).
STATUS_SCRIPT = {
    "RespGetStatus(attempt_failed)": "attempt_failed(attempts_remaining=4)",
    "RespGetStatus(connected)": "connected",
    "RespGetStatus(connecting)": "connecting",
}

_LABEL = re.compile(r'^(?:raw bytes "(?P<raw>[^"]*)"|(?P<name>\w+)(?:\((?P<args>[^)]*)\))?)$')


def _kwargs(text):
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, value = item.split("=")
        out[key] = {"true": True, "false": False}.get(value, None)
        if out[key] is None:
            out[key] = int(value)
    return out


def client_action(what):
    """(endpoint, request builder call, response parser) for a client message's `what` label."""
    m = _LABEL.match(what)
    if not m:
        raise ValueError(f"unknown client message {what!r}")
    if m.group("raw") is not None:
        data = m.group("raw")
        return "custom-data", lambda sec: prov.custom_data_request(sec, data), prov.custom_data_response
    name, args = m.group("name"), m.group("args") or ""
    if name == "CmdScanStart":
        kw = _kwargs(args)
        return ("prov-scan",
                lambda sec: prov.scan_start_request(sec, kw["blocking"], kw["passive"],
                                                    kw["group_channels"], kw["period_ms"]),
                prov.scan_start_response)
    if name == "CmdScanStatus":
        return "prov-scan", prov.scan_status_request, prov.scan_status_response
    if name == "CmdScanResult":
        kw = _kwargs(args)
        return ("prov-scan", lambda sec: prov.scan_result_request(sec, kw["start_index"], kw["count"]),
                prov.scan_result_response)
    if name == "CmdSetConfig":
        return ("prov-config",
                lambda sec: prov.config_set_config_request(sec, SCENARIO_SSID, SCENARIO_PASSPHRASE),
                prov.config_set_config_response)
    if name == "CmdApplyConfig":
        return "prov-config", prov.config_apply_config_request, prov.config_apply_config_response
    if name == "CmdGetStatus":
        return "prov-config", prov.config_get_status_request, prov.config_get_status_response
    if name == "CmdCtrlReset":
        return "prov-ctrl", prov.ctrl_reset_request, prov.ctrl_reset_response
    if name == "CmdCtrlReprov":
        return "prov-ctrl", prov.ctrl_reprov_request, prov.ctrl_reprov_response
    raise ValueError(f"unknown client message {what!r}")


HANDSHAKE_STEPS = [("command0", "client"), ("response0", "device"), ("command1", "client"),
                   ("response1", "device")]


def check_handshake_labels(steps):
    """The recorded handshake lists esp_prov's requests and the device's answers in order."""
    for step, (name, side) in zip(steps, HANDSHAKE_STEPS):
        if (step["step"], step["from"], step.get("endpoint", "prov-session")) != (name, side, "prov-session"):
            raise ValueError(f"handshake step {step['step']!r} is not {name} from the {side}")


def replay(ledger, messages, sec, channel, position_key):
    """Regenerates every message of one case.

    sec: esp_prov's Security object after the handshake; channel: the device's cipher.
    position_key: "keystream_offset" (sec1) or "nonce" (sec2, which also records `tag`).
    """
    recorder = client.Recorder(sec)
    if len(messages) % 2:
        raise ValueError("session_messages must alternate request / response")
    script = [STATUS_SCRIPT[m["what"]] for m in messages if m["what"].startswith("RespGetStatus")]
    handlers = device.WifiProvHandlers(script)
    for index in range(0, len(messages), 2):
        request, answer = messages[index], messages[index + 1]
        if request["from"] != "client" or answer["from"] != "device":
            raise ValueError(f"message {index}: expected a client request then a device answer")
        endpoint, build, parse = client_action(request["what"])
        if endpoint != request["endpoint"] or endpoint != answer["endpoint"]:
            raise ValueError(f"message {index}: `{request['what']}` goes to {endpoint}")

        # Request: built and encrypted by esp_prov, decrypted by the device.
        build(sec)
        _, plaintext, ciphertext, position = recorder.take()
        if channel.position != position:
            raise AssertionError(f"message {index}: device and esp_prov disagree on the IV")
        if channel.decrypt(ciphertext) != plaintext:
            raise AssertionError(f"message {index}: device decrypts something else")
        _put_message(ledger, request, index, plaintext, ciphertext, position, position_key)
        ledger.put(request, "decoded", device.decode_message(endpoint, plaintext))

        # Answer: the device model's, encrypted by the device, parsed by esp_prov.
        plain_answer = handlers.handle(endpoint, plaintext)
        view = device.decode_message(endpoint, plain_answer)
        if not _label_matches(answer["what"], view):
            raise AssertionError(f"message {index + 1}: the device answers {view}, not {answer['what']}")
        position = channel.position
        cipher_answer = channel.encrypt(plain_answer)
        result, stdout, error = client.capture(parse, sec, cipher_answer.decode("latin-1"))
        if error is not None:
            raise AssertionError(f"message {index + 1}: esp_prov rejects the answer: {error!r}")
        _, seen, _, client_position = recorder.take()
        if seen != plain_answer or client_position != position:
            raise AssertionError(f"message {index + 1}: esp_prov decrypts something else")
        _put_message(ledger, answer, index + 1, plain_answer, cipher_answer, position, position_key)
        ledger.put(answer, "decoded", view)
        ledger.put(answer, "client_result", result)
        ledger.put(answer, "client_stdout", stdout)


def _label_matches(what, view):
    """`RespScanStatus(finished, 3)` names msg TypeRespScanStatus; `raw bytes "X" (...)` names X."""
    m = re.match(r'^raw bytes "([^"]*)"', what)
    if m:
        return view.get("raw_ascii") == m.group(1)
    return view.get("msg") == "Type" + re.match(r"^\w+", what).group(0)


def _put_message(ledger, entry, index, plaintext, ciphertext, position, position_key):
    ledger.put(entry, "index", index)
    ledger.put(entry, "plaintext", plaintext.hex())
    ledger.put(entry, "ciphertext", ciphertext.hex())
    if position_key == "nonce":
        ledger.put(entry, "nonce", position.hex())
        ledger.put(entry, "tag", ciphertext[-16:].hex())
    else:
        ledger.put(entry, "keystream_offset", position)
