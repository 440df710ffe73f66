"""The line of renders waiting for one of the browser's page slots, in host order where it pays.

A render in a tab that rendered the same host last keeps that tab's renderer process; a render in a
tab of another site makes Chromium start a new process (site isolation), which costs the browser
about a third of a render. Renders are queued first come, first served, but a free slot goes to
the first render in line whose host has an idle tab, so that a host's pages render one after
another in the same tab. Fairness is bounded: the render at the head of the line is passed over
at most ``slots`` times, then it starts whatever its host.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass


@dataclass(eq=False)
class _Waiter:
    host: str
    granted: asyncio.Future[None]
    passed_over: int = 0


class RenderLine:
    """At most ``slots`` renders at once, none while ``ready()`` is false; ``idle_hosts()`` are
    the hosts whose tab is idle, which the renders of the same host are let in first to use."""

    def __init__(self, slots: int, ready: Callable[[], bool], idle_hosts: Callable[[], Collection[str]]) -> None:
        self.slots = slots
        self.active = 0
        self._ready = ready
        self._idle_hosts = idle_hosts
        self._waiting: deque[_Waiter] = deque()

    @property
    def waiting_hosts(self) -> set[str]:
        return {waiter.host for waiter in self._waiting}

    async def enter(self, host: str) -> None:
        """Wait for a slot, in line."""
        if not self._waiting and self._free():
            self.active += 1
            return
        waiter = _Waiter(host, asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        try:
            await waiter.granted
        except BaseException:
            if waiter.granted.cancelled():
                with suppress(ValueError):
                    self._waiting.remove(waiter)
            else:  # granted, then cancelled before it could start: the slot goes on
                self.leave()
            raise

    def leave(self) -> None:
        """Give a slot back, and start whoever can start now."""
        self.active -= 1
        self._admit()

    def _admit(self) -> None:
        """Start the renders next in line while slots are free."""
        while self._waiting and self._free():
            waiter = self._next()
            self._waiting.remove(waiter)
            if not waiter.granted.done():  # else cancelled while it waited
                self.active += 1
                waiter.granted.set_result(None)

    def _free(self) -> bool:
        return self.active < self.slots and self._ready()

    def _next(self) -> _Waiter:
        """The first render in line, or the first after it whose host has an idle tab."""
        first = self._waiting[0]
        if first.passed_over < self.slots:
            idle = self._idle_hosts()
            if idle and first.host not in idle:
                for waiter in self._waiting:
                    if waiter.host in idle:
                        first.passed_over += 1
                        return waiter
        return first
