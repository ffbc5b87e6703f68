"""Runs Espressif's esp_prov from esp-rainmaker-cli 1.14.1 with one compatibility fix.

That release's esp_prov (module rmaker_tools.rmaker_local_ctrl.esp_prov) awaits
`transport.send_data(...)` on every exchange, but its HTTP transport
(rmaker_tools.common.transport.transport_http.Transport_HTTP.send_data) is a plain function,
so every softap/httpd run dies with "object str can't be used in 'await' expression" at the
first request. This wrapper makes that one method awaitable -- same bytes on the wire, same
cookies, same error handling -- and then runs esp_prov unchanged with the given arguments.

Run it from a directory without a `proto/` subdirectory: esp_prov imports a top-level
module named `proto`, which a repository's `proto/` directory would shadow.
"""

import runpy
import sys

from rmaker_tools.common.transport import transport_http

_sync_send_data = transport_http.Transport_HTTP.send_data


async def _send_data(self, ep_name, data):
    return _sync_send_data(self, ep_name, data)


transport_http.Transport_HTTP.send_data = _send_data

sys.argv = ["esp_prov"] + sys.argv[1:]
runpy.run_module("rmaker_tools.rmaker_local_ctrl.esp_prov", run_name="__main__", alter_sys=True)
