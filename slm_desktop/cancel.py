"""Cooperative cancellation shared by the worker and every engine."""

import threading


class Cancelled(Exception):
    """Raised by an engine when its CancelToken was set."""


class CancelToken:
    """Set from any thread; engines check it between tokens or chunks."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled (True) or `timeout` seconds pass (False): a pause that a cancel ends."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
