"""Where an IP address is, from a map the user gives (CSV or JSON); never from the network."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from pathlib import Path

from secloop.core.errors import InputError, Place

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Locations:
    """Exact addresses first, then networks (CIDR), longest prefix wins."""

    def __init__(
        self, exact: dict[str, tuple[float, float]], networks: list[tuple[IpNetwork, tuple[float, float]]]
    ):
        self.exact = exact
        self.networks = sorted(networks, key=lambda item: -item[0].prefixlen)
        self.cache: dict[str, tuple[float, float] | None] = {}

    def find(self, ip: str) -> tuple[float, float] | None:
        hit = self.exact.get(ip)
        if hit is not None or not self.networks:
            return hit
        if ip in self.cache:
            return self.cache[ip]
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            found = None
        else:
            found = next((where for net, where in self.networks if address in net), None)
        if len(self.cache) > 65536:
            self.cache.clear()
        self.cache[ip] = found
        return found


NOWHERE = Locations({}, [])


def _point(path: Path, line: int, lat: object, lon: object) -> tuple[float, float]:
    try:
        point = (float(str(lat)), float(str(lon)))
    except ValueError:
        raise InputError(
            f"not a latitude/longitude: {lat!r}, {lon!r}", place=Place(str(path), line)
        ) from None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise InputError(f"latitude/longitude out of range: {point}", place=Place(str(path), line))
    return point


def load_locations(path: Path) -> Locations:
    """`ip,lat,lon` CSV rows (a header row is skipped) or a JSON object ip -> [lat, lon] / {lat, lon}."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the location map: {exc.strerror}", place=Place(str(path))) from exc
    rows: list[tuple[int, str, object, object]] = []
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"not valid JSON: {exc}", place=Place(str(path))) from exc
        for key, value in data.items():
            if isinstance(value, dict):
                value = [value.get("lat"), value.get("lon")]
            if not isinstance(value, list) or len(value) != 2:
                raise InputError(f"{key}: expected [lat, lon]", place=Place(str(path)))
            rows.append((0, key, value[0], value[1]))
    else:
        for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
            cells = [cell.strip() for cell in row]
            if not cells or not cells[0] or cells[0].startswith("#") or cells[0].lower() in ("ip", "network"):
                continue
            if len(cells) < 3:
                raise InputError("expected ip,lat,lon", place=Place(str(path), number))
            rows.append((number, cells[0], cells[1], cells[2]))
    exact: dict[str, tuple[float, float]] = {}
    networks: list[tuple[IpNetwork, tuple[float, float]]] = []
    for number, key, lat, lon in rows:
        point = _point(path, number, lat, lon)
        if "/" in key:
            try:
                networks.append((ipaddress.ip_network(key, strict=False), point))
            except ValueError:
                raise InputError(f"not a network: {key!r}", place=Place(str(path), number or None)) from None
        else:
            exact[key] = point
    return Locations(exact, networks)
