"""A central that connects to a peripheral and then sends nothing: what an attacker in radio
range does to keep a one-connection provisioning peripheral from everybody else.

It finds the peripheral by its advertised name on the controller in `PROVKIT_BLE_HCI`
(`hci-tcp:HOST:PORT`), connects (no MTU exchange, no service discovery, no ATT request at
all), and waits for the peripheral to drop the link. It prints one JSON line:
`{"event": "dropped", "after_s": <seconds from connect to disconnection>, "reason": <HCI code>}`
or `{"event": "still_connected", "after_s": <limit>}` if the limit passed first, then
disconnects itself and exits.

Usage: `silent_central.py NAME LIMIT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from bumble import core, hci
from bumble.device import Device
from bumble.transport import open_transport


def transport_name(spec: str) -> str:
    if spec.startswith("hci-tcp:"):
        return "tcp-client:" + spec[len("hci-tcp:") :]
    return spec


async def main(name: str, limit: float) -> None:
    transport = await open_transport(transport_name(os.environ["PROVKIT_BLE_HCI"]))
    device = Device.with_hci(
        "silent-central",
        hci.Address.generate_static_address(),
        transport.source,
        transport.sink,
    )
    await device.power_on()
    found: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_advertisement(advertisement) -> None:
        local_name = advertisement.data.get(core.AdvertisingData.COMPLETE_LOCAL_NAME)
        if local_name in (name, name.encode()) and not found.done():
            found.set_result(advertisement.address)

    device.on(device.EVENT_ADVERTISEMENT, on_advertisement)
    await device.start_scanning(active=True, filter_duplicates=False)
    address = await asyncio.wait_for(found, 20)
    await device.stop_scanning()
    connection = await device.connect(
        address,
        transport=core.PhysicalTransport.LE,
        own_address_type=hci.OwnAddressType.RANDOM,
        timeout=20,
    )
    connected_at = time.monotonic()
    dropped: asyncio.Future = asyncio.get_running_loop().create_future()
    connection.on(
        connection.EVENT_DISCONNECTION,
        lambda reason: dropped.done() or dropped.set_result(reason),
    )
    try:
        reason = await asyncio.wait_for(dropped, limit)
        print(
            json.dumps(
                {
                    "event": "dropped",
                    "after_s": round(time.monotonic() - connected_at, 2),
                    "reason": reason,
                }
            ),
            flush=True,
        )
    except asyncio.TimeoutError:
        print(json.dumps({"event": "still_connected", "after_s": limit}), flush=True)
        await connection.disconnect()
    await transport.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: silent_central.py NAME LIMIT_SECONDS")
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
