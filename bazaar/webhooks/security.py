"""Where a webhook may point (SPEC §15): `https://` (plain `http://` only with
WEBHOOK_ALLOW_HTTP), and only at public addresses, checked when the subscription is saved and
again before every attempt, so a DNS change cannot turn it inward (WEBHOOK_ALLOW_PRIVATE lifts
the address rule, for development and tests)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(Exception):
    """Why a URL is refused; the message is shown to the client (400) or kept as last_error."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_refusal(address: Address) -> str | None:
    """Why an address is not public, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for test, name in (
        # The most telling name first: Python counts link-local and reserved ranges as private.
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_unspecified, "unspecified"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
    ):
        if test:
            return name
    if not address.is_global:
        return "non-public"
    return None


def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from None
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeURL(
            "Only https:// URLs are allowed."
            if not settings.WEBHOOK_ALLOW_HTTP
            else "Only http:// and https:// URLs are allowed."
        )
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[Address]:
    """Every address the host names: itself when it is one, else what DNS answers."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host} cannot be resolved ({exc}).") from None
    # The scope of a link-local IPv6 answer ("fe80::1%eth0") is no part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str) -> None:
    """Raise UnsafeURL unless the URL may be sent to now."""
    host, port = _host_and_port(url)
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    for address in resolve(host, port):
        refusal = address_refusal(address)
        if refusal is not None:
            raise UnsafeURL(
                f"The host {host} is or resolves to a {refusal} address ({address}): webhooks "
                "are sent to public addresses only."
            )
