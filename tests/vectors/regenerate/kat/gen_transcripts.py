"""transcripts/*.json: esp_prov's real `main()` with the recorded command line and stdin, over
its own HTTP transport (`http.client`), against the device model behind `kat.http.HttpDevice`.

Every exchange (headers, cookies, bodies, the device's view of each plaintext) and esp_prov's
exit code, stdout and stderr are recomputed; the command, stdin, randomness and the device's
configuration are the inputs.
"""

import re

from . import client, device, gen_sec2, http

_TIMING = re.compile(r"(executed in|finished in) \S+ sec")


def _device(spec):
    handlers = device.WifiProvHandlers(spec.get("get_status_sequence", []),
                                       _access_points(spec.get("scan_results")))
    if spec["sec_ver"] == 0:
        security = "sec0"
    elif spec["sec_ver"] == 1:
        security = device.Sec1Device(bytes.fromhex(spec["device_private_key"]),
                                     bytes.fromhex(spec["device_random"]), spec["pop"].encode("latin-1"))
    else:
        patch = spec["sec_patch_ver"] if isinstance(spec["sec_patch_ver"], int) else 0
        security = gen_sec2.new_device(spec["username"], bytes.fromhex(spec["salt"]),
                                       bytes.fromhex(spec["verifier"]), spec["b"], spec["device_nonce"], patch)
    return http.HttpDevice(spec["proto_ver_response"].encode("latin-1"), security, handlers,
                           spec["session_cookie_ids"])


def _access_points(recorded):
    if recorded is None:
        return None
    return [{key: ap[key] for key in ("ssid", "channel", "rssi", "bssid", "auth")} for ap in recorded]


def generate(doc, ledger):
    spec, run = doc["device"], doc["client"]
    if spec["sec_ver"] == 2:
        salt_random = bytes.fromhex(spec["salt_urandom"])
        with client.fixed_urandom([salt_random]):
            salt, verifier = client.srp6a.generate_salt_and_verifier(
                spec["username"], spec["password"], len_s=len(salt_random))
        ledger.put_all(spec, {"salt": salt.hex(), "verifier": verifier.hex()})
        if "device_session_id" in spec:
            nonce = bytes.fromhex(spec["device_nonce"])
            ledger.put_all(spec, {"device_session_id": nonce[:8].hex(),
                                  "initial_counter": int.from_bytes(nonce[8:], "big")})
    httpd = _device(spec)
    randomness = run["fixed_randomness"]
    # The device block repeats the client's randomness for reference; both must agree.
    for key, recorded in (("client_private_key", "x25519"), ("client_urandom_32_for_a", "urandom")):
        if key in spec and [spec[key]] != randomness.get(recorded):
            raise AssertionError(f"{doc['file']}: device.{key} differs from client.fixed_randomness")
    with client.fixed_x25519_keys(randomness.get("x25519", [])), \
            client.fixed_urandom(randomness.get("urandom", [])), \
            client.no_sleep(), client.http_transport(http.connection_class(httpd)):
        code, stdout, stderr, error = client.run_main(run["command"], run["stdin"])
    if error is not None:
        raise AssertionError(f"{doc['file']}: esp_prov main() raised {error!r}")
    ledger.put_all(run, {"exit_code": code, "stdout": _TIMING.sub(r"\1 X sec", stdout), "stderr": stderr})

    if len(httpd.exchanges) != len(doc["exchanges"]):
        raise AssertionError(f"{doc['file']}: esp_prov made {len(httpd.exchanges)} requests, "
                             f"the recording has {len(doc['exchanges'])}")
    for seq, (entry, seen) in enumerate(zip(doc["exchanges"], httpd.exchanges)):
        ledger.put_all(entry, {
            "seq": seq,
            "method": seen["method"],
            "path": seen["path"],
            "request_headers": seen["request_headers"],
            "request_cookie": seen["request_cookie"],
            "request_body_hex": seen["request_body"].hex(),
            "response_status": seen["response_status"],
            "response_headers": seen["response_headers"],
            "set_cookie": seen["set_cookie"],
            "response_body_hex": seen["response_body"].hex(),
        })
        if seen["path"] == "/proto-ver":
            ledger.put_all(entry, {"request_body_ascii": seen["request_body"].decode("ascii"),
                                   "response_body_text": seen["response_body"].decode("latin-1")})
        view = seen["device_view"]
        if view is not None:
            out = {"request_plaintext": view["request_plaintext"].hex(),
                   "response_plaintext": view["response_plaintext"].hex()}
            for side in ("request", "response"):
                position = view[f"{side}_position"]
                if isinstance(position, int):
                    out[f"{side}_keystream_offset"] = position
                elif position is not None:
                    out[f"{side}_nonce"] = position.hex()
            ledger.put_all(entry["device_view"], out)
