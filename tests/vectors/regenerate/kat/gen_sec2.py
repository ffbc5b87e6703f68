"""sec2_patch1.json and sec2_patch0.json: esp_prov's `Security2` (security/security2.py,
security/srp6a.py) against the device model's SRP6a and AES-GCM."""

import hashlib
import re

from . import client, device, pbjson, sessions

srp6a = client.srp6a
SessionData = device.proto.session_pb2.SessionData
SHA512 = hashlib.sha512


def fixed_hex(n, digits):
    return format(n, f"0{digits}x")


def esp_prov_verifier(username, password, salt):
    """v = g^x with x = srp6a.calculate_x over the salt as esp_prov sees it (an integer)."""
    n, g = srp6a.get_ng(srp6a.NG_3072)
    x = srp6a.calculate_x(SHA512, client.bytes_to_long(salt), username, password)
    return client.long_to_bytes(pow(g, x, n))


_GENERATED = re.compile(
    r"^srp6a\.generate_salt_and_verifier\(username, password, (\d+)\) with os\.urandom -> salt_random$")
_GIVEN_SALT = "g^x mod N with x = srp6a.calculate_x(SHA512, bytes_to_long(salt), username, password)"


def credentials(inputs, password):
    """(salt, verifier) as the case's `verifier_source` says they were made: esp_prov's generator
    run on `salt_random`, or the recorded salt with x = srp6a.calculate_x over it."""
    source = inputs.get("verifier_source", _GIVEN_SALT)
    generated = _GENERATED.match(source)
    if generated:
        with client.fixed_urandom([inputs["salt_random"]]):
            return srp6a.generate_salt_and_verifier(inputs["username"], password, len_s=int(generated.group(1)))
    if not source.startswith(_GIVEN_SALT):
        raise ValueError(f"unknown verifier_source {source!r}")
    salt = bytes.fromhex(inputs["salt"])
    return salt, esp_prov_verifier(inputs["username"], password, salt)


class Handshake:
    """esp_prov's Security2 FSM against a Sec2Device, stopping where the device refuses."""

    def __init__(self, username, password, client_patch, urandom, dev):
        self.sec = client.security.Security2(client_patch, username, password, False)
        self.dev = dev
        self.messages = []
        self.rejected = None
        with client.fixed_urandom([urandom]):
            request = client.convenience.str_to_bytes(self.sec.security_session(None))
        for respond in (dev.response0, dev.response1):
            self.messages.append(request)
            try:
                answer = respond(request)
            except device.DeviceRejects as exc:
                self.rejected = exc
                return
            self.messages.append(answer)
            request = self.sec.security_session(answer.decode("latin-1"))
            if request is not None:
                request = client.convenience.str_to_bytes(request)
        if not self.sec.srp6a_ctx.authenticated():
            raise AssertionError("esp_prov did not accept the device proof")

    @property
    def ctx(self):
        return self.sec.srp6a_ctx


def new_device(username, salt, verifier, b, nonce, patch):
    srp = device.SrpDevice(username.encode("utf-8"), salt, verifier, bytes.fromhex(b),
                           salt_in_proof="minimal", a_length="any")
    return device.Sec2Device(srp, bytes.fromhex(nonce), patch)


_SEARCH = re.compile(r"^(?P<what>client_urandom_32|b) = sha256\('(?P<label>[^']*)/(?P<index>\d+)'\), "
                     r"first index with (?P<rule>.*)$")


