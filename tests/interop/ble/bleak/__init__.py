"""A stand-in for the `bleak` package, backed by bumble's host stack: the part of bleak's API
that Espressif's esp_prov (esp-rainmaker-cli 1.14.1, `rmaker_tools/common/transport/ble_cli.py`)
calls, so esp_prov's BLE transport runs unchanged against any HCI controller -- in CI, one of
two linked bumble virtual controllers; on a desk, a USB dongle.

Put the directory holding this package first on `PYTHONPATH` and set `PROVKIT_BLE_HCI`
(see `_central.py` for every setting). What it implements, and how it behaves like BlueZ:

* `BleakScanner.discover(timeout, return_adv)`: an active scan from a random static address;
  each advertiser's advertising data and scan response are merged, and its service UUIDs
  deduplicated, as BlueZ presents them.
* `BleakClient(address)`: `connect()` creates the LE link, requests ATT MTU 517 (or stays at
  23), and discovers every service, characteristic and descriptor; `services[uuid]`;
  `read_gatt_char` / `read_gatt_descriptor` (Read Blob continues any value that fills a
  response); `write_gatt_char(…, response=True)` (Prepare/Execute Write once the value exceeds
  MTU - 3); `disconnect()`; `async with`. A link the peripheral drops fails the next operation
  with `BleakError`, as on BlueZ.

Anything else bleak offers (notifications, pairing, the Windows/macOS backends) is absent on
purpose: esp_prov does not use it.
"""

from __future__ import annotations

import asyncio
import uuid as _uuid
from typing import Callable, Iterator, Optional, Union

from bumble import hci
from bumble.core import AdvertisingData

from . import exc
from ._central import ATT_DEFAULT_MTU, Link, central, scan_seconds
from .exc import BleakCharacteristicNotFoundError, BleakDeviceNotFoundError, BleakError

__all__ = [
    "AdvertisementData",
    "BLEDevice",
    "BleakClient",
    "BleakError",
    "BleakGATTCharacteristic",
    "BleakGATTDescriptor",
    "BleakGATTService",
    "BleakGATTServiceCollection",
    "BleakScanner",
    "exc",
]

_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"


def normalize_uuid_str(text: str) -> str:
    """bleak's UUID spelling: lower case, 16- and 32-bit UUIDs expanded to 128 bits."""
    text = text.lower()
    if len(text) == 4:
        return f"0000{text}{_BASE_UUID_TAIL}"
    if len(text) == 8:
        return f"{text}{_BASE_UUID_TAIL}"
    return str(_uuid.UUID(text))


def _uuid_text(bumble_uuid) -> str:
    """A bumble UUID (little-endian inside) in bleak's spelling."""
    return str(_uuid.UUID(bytes=bytes(reversed(bumble_uuid.to_bytes(force_128=True)))))


# ---------------------------------------------------------------------------------------------
# Scanning


class BLEDevice:
    """An advertiser: `address` as BlueZ prints it, `name` from its advertising data."""

    def __init__(self, address: str, name: Optional[str], details, rssi: int = 0):
        self.address = address
        self.name = name
        self.details = details  # the bumble hci.Address, with its type
        self._rssi = rssi

    def __repr__(self) -> str:
        return f"BLEDevice({self.address}, {self.name})"


class AdvertisementData:
    """What one advertiser sent (advertising data and scan response merged)."""

    def __init__(self, advertisement):
        structures = advertisement.data.ad_structures
        names = {t: v for t, v in structures if t in _NAME_TYPES}
        name = names.get(AdvertisingData.Type.COMPLETE_LOCAL_NAME) or names.get(
            AdvertisingData.Type.SHORTENED_LOCAL_NAME
        )
        self.local_name: Optional[str] = (
            name.decode("utf-8", errors="replace") if name is not None else None
        )
        self.service_uuids: list[str] = []
        self.manufacturer_data: dict[int, bytes] = {}
        self.service_data: dict[str, bytes] = {}
        self.tx_power: Optional[int] = None
        for ad_type, value in structures:
            size = _UUID_LIST_TYPES.get(ad_type)
            if size is not None:
                for i in range(0, len(value) - size + 1, size):
                    text = _uuid_from_le(value[i : i + size])
                    if text not in self.service_uuids:
                        self.service_uuids.append(text)
            elif ad_type == AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA and len(value) >= 2:
                self.manufacturer_data[int.from_bytes(value[:2], "little")] = value[2:]
            elif ad_type == AdvertisingData.Type.TX_POWER_LEVEL and len(value) == 1:
                self.tx_power = int.from_bytes(value, "little", signed=True)
        self.rssi: int = advertisement.rssi
        self.platform_data = (advertisement,)

    def __repr__(self) -> str:
        return (
            f"AdvertisementData(local_name={self.local_name!r}, "
            f"service_uuids={self.service_uuids}, rssi={self.rssi})"
        )


