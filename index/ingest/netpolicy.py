"""Which network destinations the bot may reach on a user's behalf.

A link posted in a channel is hostile input: it may point at the machine the bot runs on,
its private network, or a cloud metadata service. Only public addresses pass, unless the
policy was built with explicit exceptions (tests allow 127.0.0.1 this way).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not public, whatever ipaddress.is_global says about them on this Python version.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated), hides an IPv4 address
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/32",  # Teredo: tunnels to an IPv4 address
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: tunnels to an IPv4 address
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeDestination(Exception):
    """A destination the policy does not allow. ``reason`` is fit to show a user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_public_address(address: IPAddress) -> bool:
    """True for addresses on the public internet, including IPv6 forms that embed IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
        if any(address in net for net in _BLOCKED_V6):
            return False
    elif any(address in net for net in _BLOCKED_V4):
        return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Where fetches may go. The default allows public addresses on ports 80 and 443 only.

    ``allowed_networks`` are exceptions to the public-address rule, and ``allowed_ports``
    of ``None`` allows any port; both exist for tests that serve pages on 127.0.0.1.
    """

    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_ports: frozenset[int] | None = field(default=frozenset({80, 443}))

    @classmethod
    def allowing(cls, networks: Iterable[str], *, any_port: bool = False) -> AddressPolicy:
        return cls(
            allowed_networks=tuple(ipaddress.ip_network(net) for net in networks),
            allowed_ports=None if any_port else frozenset({80, 443}),
        )

    def allows_address(self, address: IPAddress | str) -> bool:
        if isinstance(address, str):
            address = ipaddress.ip_address(address.split("%", 1)[0])
        if any(address in net for net in self.allowed_networks if net.version == address.version):
            return True
        return is_public_address(address)

    def check_address(self, address: IPAddress | str) -> None:
        try:
            allowed = self.allows_address(address)
        except ValueError:
            raise UnsafeDestination("that address is not valid") from None
        if not allowed:
            raise UnsafeDestination("that address is not public")

    def check_port(self, port: int) -> None:
        if self.allowed_ports is not None and port not in self.allowed_ports:
            raise UnsafeDestination(f"links to port {port} are not followed")
