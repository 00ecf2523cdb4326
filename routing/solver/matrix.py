"""Distance and travel-time matrices between locations.

A provider turns an ``(n, 2)`` coordinate array into two ``(n, n)`` float arrays: distance in
km and travel time in seconds. Haversine is the default for real addresses; a road-network
provider (OSRM, Valhalla) or time-of-day traffic multipliers plug in behind the same
``matrices`` method later. Euclidean serves planar benchmark instances (Solomon).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


class MatrixProvider(Protocol):
    def matrices(self, locations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``locations`` ``(n, 2)`` → (distance km ``(n, n)``, travel time seconds ``(n, n)``)."""
        ...


@dataclass(frozen=True)
class HaversineMatrix:
    """Great-circle distances on ``(lat, lon)`` degrees, times at a constant speed.

    ``detour_factor`` stretches the crow-flies distance towards a road distance (1.3 is a
    common rule of thumb for towns); ``speed_kmh`` converts the stretched distance to time.
    """

    speed_kmh: float = 40.0
    detour_factor: float = 1.0

    def __post_init__(self) -> None:
        if self.speed_kmh <= 0 or self.detour_factor <= 0:
            raise ValueError("speed_kmh and detour_factor must be positive.")

    def matrices(self, locations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points = np.radians(np.asarray(locations, dtype=float).reshape(-1, 2))
        lat = points[:, 0]
        lon = points[:, 1]
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        # Haversine formula (Sinnott 1984): stable for short distances, unlike the cosine law.
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        )
        distance_km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        distance_km *= self.detour_factor
        duration_s = distance_km / self.speed_kmh * 3600.0
        return distance_km, duration_s


@dataclass(frozen=True)
class EuclideanMatrix:
    """Straight-line distances on planar ``(x, y)``; time = distance / ``speed``.

    ``truncate_decimals`` floors every arc to that many decimals, the DIMACS convention used by
    the Gehring–Homberger ``.sol`` files (``floor(10 * d) / 10`` for one decimal).
    """

    speed: float = 1.0
    truncate_decimals: int | None = None

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("speed must be positive.")

    def matrices(self, locations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points = np.asarray(locations, dtype=float).reshape(-1, 2)
        delta = points[:, None, :] - points[None, :, :]
        distance = np.sqrt((delta**2).sum(axis=2))
        if self.truncate_decimals is not None:
            factor = 10.0**self.truncate_decimals
            # The tiny epsilon keeps 0.3 (stored as 0.29999…) at 0.3 rather than 0.2.
            distance = np.floor(distance * factor + 1e-9) / factor
        return distance, distance / self.speed
