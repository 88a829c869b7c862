"""Reading `strace -f -e trace=connect` output: which connect() calls left the machine's loopback.

Allowed: AF_UNIX/AF_LOCAL (PulseAudio, D-Bus, X11), AF_NETLINK (the kernel), AF_UNSPEC (dissolves a
UDP association), and AF_INET/AF_INET6 to loopback (127.0.0.0/8, ::1, ::ffff:127.x). Anything else,
including a family this parser does not know, is reported.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_CONNECT = re.compile(r"\bconnect\(\d+, \{sa_family=(?P<family>\w+)(?P<rest>[^}]*)\}")
_V4 = re.compile(r'sin_addr=inet_addr\("(?P<addr>[^"]+)"\)')
_V6 = re.compile(r'inet_pton\(AF_INET6, "(?P<addr>[^"]+)"')
_PORT = re.compile(r"sin6?_port=htons\((?P<port>\d+)\)")
ALLOWED_FAMILIES = {"AF_UNIX", "AF_LOCAL", "AF_NETLINK", "AF_UNSPEC"}


@dataclass(frozen=True)
class Connect:
    family: str
    address: str  # an IP address, a unix path, or "" when the family carries none we read
    port: int
    line: str


def connects(lines: list[str]) -> list[Connect]:
    """Every connect() in the trace (an `<unfinished ...>` line carries the address too)."""
    found = []
    for line in lines:
        match = _CONNECT.search(line)
        if match is None:
            continue
        family, rest = match["family"], match["rest"]
        address = ""
        if family == "AF_INET" and (v4 := _V4.search(rest)):
            address = v4["addr"]
        elif family == "AF_INET6" and (v6 := _V6.search(rest)):
            address = v6["addr"]
        elif family in ("AF_UNIX", "AF_LOCAL") and (path := re.search(r'sun_path=(@?"[^"]*")', rest)):
            address = path[1]
        port = _PORT.search(rest)
        found.append(Connect(family, address, int(port["port"]) if port else 0, line.strip()))
    return found


def _loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def outside(found: list[Connect]) -> list[Connect]:
    """The connects that are neither local sockets nor loopback."""
    return [
        c
        for c in found
        if c.family not in ALLOWED_FAMILIES and not (c.family in ("AF_INET", "AF_INET6") and _loopback(c.address))
    ]


def strace_prefix(out: Path) -> list[str]:
    """The command prefix that records every connect() of a process tree into `out`."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (Debian package strace; scripts/setup.sh --test installs it)")
    return ["strace", "-f", "-qq", "-e", "trace=connect", "-e", "signal=none", "-o", str(out)]


def trace(command: list[str], out: Path, **kwargs) -> list[Connect]:
    """Run `command` under strace and return its connects."""
    subprocess.run([*strace_prefix(out), *command], check=True, timeout=60, **kwargs)
    return connects(out.read_text(errors="replace").splitlines())
