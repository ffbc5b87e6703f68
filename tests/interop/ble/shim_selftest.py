"""Self-test of the bleak stand-in (`tests/interop/ble/bleak/`), independent of provkit.

It starts two linked bumble controllers (`linked_controllers.py`), puts a small bumble
peripheral laid out as ESP-IDF's protocomm_ble lays out a device (the 128-bit provisioning
service, one Read|Write characteristic per endpoint, each with a 0x2901 user description) on
one of them, and runs centrals in child processes on the other, each driving esp_prov's own
BLE transport (`rmaker_tools.common.transport.transport_ble.Transport_BLE`) through the
stand-in. The peripheral answers `proto-ver` with a fixed JSON text, answers `echo` with the
bytes last written reversed, and drops the link when `drop-link` is written.

Checked: discovery by name and advertised service UUID; endpoint names read from 0x2901;
values of 0..512 bytes round-trip at ATT MTU 517 and at MTU 23, with the peripheral counting
the Prepare Write and Read Blob requests that prove long writes and long reads happened; a link
the peripheral drops fails esp_prov's next exchange with a BleakError and reconnecting works;
and a central process that exits without calling disconnect (sys.exit, an uncaught exception)
still drops its link, so the peripheral advertises again.

Run: `python shim_selftest.py` (exit status 0 and a closing `N passed, 0 failed` line on
success). The central processes are this script again with `--central MODE`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ESP_SERVICE_UUID = "021a9004-0382-4aea-bff4-6b3f1c5adfb4"
DEVICE_NAME = "PROV_t5t"
PROTO_VER = '{"prov":{"ver":"v1.1","sec_ver":0,"cap":["no_pop"]},"selftest":{"ver":"1"}}'
# Endpoint name -> the 16-bit id ESP-IDF puts in bytes 2..3 of the service UUID.
ENDPOINTS = {"prov-session": "ff51", "prov-config": "ff52", "proto-ver": "ff53",
             "echo": "ff54", "drop-link": "ff55"}
SIZES = [1, 19, 20, 21, 22, 23, 100, 250, 251, 252, 300, 511, 512]


# ---------------------------------------------------------------------------------------------
# The peripheral (parent process)


class Peripheral:
    def __init__(self, port: int):
        self.port = port
        self.connections = 0
        self.disconnections: list[int] = []
        self.prepare_writes = 0
        self.read_blobs = 0
        self.att_mtu = 0
        self.last_written = b""
        self.changed = asyncio.Event()

    async def start(self) -> None:
        from bumble import hci
        from bumble.core import AdvertisingData, UUID
        from bumble.device import Device
        from bumble.gatt import GATT_CHARACTERISTIC_USER_DESCRIPTION_DESCRIPTOR as USER_DESC
        from bumble.gatt import Characteristic, CharacteristicValue, Descriptor, Service
        from bumble.transport import open_transport

        self.transport = await open_transport(f"tcp-client:127.0.0.1:{self.port}")
        device = Device.with_hci(
            "selftest-peripheral",
            hci.Address.generate_static_address(),
            self.transport.source,
            self.transport.sink,
        )
        characteristics = []
        for name, short in ENDPOINTS.items():
            uuid = ESP_SERVICE_UUID[:4] + short + ESP_SERVICE_UUID[8:]
            value = CharacteristicValue(
                read=lambda conn, name=name: self.on_read(conn, name),
                write=lambda conn, data, name=name: self.on_write(conn, name, data),
            )
            characteristics.append(
                Characteristic(
                    uuid,
                    Characteristic.READ | Characteristic.WRITE,
                    Characteristic.READABLE | Characteristic.WRITEABLE,
                    value,
                    [Descriptor(USER_DESC, Descriptor.READABLE, name.encode())],
                )
            )
        device.add_service(Service(ESP_SERVICE_UUID, characteristics))
        server = device.gatt_server
        prepare, blob = server.on_att_prepare_write_request, server.on_att_read_blob_request

        def counted_prepare(*args):
            self.prepare_writes += 1
            return prepare(*args)

        def counted_blob(*args):
            self.read_blobs += 1
            return blob(*args)

        server.on_att_prepare_write_request = counted_prepare
        server.on_att_read_blob_request = counted_blob
        device.on(device.EVENT_CONNECTION, self.on_connection)
        await device.power_on()
        advertising = bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                     bytes(UUID(ESP_SERVICE_UUID))),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, DEVICE_NAME.encode()),
                ]
            )
        )
        assert len(advertising) <= 31, len(advertising)
        await device.start_advertising(
            advertising_data=advertising, auto_restart=True,
            advertising_interval_min=50, advertising_interval_max=50,
        )
        self.device = device

    def on_connection(self, connection) -> None:
        self.connections += 1
        self.connection = connection

        def on_mtu() -> None:
            self.att_mtu = connection.att_mtu

        def on_disconnection(reason: int) -> None:
            self.disconnections.append(reason)
            self.changed.set()

        self.att_mtu = connection.att_mtu
        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, on_mtu)
        connection.on(connection.EVENT_DISCONNECTION, on_disconnection)
        self.changed.set()

    def on_read(self, connection, name: str) -> bytes:
        if name == "proto-ver":
            return PROTO_VER.encode()
        if name == "echo":
            return self.last_written[::-1]
        return b""

    def on_write(self, connection, name: str, data: bytes) -> None:
        self.last_written = bytes(data)
        if name == "drop-link":
            asyncio.get_running_loop().create_task(connection.disconnect())

    @property
    def connected(self) -> bool:
        return self.connections > len(self.disconnections)

    async def wait_disconnected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.connected and time.monotonic() < deadline:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
        return not self.connected


# ---------------------------------------------------------------------------------------------
# The centrals (child processes): esp_prov's BLE transport over the stand-in


def esp_transport():
    from rmaker_tools.common.transport.transport_ble import Transport_BLE

    return Transport_BLE(service_uuid=ESP_SERVICE_UUID, nu_lookup=dict(ENDPOINTS))


async def central_roundtrip() -> None:
    tp = esp_transport()
    await tp.connect(devname=DEVICE_NAME)
    try:
        found = tp.cli.get_nu_lookup()
        assert found is not None and set(found) == set(ENDPOINTS), f"endpoints: {found}"
        assert tp.cli.get_service_uuid() == ESP_SERVICE_UUID, tp.cli.get_service_uuid()
        answer = await tp.send_data("proto-ver", "---")
        assert answer == PROTO_VER, answer
        for size in SIZES:
            data = "".join(chr((i * 7 + size) % 256) for i in range(size))
            answer = await tp.send_data("echo", data)
            assert answer == data[::-1], f"{size}-byte echo came back as {len(answer)} bytes"
    finally:
        await tp.disconnect()
    print(f"roundtrip ok at MTU {os.environ.get('PROVKIT_BLE_MTU')}")


async def central_drop() -> None:
    from bleak.exc import BleakError

    tp = esp_transport()
    await tp.connect(devname=DEVICE_NAME)
    try:
        await tp.send_data("drop-link", "bye")
    except BleakError as error:
        print(f"dropped link reported: {error}")
    else:
        raise AssertionError("a dropped link did not fail the exchange")
    try:
        await tp.send_data("echo", "again")
    except BleakError as error:
        print(f"next exchange reported: {error}")
    else:
        raise AssertionError("an exchange on a dropped link succeeded")
    await tp.disconnect()
    # The peripheral advertises again: a new connection works.
    tp = esp_transport()
    await tp.connect(devname=DEVICE_NAME)
    try:
        assert await tp.send_data("echo", "back") == "kcab"
    finally:
        await tp.disconnect()


async def central_leave(how: str) -> None:
    tp = esp_transport()
    await tp.connect(devname=DEVICE_NAME)
    assert await tp.send_data("echo", "x" * 40) == "x" * 40
    if how == "exit":
        sys.exit(3)
    raise RuntimeError("leaving with an uncaught exception, link still up")


def run_central(mode: str) -> None:
    if mode == "roundtrip":
        asyncio.run(central_roundtrip())
    elif mode == "drop":
        asyncio.run(central_drop())
    else:
        asyncio.run(central_leave(mode))


# ---------------------------------------------------------------------------------------------
# The test (parent process)


async def start_controllers():
    process = await asyncio.create_subprocess_exec(
        sys.executable, os.path.join(HERE, "linked_controllers.py"), "--until-stdin-closes",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    ready = json.loads(line)
    return process, ready["ports"]


async def central(port: int, mode: str, mtu: int, workdir: str) -> tuple[int, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    env["PROVKIT_BLE_HCI"] = f"hci-tcp:127.0.0.1:{port}"
    env["PROVKIT_BLE_MTU"] = str(mtu)
    env["PROVKIT_BLE_SCAN_SECONDS"] = "0.5"
    env["PROVKIT_BLE_LOG"] = os.path.join(workdir, f"central-{mode}-{mtu}.log")
    process = await asyncio.create_subprocess_exec(
        sys.executable, os.path.abspath(__file__), "--central", mode,
        cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(errors="replace")


async def main() -> int:
    controllers, (peripheral_port, central_port) = await start_controllers()
    results: list[tuple[str, str | None]] = []
    try:
        peripheral = Peripheral(peripheral_port)
        await peripheral.start()
        with tempfile.TemporaryDirectory(prefix="ble-shim-selftest-") as workdir:

            async def check(name: str, mode: str, mtu: int, expect_rc: int, verify):
                started = time.monotonic()
                before = (peripheral.prepare_writes, peripheral.read_blobs)
                rc, out = await central(central_port, mode, mtu, workdir)
                problem = None
                if rc != expect_rc:
                    problem = f"central exited {rc}, expected {expect_rc}:\n{out}"
                elif not await peripheral.wait_disconnected(5):
                    problem = f"peripheral still connected after the central exited:\n{out}"
                else:
                    problem = verify(before)
                results.append((name, problem))
                status = "ok  " if problem is None else "FAIL"
                print(f"ble shim: {status} {name} ({time.monotonic() - started:.1f} s)"
                      + ("" if problem is None else f": {problem}"), flush=True)

            def mtu_used(expected_mtu: int, long_ops: bool):
                # At MTU 517 every value up to 512 bytes fits one Write Request and one Read
                # Response; at MTU 23 anything over 20 bytes needs Prepare Write / Read Blob.
                def verify(before):
                    prepares = peripheral.prepare_writes - before[0]
                    blobs = peripheral.read_blobs - before[1]
                    if peripheral.att_mtu != expected_mtu:
                        return f"ATT MTU {peripheral.att_mtu}, expected {expected_mtu}"
                    if long_ops and (prepares == 0 or blobs == 0):
                        return f"no long write/read seen ({prepares} prepare, {blobs} blob)"
                    if not long_ops and (prepares or blobs):
                        return f"long write/read at MTU {expected_mtu} ({prepares}, {blobs})"
                    return None
                return verify

            await check("round trips at MTU 517 (up to 512 bytes in one PDU)", "roundtrip", 517,
                        0, mtu_used(517, long_ops=False))
            await check("round trips at MTU 23 (Prepare Write, Read Blob)", "roundtrip", 23, 0,
                        mtu_used(23, long_ops=True))
            await check("peripheral drops the link, central reconnects", "drop", 517, 0,
                        lambda _: None)
            await check("central exits via sys.exit while connected", "exit", 517, 3,
                        lambda _: None)
            await check("central dies of an exception while connected", "raise", 23, 1,
                        lambda _: None)
    finally:
        controllers.stdin.close()
        try:
            await asyncio.wait_for(controllers.wait(), 5)
        except asyncio.TimeoutError:
            controllers.kill()
            await controllers.wait()
    failed = sum(1 for _, problem in results if problem is not None)
    print(f"ble shim: {len(results) - failed} passed, {failed} failed")
    return 0 if failed == 0 and results else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--central":
        run_central(sys.argv[2])
    else:
        sys.exit(asyncio.run(main()))
