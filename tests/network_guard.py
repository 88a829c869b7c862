"""Every test runs with this guard: a socket may connect only to loopback or a unix socket.

The app makes no network request except when the user installs a model, and no test installs
from a real host (download tests serve files on 127.0.0.1). A connect anywhere else is refused
(so nothing leaks) and recorded, and the test fails at teardown naming the address.
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_local(family: int, address) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    if family not in (socket.AF_INET, socket.AF_INET6):
        return False
    host = str(address[0]).split("%")[0]
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkGuard:
    def __init__(self) -> None:
        self.attempts: list[str] = []

    def install(self, monkeypatch) -> NetworkGuard:
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex

        def check(sock: socket.socket, address) -> None:
            if not is_local(sock.family, address):
                self.attempts.append(repr(address))
                raise OSError(f"network guard: connection to {address!r} refused in tests")

        def connect(sock, address):
            check(sock, address)
            return original_connect(sock, address)

        def connect_ex(sock, address):
            check(sock, address)
            return original_connect_ex(sock, address)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        return self
