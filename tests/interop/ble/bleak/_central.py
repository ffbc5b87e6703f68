"""The one BLE central this process runs: a bumble host on a thread of its own.

Why a thread: esp_prov sleeps with `time.sleep` inside its event loop between status polls,
and it may leave that loop (an exception, `sys.exit`, `exit(1)`) with a link still up. The host
stack therefore runs its own asyncio loop on a daemon thread; callers submit coroutines to it.
While esp_prov sleeps, the host still answers the controller, and at interpreter exit an
`atexit` hook disconnects every live link before closing the HCI transport, because a central
that vanishes without disconnecting leaves the peripheral connected and no longer advertising.

Configuration (environment):
* `PROVKIT_BLE_HCI` (required): the controller. `hci-tcp:HOST:PORT` (an H4 stream over TCP, as
  `provkit sim --ble` spells it) or any bumble transport name (`usb:0`, `serial:/dev/…`).
* `PROVKIT_BLE_MTU`: the ATT MTU the central requests right after connecting, as BlueZ does
  (default 517). `23` sends no exchange at all, so every value over 20 bytes needs long writes
  (Prepare/Execute Write) and long reads (Read Blob).
* `PROVKIT_BLE_SCAN_SECONDS`: how long a discovery scans (default: the caller's timeout,
  bleak's 5 s). Short scans keep test runs fast.
* `PROVKIT_BLE_LOG`: a file that receives bumble's debug log (every HCI packet and ATT PDU).
* `PROVKIT_BLE_SNOOP`: a file that receives a btsnoop capture of the HCI traffic.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import signal
import sys
import threading

from bumble import att, core, hci
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.transport import open_transport

from .exc import BleakDBusError, BleakError

HCI_ENV = "PROVKIT_BLE_HCI"
MTU_ENV = "PROVKIT_BLE_MTU"
SCAN_ENV = "PROVKIT_BLE_SCAN_SECONDS"
LOG_ENV = "PROVKIT_BLE_LOG"
SNOOP_ENV = "PROVKIT_BLE_SNOOP"

DEFAULT_MTU = 517  # what BlueZ requests
ATT_DEFAULT_MTU = 23
# How long shutdown waits for each link's Disconnection Complete before closing anyway.
DISCONNECT_TIMEOUT = 3.0


def transport_name(spec: str) -> str:
    """Turns the `hci-tcp:HOST:PORT` spelling into bumble's `tcp-client:HOST:PORT`."""
    if spec.startswith("hci-tcp:"):
        return "tcp-client:" + spec[len("hci-tcp:") :]
    return spec


def requested_mtu() -> int:
    text = os.environ.get(MTU_ENV, "")
    if not text:
        return DEFAULT_MTU
    try:
        mtu = int(text)
    except ValueError:
        raise BleakError(f"{MTU_ENV}={text!r} is not a number") from None
    if not ATT_DEFAULT_MTU <= mtu <= 517:
        raise BleakError(f"{MTU_ENV}={mtu} is outside 23..517")
    return mtu


def scan_seconds(timeout: float) -> float:
    text = os.environ.get(SCAN_ENV, "")
    if not text:
        return timeout
    try:
        return float(text)
    except ValueError:
        raise BleakError(f"{SCAN_ENV}={text!r} is not a number") from None


