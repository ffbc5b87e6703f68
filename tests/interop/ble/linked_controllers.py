"""Two bumble virtual BLE controllers on one simulated LE link, each an H4 stream on a loopback
TCP port -- what `python -m bumble.apps.controllers tcp-server:127.0.0.1:A tcp-server:127.0.0.1:B`
does, with two differences that make it safe to start from a test:

* the ports are chosen by the system (port 0) and printed once both listen, as one JSON line
  `{"event": "controllers_ready", "ports": [A, B]}`, so a test never races another process
  for a port and never has to probe a port (a probe connection would count as the host);
* with `--until-stdin-closes` the process exits when its standard input closes, so
  controllers never outlive the test that started them, even if that test is killed.
  (Not the default: a shell's background job may have no standard input at all.)

Usage: `linked_controllers.py [--until-stdin-closes]`; otherwise it runs until interrupted.

A controller keeps connections and other state across HCI_Reset: start a fresh pair for every
scenario. `BUMBLE_LOGLEVEL=DEBUG` logs every packet the controllers pass (stderr).
"""

import asyncio
import json
import sys
import threading

import bumble.logging
from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport.tcp_server import open_tcp_server_transport


async def serve(until_stdin_closes: bool) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def wait_for_stdin_eof() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))

    link = LocalLink()
    transports, ports = [], []
    for index in range(2):
        transport = await open_tcp_server_transport("127.0.0.1:0")
        transports.append(transport)
        ports.append(transport.server.sockets[0].getsockname()[1])
        Controller(
            f"C{index}",
            host_source=transport.source,
            host_sink=transport.sink,
            link=link,
        )
    print(json.dumps({"event": "controllers_ready", "ports": ports}), flush=True)
    if until_stdin_closes:
        threading.Thread(target=wait_for_stdin_eof, daemon=True).start()
    try:
        await stop
    finally:
        for transport in transports:
            transport.server.close()
            await transport.close()


def main() -> None:
    args = sys.argv[1:]
    if args not in ([], ["--until-stdin-closes"]):
        sys.exit("usage: linked_controllers.py [--until-stdin-closes]")
    bumble.logging.setup_basic_logging("WARNING")
    try:
        asyncio.run(serve(until_stdin_closes=bool(args)))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
