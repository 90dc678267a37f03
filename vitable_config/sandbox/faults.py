"""Reproducible fault injection (sandbox rule 8)."""

from __future__ import annotations

import random
import threading
from fnmatch import fnmatchcase

from vitable_config.sandbox.settings import FAULT_KINDS, FaultSettings


class FaultInjector:
    """Draws one number per request, in arrival order, from ``Random(seed)``.

    The draw happens for every authenticated API request whether or not the
    method/path filter selects it, so the fault sequence depends only on the
    seed and the order of requests.
    """

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self.configure(settings)

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)

    def draw(self, method: str, path: str) -> str | None:
        """The fault for this request (``error_before`` … ``slow``) or ``None``."""
        with self._lock:
            settings = self.settings
            if not settings.enabled:
                return None
            value = self._rng.random()
        if settings.methods is not None and method.upper() not in settings.methods:
            return None
        if settings.paths is not None and not any(
            fnmatchcase(path, pattern) for pattern in settings.paths
        ):
            return None
        threshold = 0.0
        for kind in FAULT_KINDS:
            threshold += getattr(settings, kind)
            if value < threshold:
                return kind
        return None
