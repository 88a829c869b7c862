# ruff: noqa: E501  (strace lines are recorded verbatim)
"""The strace parser that backs the privacy test can fail: recorded lines and a real trace."""

from __future__ import annotations

import sys

from strace_connect import connects, outside, trace

# recorded from Debian's strace 6.1 (strace -f -qq -e trace=connect) on this machine
RECORDED = [
    '22287 connect(3, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS',
    '22287 connect(4, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ECONNREFUSED (Connection refused)',
    '22287 connect(3, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("192.0.2.1")}, 16) = 0',
    '22287 connect(5, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    '22287 connect(6, {sa_family=AF_INET6, sin6_port=htons(9), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    '22287 connect(7, {sa_family=AF_UNIX, sun_path="/tmp/slm-pa-x/native"}, 24) = 0',
    "22287 connect(8, {sa_family=AF_NETLINK, nl_pad=0x896d, nl_pid=0, nl_groups=00000000}, 12) = 0",
    '22290 connect(9, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("10.1.2.3")}, 16 <unfinished ...>',
    "22290 <... connect resumed>) = -1 EINPROGRESS (Operation now in progress)",
    "22291 connect(10, {sa_family=AF_BLUETOOTH, sa_data=...}, 14) = -1 EAFNOSUPPORT",
    '22291 connect(11, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:8.8.8.8", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    "22287 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=22288} ---",
]


def test_recorded_lines_parse_and_the_outside_ones_are_reported():
    found = connects(RECORDED)
    assert [c.family for c in found] == [
        "AF_INET", "AF_INET6", "AF_INET", "AF_INET6", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_INET", "AF_BLUETOOTH", "AF_INET6",
    ]  # fmt: skip
    assert found[2].address == "192.0.2.1" and found[2].port == 9 and found[5].address == '"/tmp/slm-pa-x/native"'
    bad = outside(found)
    assert [c.address or c.family for c in bad] == [
        "192.0.2.1",
        "2001:db8::1",
        "10.1.2.3",
        "AF_BLUETOOTH",
        "::ffff:8.8.8.8",
    ]


def test_only_local_lines_report_nothing():
    local = [RECORDED[i] for i in (0, 1, 4, 5, 6)]
    assert len(connects(local)) == 5 and outside(connects(local)) == []


def test_a_real_trace_catches_a_real_connect_to_a_test_net_address(tmp_path):
    """A UDP connect() to TEST-NET-1 is a real connect() call that sends no packet (UDP connect only
    sets the peer), so the parser is shown to catch what the kernel really saw, with no traffic."""
    script = (
        "import socket\n"
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(('192.0.2.1', 9))\n"
        "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()\n"
        "c = socket.create_connection(l.getsockname())\n"
    )
    found = trace([sys.executable, "-c", script], tmp_path / "trace.txt")
    assert [c.address for c in outside(found)] == ["192.0.2.1"]
    assert any(c.address == "127.0.0.1" for c in found)  # the loopback connect was seen, and allowed
