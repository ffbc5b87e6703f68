"""sec2_verifier.json: `esp_prov --sec2_gen_cred` (security2.sec2_gen_salt_verifier, which calls
srp6a.generate_salt_and_verifier) with os.urandom fixed to the recorded bytes."""

import hashlib
import re

from . import client

srp6a = client.srp6a


def _c_array(stdout, name):
    m = re.search(r"static const char %s\[\] = \{\n(.*?)\n\};" % name, stdout, re.S)
    if not m:
        raise AssertionError(f"esp_prov printed no {name} array")
    return bytes(int(tok, 16) for tok in re.findall(r"0x[0-9a-f]{2}", m.group(1)))


def generate(doc, ledger):
    for case in doc["cases"]:
        urandom = bytes.fromhex(case["urandom"])
        with client.fixed_urandom([urandom]):
            code, stdout, stderr, error = client.run_main(["esp_prov.py", *case["esp_prov_args"]])
        if code != 0 or error is not None or stderr:
            raise AssertionError(f"esp_prov --sec2_gen_cred failed: exit {code}, {error!r}, {stderr!r}")
        with client.fixed_urandom([urandom]):
            salt, verifier = srp6a.generate_salt_and_verifier(
                case["username"], case["password"], len_s=case["salt_len_requested"])
        if _c_array(stdout, "sec2_salt") != salt or _c_array(stdout, "sec2_verifier") != verifier:
            raise AssertionError("esp_prov printed another salt or verifier than its generator returns")
        x = srp6a.calculate_x(hashlib.sha512, salt, case["username"], case["password"])
        ledger.put_all(case, {
            "username_utf8_hex": case["username"].encode("utf-8").hex(),
            "password_utf8_hex": case["password"].encode("utf-8").hex(),
            "salt": salt.hex(),
            "salt_len": len(salt),
            "x": format(x, "0128x"),
            "verifier": verifier.hex(),
            "verifier_len": len(verifier),
            "esp_prov_stdout": stdout,
        })