def searched_input(case, salt, verifier):
    """The input a case's `search` picked: sha256 of the recorded label and index, checked to
    meet the recorded rule. That no smaller index meets it is not re-checked (several hundred
    3072-bit exponentiations, seconds per run)."""
    m = _SEARCH.match(case["search"])
    if not m:
        raise ValueError(f"{case['name']}: unknown search rule")
    inputs = case["inputs"]
    value = hashlib.sha256(f"{m.group('label')}/{m.group('index')}".encode()).digest()
    what, rule = m.group("what"), m.group("rule")
    urandom = value if what == "client_urandom_32" else bytes.fromhex(inputs["client_urandom_32"])
    b = value if what == "b" else bytes.fromhex(inputs["b"])
    with client.fixed_urandom([urandom]):
        a_bytes = client.long_to_bytes(srp6a.Srp6a(inputs["username"], inputs["password"]).A)
    srp = device.SrpDevice(inputs["username"].encode(), salt, verifier, b)
    if rule == "A < 2^3064" and what == "client_urandom_32":
        met = len(a_bytes) < device.N_LEN
    elif rule == "B < 2^3064" and what == "b":
        met = len(srp.B_bytes) < device.N_LEN
    elif rule == "len(A) == 384 and S < 2^3064" and what == "client_urandom_32":
        met = len(a_bytes) == device.N_LEN
        if met:
            srp.challenge(a_bytes)
            met = len(srp.S_bytes) < device.N_LEN
    else:
        raise ValueError(f"{case['name']}: unknown search rule {rule!r}")
    if not met:
        raise AssertionError(f"{case['name']}: the recorded search index does not meet its rule")
    return what, value.hex()


def generate(doc, ledger):
    n, g = srp6a.get_ng(srp6a.NG_3072)
    k = srp6a.H(SHA512, n, g, width=len(client.long_to_bytes(n)))
    ledger.put_all(doc["srp"], {"N": client.long_to_bytes(n).hex(), "g": g, "k": fixed_hex(k, 128)})
    for case in doc["cases"]:
        _case(case, ledger)
    for case in doc["failing_cases"]:
        if case["name"] == "wrong_password":
            _wrong_password(case, ledger)
        elif case["name"].startswith("patch_mismatch_"):
            _patch_mismatch(case, ledger)
        else:
            raise ValueError(f"no generator for failing case {case['name']}")


def _case(case, ledger):
    inp = case["inputs"]
    patch = case["sec_patch_ver"]
    salt, verifier = credentials(inp, inp["password"])
    if "salt_random" in inp:  # otherwise the salt is the recorded input
        ledger.put(inp, "salt", salt.hex())
    ledger.put(inp, "verifier", verifier.hex())
    if "search" in case:
        what, value = searched_input(case, salt, verifier)
        ledger.put(inp, what, value)
    dev = new_device(inp["username"], salt, verifier, inp["b"], inp["device_nonce"], patch)
    hs = Handshake(inp["username"], inp["password"], patch, inp["client_urandom_32"], dev)
    if hs.rejected:
        raise AssertionError(f"{case['name']}: device rejected: {hs.rejected}")
    ctx, srp = hs.ctx, dev.srp

    nonce = bytes.fromhex(inp["device_nonce"])
    ledger.put(inp, "a", fixed_hex(ctx.a, 64))
    ledger.put(inp, "username_hex_sent", dev.client_username.hex())
    if "device_session_id" in inp:
        ledger.put(inp, "device_session_id", nonce[:8].hex())
        ledger.put(inp, "initial_counter", int.from_bytes(nonce[8:], "big"))

    n_len = len(client.long_to_bytes(ctx.N))
    b_int = client.bytes_to_long(srp.B_bytes)
    x = srp6a.calculate_x(ctx.hash_class, client.bytes_to_long(salt), ctx.Iu, ctx.p)
    u = srp6a.H(ctx.hash_class, ctx.A, b_int, width=n_len)
    if u != srp.u or SHA512(srp.S_bytes).digest() != ctx.K or hs.sec.client_pop_key != srp.M:
        raise AssertionError(f"{case['name']}: esp_prov and the device model disagree on u, K or M")
    a_bytes = client.long_to_bytes(ctx.A)
    ledger.put_all(case["derived"], {
        "k": fixed_hex(ctx.k, 128),
        "x": fixed_hex(x, 128),
        "A": a_bytes.hex(),
        "A_len": len(a_bytes),
        "B": srp.B_bytes.hex(),
        "B_len": len(srp.B_bytes),
        "u": fixed_hex(u, 128),
        "S": srp.S_bytes.hex(),
        "S_len": len(srp.S_bytes),
        "K": ctx.K.hex(),
        "M": hs.sec.client_pop_key.hex(),
        "H_AMK": srp.H_AMK.hex(),
        "aes256_gcm_key": hs.sec.session_key.hex(),
    })
    if "esp_idf_device_difference" in case and "M_expected_by_esp_idf_firmware" in case["esp_idf_device_difference"]:
        firmware_m = srp.proof(srp.A_hashed, srp.B_bytes, srp.K, salt=salt)
        ledger.put(case["esp_idf_device_difference"], "M_expected_by_esp_idf_firmware", firmware_m.hex())

    sessions.check_handshake_labels(case["handshake"])
    for step, data in zip(case["handshake"], hs.messages):
        ledger.put(step, "hex", data.hex())
        ledger.put(step, "decoded", pbjson.decode(SessionData, data))
    sessions.replay(ledger, case["session_messages"], hs.sec, dev.channel(), "nonce")


