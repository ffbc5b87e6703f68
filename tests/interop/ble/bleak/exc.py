"""Exceptions of the stand-in `bleak` package (the names esp_prov and bleak users know).

Every failure of the central -- an ATT error answer, a link the peripheral dropped, a request
that timed out, an HCI command the controller refused -- surfaces as a `BleakError` (or a
subclass) carrying a message that says which operation failed and why, as bleak does. A
connection attempt that times out raises the built-in `TimeoutError`, as bleak's does.
"""


class BleakError(Exception):
    """Base class of every error this package raises."""


class BleakDBusError(BleakError):
    """Named by esp_prov's scan error handling; raised here only for the same condition bleak
    raises it for on BlueZ: the adapter (here the HCI transport) is not ready."""

    def __init__(self, dbus_error: str, error_body: list):
        self.dbus_error = dbus_error
        self.dbus_error_details = error_body[0] if error_body else None
        super().__init__(dbus_error, *error_body)

    def __str__(self) -> str:
        if self.dbus_error_details:
            return f"[{self.dbus_error}] {self.dbus_error_details}"
        return self.dbus_error


class BleakCharacteristicNotFoundError(BleakError):
    """No characteristic with the given UUID or handle on the connected peripheral."""

    def __init__(self, specifier):
        self.char_specifier = specifier
        super().__init__(f"Characteristic {specifier} was not found!")


class BleakDeviceNotFoundError(BleakError):
    """No advertiser with the given address was seen when connecting."""

    def __init__(self, identifier: str, *args):
        self.identifier = identifier
        super().__init__(*args)