_NAME_TYPES = (
    AdvertisingData.Type.COMPLETE_LOCAL_NAME,
    AdvertisingData.Type.SHORTENED_LOCAL_NAME,
)
_UUID_LIST_TYPES = {
    AdvertisingData.Type.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    AdvertisingData.Type.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS: 4,
    AdvertisingData.Type.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
    AdvertisingData.Type.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
}


def _uuid_from_le(raw: bytes) -> str:
    if len(raw) == 16:
        return str(_uuid.UUID(bytes=bytes(reversed(raw))))
    return normalize_uuid_str(raw[::-1].hex())


class BleakScanner:
    """Discovery only (`discover`), which is all esp_prov asks of a scanner."""

    # Addresses seen by the last discovery, so BleakClient(address_string) can connect with
    # the right address type (a random static address, in every setup this package targets).
    _seen: dict[str, hci.Address] = {}

    @classmethod
    async def discover(
        cls, timeout: float = 5.0, *, return_adv: bool = False, **_ignored
    ) -> Union[list[BLEDevice], dict[str, tuple[BLEDevice, AdvertisementData]]]:
        host = central()
        seen = await host.run(host.scan(scan_seconds(timeout)))
        found: dict[str, tuple[BLEDevice, AdvertisementData]] = {}
        for address, advertisement in seen.items():
            adv = AdvertisementData(advertisement)
            device = BLEDevice(address, adv.local_name, advertisement.address, adv.rssi)
            found[address] = (device, adv)
            cls._seen[address] = advertisement.address
        if return_adv:
            return found
        return [device for device, _ in found.values()]


# ---------------------------------------------------------------------------------------------
# GATT database, as bleak models it


class BleakGATTDescriptor:
    def __init__(self, uuid: str, handle: int, characteristic: "BleakGATTCharacteristic"):
        self.uuid = uuid
        self.handle = handle
        self.characteristic_uuid = characteristic.uuid
        self.characteristic_handle = characteristic.handle

    def __repr__(self) -> str:
        return f"{self.uuid} (Handle: {self.handle})"


_PROPERTY_NAMES = [
    (0x01, "broadcast"),
    (0x02, "read"),
    (0x04, "write-without-response"),
    (0x08, "write"),
    (0x10, "notify"),
    (0x20, "indicate"),
    (0x40, "authenticated-signed-writes"),
    (0x80, "extended-properties"),
]


class BleakGATTCharacteristic:
    def __init__(self, uuid: str, handle: int, properties: int, service: "BleakGATTService"):
        self.uuid = uuid
        self.handle = handle
        self.properties = [name for bit, name in _PROPERTY_NAMES if properties & bit]
        self.service_uuid = service.uuid
        self.service_handle = service.handle
        self.descriptors: list[BleakGATTDescriptor] = []

    def get_descriptor(self, specifier: Union[int, str]) -> Optional[BleakGATTDescriptor]:
        for descriptor in self.descriptors:
            if descriptor.handle == specifier or (
                isinstance(specifier, str) and descriptor.uuid == normalize_uuid_str(specifier)
            ):
                return descriptor
        return None

    def __repr__(self) -> str:
        return f"{self.uuid} (Handle: {self.handle})"


class BleakGATTService:
    def __init__(self, uuid: str, handle: int):
        self.uuid = uuid
        self.handle = handle
        self.characteristics: list[BleakGATTCharacteristic] = []

    def get_characteristic(self, uuid: str) -> Optional[BleakGATTCharacteristic]:
        wanted = normalize_uuid_str(str(uuid))
        return next((c for c in self.characteristics if c.uuid == wanted), None)

    def __repr__(self) -> str:
        return f"{self.uuid} (Handle: {self.handle})"


class BleakGATTServiceCollection:
    """`collection[uuid or handle]` finds a service, characteristic or descriptor, or None."""

    def __init__(self, link: Link):
        self.services: dict[int, BleakGATTService] = {}
        self.characteristics: dict[int, BleakGATTCharacteristic] = {}
        self.descriptors: dict[int, BleakGATTDescriptor] = {}
        for proxy in link.peer.services:
            service = BleakGATTService(_uuid_text(proxy.uuid), proxy.handle)
            self.services[service.handle] = service
            for char_proxy in proxy.characteristics:
                char = BleakGATTCharacteristic(
                    _uuid_text(char_proxy.uuid), char_proxy.handle, char_proxy.properties, service
                )
                service.characteristics.append(char)
                self.characteristics[char.handle] = char
                for desc_proxy in char_proxy.descriptors:
                    desc = BleakGATTDescriptor(_uuid_text(desc_proxy.type), desc_proxy.handle, char)
                    char.descriptors.append(desc)
                    self.descriptors[desc.handle] = desc

    def __iter__(self) -> Iterator[BleakGATTService]:
        return iter(self.services.values())

    def __getitem__(self, item):
        return self.get_service(item) or self.get_characteristic(item) or self.get_descriptor(item)

    def get_service(self, specifier) -> Optional[BleakGATTService]:
        return _lookup(self.services, specifier)

    def get_characteristic(self, specifier) -> Optional[BleakGATTCharacteristic]:
        return _lookup(self.characteristics, specifier)

    def get_descriptor(self, handle) -> Optional[BleakGATTDescriptor]:
        return self.descriptors.get(handle) if isinstance(handle, int) else None


