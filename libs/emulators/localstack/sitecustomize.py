"""Keeps a natively started LocalStack on the interface GATEWAY_LISTEN names.

LocalStack 4.14.0 binds its IPv4 gateway on every interface whatever host GATEWAY_LISTEN gives
(localstack/runtime/server/twisted.py creates TCP4ServerEndpoint without an interface). Started by
libs/emulators (startLocalStack) with this folder on PYTHONPATH, Python imports this module at
start-up, before LocalStack, and the gateway listens on 127.0.0.1 only.
"""

import os


def _bind_gateway_to_its_host() -> None:
    listen = os.environ.get("GATEWAY_LISTEN", "").split(",")[0].strip()
    host = listen.rpartition(":")[0]
    if not host or host.startswith("["):
        return  # no host, or IPv6 (LocalStack binds those to their host already)

    from twisted.internet import endpoints

    original = endpoints.TCP4ServerEndpoint

    class TCP4ServerEndpointOnHost(original):
        def __init__(self, reactor, port, backlog=50, interface=""):
            super().__init__(reactor, port, backlog, interface or host)

    endpoints.TCP4ServerEndpoint = TCP4ServerEndpointOnHost


_bind_gateway_to_its_host()
