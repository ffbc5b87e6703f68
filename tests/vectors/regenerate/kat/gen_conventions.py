"""sec2-client-conventions.json: what can be rerun here of the per-client encoding vectors.

Rerun: the group constants (esp_prov's srp6a), every x/verifier variant (esp_prov's
`calculate_x` for the esp_prov conventions, hashlib for the raw-inner-hash ones), esp_prov's
`generate_salt_and_verifier`, each session's fixed inputs (from the rules in
`provenance.fixed_values`), what an ESP-IDF device computes and whether it accepts, esp_prov's
side of each session (the PyPI copy is the upstream code) and, where it drew only once, the
network_provisioning copy's (which differs from upstream only by redrawing a when A is short).
Carried: the Android library's and the iOS model's values, text, and comparisons between them.
"""

import hashlib
import re

from . import client, device

srp6a = client.srp6a
SHA512 = hashlib.sha512


def _h(label):
    return hashlib.sha256(label.encode()).digest()


def generate(doc, ledger):
    n, g = srp6a.get_ng(srp6a.NG_3072)
    width = len(client.long_to_bytes(n))
    ledger.put_all(doc["group"], {
        "N": client.long_to_bytes(n).hex(),
        "g": g,
        "k=H(N|PAD(g))": format(srp6a.H(SHA512, n, g, width=width), "0128x"),
        "H(N)^H(PAD(g))": srp6a.H_N_xor_g(SHA512, n, g).hex(),
    })
    for case in doc["x_verifier_cases"]:
        _x_case(case, ledger)
    for session in doc["sessions"]:
        _session(session, ledger)


def x_raw_inner(salt, username, password):
    """x = H(salt | H(I:P)) over the given salt bytes and the full 64-byte inner hash."""
    return int.from_bytes(device.sha512(salt, device.sha512(f"{username}:{password}".encode())), "big")


def verifier_of(x):
    return device.minimal(pow(device.G, x, device.N_3072))


def _x_case(case, ledger):
    user, pw, salt = case["username"], case["password"], bytes.fromhex(case["salt"])
    inner = device.sha512(f"{user}:{pw}".encode())
    minimal_salt = device.strip_zeros(salt)
    variants = {
        "raw_salt__raw_inner": x_raw_inner(salt, user, pw),
        "minimal_salt__raw_inner": x_raw_inner(minimal_salt, user, pw),
        # esp_prov hashes an int salt as long_to_bytes (minimal) and a bytes salt as given.
        "minimal_salt__minimal_inner": srp6a.calculate_x(SHA512, client.bytes_to_long(salt), user, pw),
        "raw_salt__minimal_inner": srp6a.calculate_x(SHA512, salt, user, pw),
    }
    ledger.put_all(case, {
        "salt_len": len(salt),
        "salt_minimal": minimal_salt.hex(),
        "inner_hash_H(I:P)": inner.hex(),
        "inner_hash_leading_zero_bytes": len(inner) - len(inner.lstrip(b"\x00")),
        "all_variants_equal": len(set(variants.values())) == 1,
    })
    for name, x in variants.items():
        v = verifier_of(x)
        ledger.put_all(case["x_variants"][name],
                       {"x": format(x, "0128x"), "verifier": v.hex(), "verifier_len": len(v)})
    gen = case["esp_prov_generate_salt_and_verifier"]
    urandom = bytes.fromhex(gen["urandom(len_s)"])
    with client.fixed_urandom([urandom]):
        salt_out, verifier_out = srp6a.generate_salt_and_verifier(user, pw, len_s=len(urandom))
    ledger.put_all(gen, {"salt_out": salt_out.hex(), "verifier_out": verifier_out.hex()})


_CANDIDATES = re.compile(r"\(a candidate #(\d+), b candidate #(\d+)\)$")


def _fixed_inputs(session):
    """a, b, salt and nonce from provenance.fixed_values and the candidate numbers in `search`."""
    label = session["label"]
    ia, ib = map(int, _CANDIDATES.search(session["search"]).groups())
    if label == "salt_leading_zero":
        salt = b"\x00" + _h("sec2-client-conventions/salt/leading-zero")[:15]
    else:
        salt = _h("sec2-client-conventions/salt/ordinary")[:16]
    a = int.from_bytes(_h(f"sec2-client-conventions/a/{label}/{ia}"), "big") | 1 << 255
    b = _h(f"sec2-client-conventions/b/{label}/{ib}")
    nonce = _h("sec2-client-conventions/session-id")[:8] + (1).to_bytes(4, "big")
    return salt, a.to_bytes(32, "big"), b, nonce