def _lookup(by_handle: dict, specifier):
    if isinstance(specifier, int):
        return by_handle.get(specifier)
    if isinstance(specifier, (str, _uuid.UUID)):
        try:
            wanted = normalize_uuid_str(str(specifier))
        except ValueError:
            return None
        return next((x for x in by_handle.values() if x.uuid == wanted), None)
    return None


# ---------------------------------------------------------------------------------------------
# Connection


class BleakClient:
    """One connection to a peripheral, by address (as discovered) or by `BLEDevice`."""

    def __init__(
        self,
        address_or_ble_device: Union[str, BLEDevice],
        disconnected_callback: Optional[Callable[["BleakClient"], None]] = None,
        *,
        timeout: float = 10.0,
        **_ignored,
    ):
        if isinstance(address_or_ble_device, BLEDevice):
            self.address = address_or_ble_device.address
            self._target = address_or_ble_device.details
        else:
            self.address = address_or_ble_device.upper()
            self._target = BleakScanner._seen.get(self.address)
        self._disconnected_callback = disconnected_callback
        self._timeout = timeout
        self._link: Optional[Link] = None
        self._services: Optional[BleakGATTServiceCollection] = None

    async def __aenter__(self) -> "BleakClient":
        await self.connect()
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.disconnect()

    @property
    def is_connected(self) -> bool:
        return self._link is not None and self._link.is_up

    @property
    def mtu_size(self) -> int:
        return self._link.connection.att_mtu if self._link is not None else ATT_DEFAULT_MTU

    @property
    def services(self) -> BleakGATTServiceCollection:
        if self._services is None:
            raise BleakError("Service Discovery has not been performed yet")
        return self._services

    async def connect(self, **kwargs) -> bool:
        if self.is_connected:
            return True
        if self._target is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            )
        host = central()
        timeout = kwargs.get("timeout", self._timeout)
        link = await host.run(host.connect(self._target, timeout))
        self._link = link
        if self._disconnected_callback is not None:
            loop = asyncio.get_running_loop()
            callback = self._disconnected_callback
            link.on_down.append(lambda: loop.call_soon_threadsafe(callback, self))
        self._services = BleakGATTServiceCollection(link)
        return True

    async def disconnect(self) -> bool:
        if self._link is not None:
            host = central()
            link, self._link = self._link, None
            await host.run(host.disconnect(link))
        return True

    async def pair(self, *_args, **_kwargs) -> bool:
        raise BleakError("pairing is not supported by this bleak stand-in")

    async def unpair(self) -> bool:
        raise BleakError("pairing is not supported by this bleak stand-in")

    def _connected_link(self) -> Link:
        if self._link is None:
            raise BleakError("Not connected")
        return self._link

    def _characteristic(self, specifier) -> BleakGATTCharacteristic:
        if isinstance(specifier, BleakGATTCharacteristic):
            return specifier
        char = self.services.get_characteristic(specifier)
        if char is None:
            raise BleakCharacteristicNotFoundError(specifier)
        return char

    async def read_gatt_char(self, char_specifier, **_kwargs) -> bytearray:
        link = self._connected_link()
        handle = self._characteristic(char_specifier).handle
        host = central()
        return bytearray(await host.run(host.read(link, handle)))

    async def read_gatt_descriptor(self, handle: int, **_kwargs) -> bytearray:
        link = self._connected_link()
        if self.services.get_descriptor(handle) is None:
            raise BleakError(f"Descriptor with handle {handle} was not found!")
        host = central()
        return bytearray(await host.run(host.read(link, handle)))

    async def write_gatt_char(self, char_specifier, data, response: Optional[bool] = None) -> None:
        link = self._connected_link()
        char = self._characteristic(char_specifier)
        if response is None:
            # bleak's rule: with response whenever the characteristic allows it.
            response = "write" in char.properties
        host = central()
        await host.run(host.write(link, char.handle, bytes(data), response))

    async def write_gatt_descriptor(self, handle: int, data) -> None:
        link = self._connected_link()
        if self.services.get_descriptor(handle) is None:
            raise BleakError(f"Descriptor with handle {handle} was not found!")
        host = central()
        await host.run(host.write(link, handle, bytes(data), True))