class Link:
    """One connection to a peripheral: the bumble connection, its GATT client, and whether
    (and why) it went down."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.peer = Peer(connection)
        self.down_reason: int | None = None
        self.on_down = []  # callables run (on the host thread) when the link goes down
        connection.on(connection.EVENT_DISCONNECTION, self._disconnected)

    def _disconnected(self, reason: int) -> None:
        self.down_reason = reason
        for callback in self.on_down:
            callback()

    @property
    def is_up(self) -> bool:
        return self.down_reason is None

    def down_text(self) -> str:
        return hci.HCI_Constant.error_name(self.down_reason)


class Central:
    """The bumble host and the thread that runs it; created on first use, one per process."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self._run_loop, name="bumble-central", daemon=True
        )
        self.device: Device | None = None
        self.transport = None
        self.links: list[Link] = []
        self.opening: asyncio.Future | None = None
        self.thread.start()
        atexit.register(self.shutdown)
        _terminate_cleanly_on_sigterm()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def run(self, coroutine):
        """Runs `coroutine` on the host thread and awaits its result from the caller's loop."""
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        )

    # ---- everything below runs on the host thread ----

    async def ensure_open(self) -> Device:
        """Opens the HCI transport and powers the device on, once (callers may race)."""
        if self.opening is None:
            self.opening = asyncio.ensure_future(self._open())
        await asyncio.shield(self.opening)
        assert self.device is not None
        return self.device

    async def _open(self) -> None:
        spec = os.environ.get(HCI_ENV)
        if not spec:
            raise BleakError(
                f"{HCI_ENV} is not set: this bleak stand-in needs the HCI controller to use, "
                f"e.g. {HCI_ENV}=hci-tcp:127.0.0.1:PORT"
            )
        _configure_logging()
        name = transport_name(spec)
        try:
            self.transport = await open_transport(name)
        except (OSError, core.BaseBumbleError) as error:
            # What bleak raises when the adapter is unusable; esp_prov turns it into
            # "Bluetooth is not ready". Say the real cause on stderr first.
            print(f"bleak (bumble): cannot open HCI transport {name}: {error}", file=sys.stderr)
            raise BleakDBusError("org.bluez.Error.NotReady", ["Resource Not Ready"]) from error
        # A random static address (two top bits set), fresh for every process.
        device = Device.with_hci(
            "provkit-central",
            hci.Address.generate_static_address(),
            self.transport.source,
            self.transport.sink,
        )
        if snoop := os.environ.get(SNOOP_ENV):
            from bumble.snoop import BtSnooper

            device.host.snooper = BtSnooper(open(snoop, "wb"))
        await device.power_on()
        self.device = device

    async def scan(self, seconds: float) -> dict[str, Advertisement]:
        """Active scan for `seconds`; the latest merged advertisement per address."""
        device = await self.ensure_open()
        seen: dict[str, Advertisement] = {}

        def on_advertisement(advertisement: Advertisement) -> None:
            seen[advertisement.address.to_string(False)] = advertisement

        device.on(device.EVENT_ADVERTISEMENT, on_advertisement)
        try:
            await device.start_scanning(active=True, filter_duplicates=False)
            try:
                await asyncio.sleep(seconds)
            finally:
                await device.stop_scanning()
        except hci.HCI_Error as error:
            raise BleakError(f"scanning failed: {error}") from error
        finally:
            device.remove_listener(device.EVENT_ADVERTISEMENT, on_advertisement)
        return seen

    async def connect(self, address: hci.Address, timeout: float) -> Link:
        """Connects, exchanges the MTU (unless asked to stay at 23), discovers everything."""
        device = await self.ensure_open()
        mtu = requested_mtu()
        try:
            connection = await device.connect(
                address,
                transport=core.PhysicalTransport.LE,
                own_address_type=hci.OwnAddressType.RANDOM,
                timeout=timeout,
            )
        except core.TimeoutError as error:
            raise TimeoutError(f"connecting to {address} timed out after {timeout} s") from error
        except hci.HCI_Error as error:
            raise BleakError(f"connecting to {address} failed: {error}") from error
        link = Link(connection)
        self.links.append(link)
        try:
            if mtu > ATT_DEFAULT_MTU:
                await guarded(link, "MTU exchange", link.peer.request_mtu(mtu))
            await guarded(link, "service discovery", link.peer.discover_all())
        except BaseException:
            await self.disconnect(link)
            raise
        return link

    async def read(self, link: Link, handle: int) -> bytes:
        return await guarded(link, f"read of handle 0x{handle:04X}", link.peer.read_value(handle))

    async def write(self, link: Link, handle: int, data: bytes, response: bool) -> None:
        await guarded(
            link,
            f"write of {len(data)} bytes to handle 0x{handle:04X}",
            link.peer.write_value(handle, data, with_response=response),
        )

    async def disconnect(self, link: Link) -> None:
        if link.is_up:
            try:
                await asyncio.wait_for(link.connection.disconnect(), DISCONNECT_TIMEOUT)
            except hci.HCI_Error as error:
                # Already gone (Unknown Connection Identifier) is fine; anything else is not.
                if link.is_up:
                    raise BleakError(f"disconnect failed: {error}") from error
            except (asyncio.TimeoutError, core.TimeoutError) as error:
                raise BleakError(
                    f"no Disconnection Complete within {DISCONNECT_TIMEOUT} s"
                ) from error
        if link in self.links:
            self.links.remove(link)

    async def _close(self) -> None:
        for link in list(self.links):
            try:
                await self.disconnect(link)
            except BleakError as error:
                print(f"bleak (bumble): at exit: {error}", file=sys.stderr)
        if self.transport is not None:
            await self.transport.close()
            self.transport = None

    def shutdown(self) -> None:
        """atexit: disconnect what is still connected, close the transport, stop the thread."""
        if not self.thread.is_alive():
            return
        if self.device is not None:
            future = asyncio.run_coroutine_threadsafe(self._close(), self.loop)
            try:
                future.result(timeout=DISCONNECT_TIMEOUT + 2)
            except (concurrent.futures.TimeoutError, Exception) as error:
                print(f"bleak (bumble): closing the central: {error!r}", file=sys.stderr)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=2)


async def guarded(link: Link, what: str, operation):
    """Runs one GATT operation; failures become `BleakError`s that say what went wrong."""
    if not link.is_up:
        operation.close()
        raise BleakError(f"{what}: Not connected ({link.down_text()})")
    try:
        return await operation
    except att.ATT_Error as error:
        # The code says it all; bumble's own rendering of the PDU would only add colour codes.
        raise BleakError(
            f"{what}: ATT error 0x{error.error_code:02X} "
            f"({att.ErrorCode(error.error_code).name})"
        ) from None
    except asyncio.CancelledError:
        # bumble cancels the pending request when the link drops; a cancellation of this
        # task itself (shutdown) propagates unchanged.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        if not link.is_up:
            raise BleakError(f"{what}: link lost ({link.down_text()})") from None
        raise
    except (asyncio.TimeoutError, core.TimeoutError) as error:
        raise BleakError(f"{what}: no response from the peripheral ({error})") from error
    except hci.HCI_Error as error:
        raise BleakError(f"{what}: {error}") from error


_central: Central | None = None
_central_lock = threading.Lock()


def central() -> Central:
    global _central
    with _central_lock:
        if _central is None:
            _central = Central()
        return _central


def _configure_logging() -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("bumble")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _terminate_cleanly_on_sigterm() -> None:
    """A SIGTERM (a test runner's polite stop) exits through atexit, so the link is dropped
    properly; only when nobody else handles the signal and only from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