class EspProvRun:
    """One esp_prov Security2 session against an ESP-IDF device (firmware rules)."""

    def __init__(self, inp, salt, verifier, b, nonce, urandom):
        user = inp["username"].encode()
        firmware = device.SrpDevice(user, salt, verifier, b, salt_in_proof="raw", a_length="exactly_384")
        # Same b, so the same B: what esp_prov would compute from had the device answered.
        lenient = device.SrpDevice(user, salt, verifier, b, salt_in_proof="raw", a_length="any")
        self.sec = client.security.Security2(inp["sec_patch_ver"], inp["username"], inp["password"], False)
        with client.fixed_urandom([urandom]):
            self.sec.security_session(None)  # SessionCmd0; its bytes are the Android section's
        ctx = self.sec.srp6a_ctx
        self.a, self.pubkey = ctx.a, client.long_to_bytes(ctx.A)
        self.verdict = "session established"
        self.accepted = None
        lenient.challenge(self.pubkey)
        try:
            firmware.challenge(self.pubkey)
        except device.DeviceRejects as exc:
            self.verdict = str(exc)
        answer0 = _response0(lenient.B_bytes, salt)
        self.sec.security_session(answer0.decode("latin-1"))
        self.proof = self.sec.client_pop_key
        if self.verdict != "session established":
            return
        try:
            device_proof = firmware.verify(self.proof)
        except device.DeviceRejects as exc:
            self.verdict = str(exc)
            return
        answer1 = _response1(device_proof, nonce)
        _, _, error = client.capture(self.sec.security_session, answer1.decode("latin-1"))
        self.accepted = error is None and ctx.authenticated()
        self.aes_key = self.sec.session_key
        self.encrypted = self.sec.encrypt_data(bytes.fromhex(inp["plaintext"]))


def _response0(b_bytes, salt):
    resp = device.proto.session_pb2.SessionData()
    resp.sec_ver = device.proto.session_pb2.SecScheme2
    resp.sec2.msg = device.proto.sec2_pb2.S2Session_Response0
    resp.sec2.sr0.device_pubkey = b_bytes
    resp.sec2.sr0.device_salt = salt
    return resp.SerializeToString()


def _response1(proof, nonce):
    resp = device.proto.session_pb2.SessionData()
    resp.sec_ver = device.proto.session_pb2.SecScheme2
    resp.sec2.msg = device.proto.sec2_pb2.S2Session_Response1
    resp.sec2.sr1.device_proof = proof
    resp.sec2.sr1.device_nonce = nonce
    return resp.SerializeToString()


def _put_present(ledger, section, values):
    ledger.put_all(section, {k: v for k, v in values.items() if k in section})


def _session(s, ledger):
    inp = s["inputs"]
    salt, a, b, nonce = _fixed_inputs(s)
    verifier = verifier_of(x_raw_inner(salt, inp["username"], inp["password"]))
    ledger.put_all(inp, {"salt": salt.hex(), "a": a.hex(), "b": b.hex(), "device_nonce": nonce.hex(),
                         "verifier": verifier.hex()})
    android = s["android_library"]

    upstream = EspProvRun(inp, salt, verifier, b, nonce, bytes.fromhex(inp["esp_prov_urandom"][0]))
    if upstream.a.to_bytes(32, "big") != a:
        raise AssertionError(f"{s['label']}: esp_prov's a is not the session's a")
    runs = [("esp_prov_upstream", upstream)]
    if len(inp["esp_prov_urandom"]) == 1:
        # network_provisioning drew a once, as upstream did: the same code path.
        runs.append(("esp_prov_network_provisioning", upstream))
    for name, run in runs:
        values = {
            "client_pubkey": run.pubkey.hex(),
            "a": format(run.a, "064x"),
            "client_proof": run.proof.hex(),
            "device_result": run.verdict,
            "client_pubkey_len": len(run.pubkey),
            "same_wire_bytes_as_android": run.pubkey.hex() == android["client_pubkey"]
            and run.proof.hex() == android["client_proof"],
        }
        if run.accepted is not None:
            values.update({"client_accepted_device_proof": run.accepted, "aes_key": run.aes_key.hex(),
                           "encrypt_plain": run.encrypted.hex()})
        _put_present(ledger, s[name], values)

    # What a correct ESP-IDF device computes from that A as 384 bytes.
    dev = device.SrpDevice(inp["username"].encode(), salt, verifier, b, salt_in_proof="raw",
                           a_length="any", hash_a_padded=True)
    dev.challenge(upstream.pubkey)
    ledger.put_all(s["esp_idf_device"], {
        "B": dev.B_bytes.hex(), "B_len": len(dev.B_bytes), "A_as_hashed": dev.A_hashed.hex(),
        "u": format(dev.u, "0128x"), "S": dev.S_bytes.hex(), "S_len": len(dev.S_bytes),
        "K": dev.K.hex(), "M": dev.M.hex(), "HAMK": dev.H_AMK.hex(), "aes_key": dev.K[:32].hex(),
    })
    _analysis(s, ledger, dev, upstream, salt, verifier, b)


