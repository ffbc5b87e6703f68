"""sec1.json: esp_prov's `Security1` (security/security1.py) against the device model."""

import hashlib

from . import client, device, pbjson, sessions

SessionData = device.proto.session_pb2.SessionData


def _decoded(data):
    return pbjson.decode(SessionData, data)


def _handshake(pop, client_key, dev):
    """Runs Security1's FSM with the recorded client key; returns (sec, [(request, answer)])."""
    sec = client.security.Security1(pop, False)
    steps = iter([dev.response0, dev.response1])
    with client.fixed_x25519_keys([client_key]):
        exchanges = client.run_session(sec, lambda request: next(steps)(request))
    return sec, exchanges


def generate(doc, ledger):
    for case in doc["cases"]:
        _case(case, ledger)
    for case in doc["failing_cases"]:
        if case["name"] != "wrong_pop":
            raise ValueError(f"sec1.json: no generator for failing case {case['name']}")
        _wrong_pop(case, ledger)


def _case(case, ledger):
    inp = case["inputs"]
    pop = inp["pop"]
    dev = device.Sec1Device(bytes.fromhex(inp["device_private_key"]),
                            bytes.fromhex(inp["device_random"]), pop.encode("latin-1"))
    sec, exchanges = _handshake(pop, inp["client_private_key"], dev)
    ledger.put(inp, "pop_hex", sec.pop.hex())

    derived = case["derived"]
    if sec.shared_key != dev.key:
        raise AssertionError(f"{case['name']}: client and device AES keys differ")
    ledger.put_all(derived, {
        "client_public_key": sec.client_public_key.hex(),
        "device_public_key": dev.public.hex(),
        "x25519_shared_secret": dev.shared.hex(),
        "sha256_pop": hashlib.sha256(sec.pop).hexdigest() if sec.pop else None,
        "aes256_ctr_key": sec.shared_key.hex(),
        "aes_ctr_initial_counter_block": sec.device_random.hex(),
    })

    steps = case["handshake"]
    sessions.check_handshake_labels(steps)
    (cmd0, resp0), (cmd1, resp1) = exchanges
    for step, data in zip(steps, (cmd0, resp0, cmd1, resp1)):
        ledger.put(step, "hex", data.hex())
        ledger.put(step, "decoded", _decoded(data))
    # One CTR stream: command1 encrypts the device key at 0, response1 the client key at 32.
    ledger.put(steps[2], "keystream_offset", 0)
    ledger.put(steps[2], "plaintext_of_client_verify_data", sec.device_public_key.hex())
    ledger.put(steps[3], "keystream_offset", len(sec.device_public_key))
    ledger.put(steps[3], "plaintext_of_device_verify_data", dev.client_public.hex())
    if sec.ctr_offset != dev.position or sec.ctr_offset != 64:
        raise AssertionError(f"{case['name']}: handshake did not use keystream bytes 0..63")

    sessions.replay(ledger, case["session_messages"], sec, dev, "keystream_offset")


def _wrong_pop(case, ledger):
    inp = case["inputs"]
    dev = device.Sec1Device(bytes.fromhex(inp["device_private_key"]),
                            bytes.fromhex(inp["device_random"]), inp["device_pop"].encode("latin-1"))
    sec = client.security.Security1(inp["client_pop"], False)
    with client.fixed_x25519_keys([inp["client_private_key"]]):
        cmd0 = client.convenience.str_to_bytes(sec.security_session(None))
    resp0 = dev.response0(cmd0)
    cmd1 = client.convenience.str_to_bytes(sec.security_session(resp0.decode("latin-1")))
    try:
        dev.response1(cmd1)
        raise AssertionError("wrong_pop: the device accepted a wrong PoP")
    except device.DeviceRejects:
        verdict = "mismatch -> reject"

    ledger.put_all(case["derived"], {
        "client_public_key": sec.client_public_key.hex(),
        "device_public_key": dev.public.hex(),
        "x25519_shared_secret": dev.shared.hex(),
        "client_aes_key": sec.shared_key.hex(),
        "device_aes_key": dev.key.hex(),
    })
    sessions.check_handshake_labels(case["handshake"])
    for step, data in zip(case["handshake"], (cmd0, resp0, cmd1)):
        ledger.put(step, "hex", data.hex())
        ledger.put(step, "decoded", _decoded(data))

    # What esp_prov would have sent with the device's PoP (same client key, same device).
    right_dev = device.Sec1Device(bytes.fromhex(inp["device_private_key"]),
                                  bytes.fromhex(inp["device_random"]), inp["device_pop"].encode("latin-1"))
    right = client.security.Security1(inp["device_pop"], False)
    with client.fixed_x25519_keys([inp["client_private_key"]]):
        right_cmd0 = client.convenience.str_to_bytes(right.security_session(None))
    right_cmd1 = client.convenience.str_to_bytes(
        right.security_session(right_dev.response0(right_cmd0).decode("latin-1")))
    right_view = _decoded(right_cmd1)

    check = case["device_check"]
    ledger.put_all(check, {
        "client_verify_data_received": dev.received_verify.hex(),
        "device_decrypts_it_to": dev.decrypted_verify.hex(),
        "must_equal_device_public_key": dev.public.hex(),
        "client_verify_data_a_correct_pop_would_give": right_view["sec1"]["sc1"]["client_verify_data"],
        "command1_hex_a_correct_pop_would_give": right_cmd1.hex(),
        "result": verdict,
    })

    # A device that skipped its check answers with its own key; esp_prov must refuse that.
    lax = device.Sec1Device(bytes.fromhex(inp["device_private_key"]),
                            bytes.fromhex(inp["device_random"]), inp["device_pop"].encode("latin-1"))
    lax.response0(cmd0)
    resp1 = lax.response1(cmd1, check=False)
    _, _, error = client.capture(sec.security_session, resp1.decode("latin-1"))
    if error is None:
        raise AssertionError("wrong_pop: esp_prov accepted a device proof under the wrong PoP")
    ledger.put(case["client_check"], "response1_hex", resp1.hex())
    ledger.put(case["client_check"], "client_error", str(error))
