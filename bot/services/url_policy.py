"""Which URLs the bot may download from, checked at every hop.

Polza answers some requests (generated images; later speech and video) with a URL to fetch.
That URL is data from the network, so it is held to a policy before the bot connects:

* the scheme is ``https``, or the scheme of ``POLZA_BASE_URL`` (plain ``http`` in a local setup);
* the host matches one of the allowed patterns (fnmatch, case-insensitive), and the host of
  ``POLZA_BASE_URL`` is always allowed;
* no user name or password in the URL;
* the host is not, and does not resolve to, a loopback, private, link-local or otherwise
  non-public address, unless it is the ``POLZA_BASE_URL`` host (checked on the addresses the
  connection actually uses, through the session's resolver, so a DNS answer cannot change
  between the check and the connection);
* redirects are followed by hand, at most `MAX_REDIRECTS`, each hop checked like the first.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

MAX_REDIRECTS = 3
DEFAULT_HOSTS = ("polza.ai", "*.polza.ai")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class UrlRefused(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {_shown(url)}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    schemes: frozenset[str]
    hosts: tuple[str, ...]  # lower-case fnmatch patterns
    trusted_host: str | None  # the API's own host: may be a private or loopback address

    @classmethod
    def for_polza(cls, base_url: str, hosts: Iterable[str] = ()) -> UrlPolicy:
        """The policy for URLs Polza hands out: `hosts` (default polza.ai, *.polza.ai) plus the
        host of `base_url`, over https or `base_url`'s own scheme."""
        api = urlsplit(base_url)
        api_host = _host(api.hostname)
        patterns = tuple(h.strip().lower() for h in hosts if h.strip()) or DEFAULT_HOSTS
        schemes = {"https", api.scheme.lower()} if api.scheme else {"https"}
        return cls(
            schemes=frozenset(schemes),
            hosts=(*patterns, api_host) if api_host else patterns,
            trusted_host=api_host or None,
        )

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, judging by the URL itself; None when it may."""
        try:
            parts = urlsplit(url)
            host = _host(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return "malformed URL"
        if parts.scheme.lower() not in self.schemes:
            return f"scheme {parts.scheme or '(none)'!r} not allowed"
        if not host:
            return "no host"
        if parts.username is not None or parts.password is not None:
            return "credentials in the URL"
        if not any(fnmatchcase(host, pattern) for pattern in self.hosts):
            return f"host {host!r} not allowed"
        literal = _ip(host)
        if literal is not None and host != self.trusted_host and not _public(literal):
            return f"address {host} not public"
        return None

    def address_allowed(self, host: str, address: str) -> bool:
        """Whether `host` may be reached at `address` (one of its resolved addresses)."""
        if _host(host) == self.trusted_host:
            return True
        ip = _ip(address)
        return ip is not None and _public(ip)


class PolicyResolver(AbstractResolver):
    """Resolves like aiohttp's default, then refuses hosts with any non-public address."""

    def __init__(self, policy: UrlPolicy) -> None:
        self._policy = policy
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for entry in found:
            if not self._policy.address_allowed(host, entry["host"]):
                raise OSError(f"{host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        await self._inner.close()


def guarded_session(policy: UrlPolicy, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    """A session for downloads under `policy`: no cookies kept, hosts resolved through it."""
    connector = aiohttp.TCPConnector(resolver=PolicyResolver(policy))
    return aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    )


@contextlib.asynccontextmanager
async def open_checked(
    session: aiohttp.ClientSession, url: str, policy: UrlPolicy
) -> AsyncIterator[aiohttp.ClientResponse]:
    """GET `url` under `policy`, following at most MAX_REDIRECTS redirects, each checked.

    Raises `UrlRefused` before connecting anywhere the policy forbids; network errors are
    aiohttp's (a host resolving to a private address is one of them).
    """
    for _ in range(MAX_REDIRECTS + 1):
        reason = policy.refusal(url)
        if reason is not None:
            raise UrlRefused(url, reason)
        async with session.get(url, allow_redirects=False) as response:
            location = response.headers.get("Location")
            if response.status in _REDIRECTS and location:
                url = urljoin(url, location)
                continue
            yield response
            return
    raise UrlRefused(url, "too many redirects")


def _host(hostname: str | None) -> str:
    return (hostname or "").strip().lower().rstrip(".")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _shown(url: str) -> str:
    """The URL without its query (it may carry a signature) for logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