def _analysis(s, ledger, dev, upstream, salt, verifier, b):
    android, inp, analysis = s["android_library"], s["inputs"], s["analysis"]
    label = s["label"]
    values = {}
    if label == "ordinary":
        for name in ("esp_prov_upstream", "esp_prov_network_provisioning"):
            values[f"android_equals_{name}"] = (
                upstream.pubkey.hex() == android["client_pubkey"]
                and upstream.proof.hex() == android["client_proof"]
                and upstream.aes_key.hex() == android["aes_key"]
                and upstream.encrypted.hex() == android["first_encrypt(plaintext)"])
    elif label == "A_383":
        as_received = device.SrpDevice(inp["username"].encode(), salt, verifier, b,
                                       salt_in_proof="raw", a_length="any")
        as_received.challenge(upstream.pubkey)
        values.update({
            "M_if_device_hashed_A_as_received_383": as_received.M.hex(),
            "HAMK_if_device_hashed_A_as_received_383": as_received.H_AMK.hex(),
            "android_client_proof_equals_that": android["client_proof"] == as_received.M.hex(),
            "android_expected_device_proof_equals_that_HAMK":
                android["expected_device_proof"] == as_received.H_AMK.hex(),
            "android_client_proof_equals_M_over_padded_A": android["client_proof"] == dev.M.hex(),
        })
    elif label == "M1_leading_zero":
        hamk = device.sha512(dev.A_hashed, dev.M[1:], dev.K)
        values.update({
            "device_M_starts_with_00": dev.M[0] == 0,
            "android_client_proof_equals_M[1:]": android["client_proof"] == dev.M[1:].hex(),
            "H(A|M[1:]|K)": hamk.hex(),
            "device_HAMK_equals_android_expected": dev.H_AMK.hex() == android["expected_device_proof"],
        })
    elif label == "K_leading_zero":
        short_k = dev.K[1:]
        m_short = dev.proof(dev.A_hashed, dev.B_bytes, short_k)
        hamk_short = device.sha512(dev.A_hashed, m_short, short_k)
        values.update({
            "device_K_starts_with_00": dev.K[0] == 0,
            "M_over_K[1:]": m_short.hex(),
            "android_client_proof_equals_M_over_K[1:]": android["client_proof"] == m_short.hex(),
            "H(A|M_over_K[1:]|K[1:])": hamk_short.hex(),
            "android_expected_device_proof_equals_that": android["expected_device_proof"] == hamk_short.hex(),
            "android_aes_key_equals_K[1:33]": android["aes_key"] == dev.K[1:33].hex(),
            "K[1:33]": dev.K[1:33].hex(),
            "K[0:32]_device_key": dev.K[:32].hex(),
        })
    elif label == "salt_leading_zero":
        x = x_raw_inner(device.strip_zeros(salt), inp["username"], inp["password"])
        values.update({
            "android_x": format(x, "0128x"),
            "android_s_hashed": device.strip_zeros(salt).hex(),
            "verifier_over_minimal_salt": verifier_of(x).hex(),
        })
    elif label == "B_383":
        padded_b = device.pad(dev.B_bytes)
        m_padded = dev.proof(dev.A_hashed, padded_b, dev.K)
        values.update({
            "device_B_len_on_wire": len(dev.B_bytes),
            "M_if_device_sent_and_hashed_B_padded_384": m_padded.hex(),
            "android_matches_padded_B_device": android["client_proof"] == m_padded.hex(),
            "esp_prov_matches_padded_B_device": upstream.proof == m_padded,
        })
    _put_present(ledger, analysis, values)
    missing = set(values) - set(analysis)
    if missing:
        raise KeyError(f"{label}: analysis has no {sorted(missing)}")