def _wrong_password(case, ledger):
    inp = case["inputs"]
    salt, verifier = credentials(inp, inp["device_password"])
    ledger.put(inp, "verifier", verifier.hex())
    dev = new_device(inp["username"], salt, verifier, inp["b"], inp["device_nonce"], 1)
    hs = Handshake(inp["username"], inp["client_password"], 1, inp["client_urandom_32"], dev)
    if hs.rejected is None or hs.rejected.stage != "SessionCmd1":
        raise AssertionError("wrong_password: the device did not reject the client proof")
    sessions.check_handshake_labels(case["handshake"])
    for step, data in zip(case["handshake"], hs.messages):
        ledger.put(step, "hex", data.hex())
    ledger.put_all(case["device_check"], {
        "client_proof_received": dev.client_proof.hex(),
        "M_expected_by_device": dev.srp.M.hex(),
        "device_K": dev.srp.K.hex(),
        "client_K": hs.ctx.K.hex(),
        "result": "mismatch -> reject",
    })


def _patch_mismatch(case, ledger):
    inp = case["inputs"]
    salt, verifier = credentials(inp, inp["password"])
    ledger.put(inp, "verifier", verifier.hex())
    dev = new_device(inp["username"], salt, verifier, inp["b"], inp["device_nonce"],
                     inp["device_sec_patch_ver"])
    hs = Handshake(inp["username"], inp["password"], inp["client_sec_patch_ver"],
                   inp["client_urandom_32"], dev)
    if hs.rejected:
        raise AssertionError(f"{case['name']}: device rejected: {hs.rejected}")
    ledger.put(case, "aes256_gcm_key", hs.sec.session_key.hex())

    # One SetConfig exchange: the device decrypts it, the client cannot decrypt the answer.
    channel, recorder = dev.channel(), client.Recorder(hs.sec)
    sessions.prov.config_set_config_request(hs.sec, sessions.SCENARIO_SSID, sessions.SCENARIO_PASSPHRASE)
    _, plaintext, ciphertext, nonce = recorder.take()
    if channel.decrypt(ciphertext) != plaintext:
        raise AssertionError(f"{case['name']}: the device should decrypt the first request")
    ledger.put_all(case["request"], {"plaintext": plaintext.hex(), "ciphertext": ciphertext.hex(),
                                     "nonce": nonce.hex()})
    answer = device.WifiProvHandlers().handle("prov-config", plaintext)
    device_nonce = channel.position
    cipher_answer = channel.encrypt(answer)
    client_nonce = bytes(hs.sec.nonce)
    _, _, error = client.capture(sessions.prov.config_set_config_response, hs.sec,
                                 cipher_answer.decode("latin-1"))
    if error is None:
        raise AssertionError(f"{case['name']}: esp_prov decrypted an answer under the wrong nonce")
    ledger.put_all(case["response"], {
        "plaintext": answer.hex(),
        "ciphertext": cipher_answer.hex(),
        "device_nonce_used": device_nonce.hex(),
        "client_nonce_tried": client_nonce.hex(),
    })
    ledger.put(case, "client_error", f"{type(error).__module__}.{type(error).__qualname__}")
