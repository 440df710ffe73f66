"""The line of renders waiting for a browser page: slots, host order, bounded unfairness."""

from __future__ import annotations

import asyncio

from backlink_spider.render_line import RenderLine


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


class _Renders:
    """Renders entering ``line`` one after another; ``started`` lists them in the order they got in."""

    def __init__(self, line: RenderLine) -> None:
        self.line = line
        self.started: list[str] = []
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def _enter(self, name: str) -> None:
        await self.line.enter(name.rstrip("0123456789"))
        self.started.append(name)

    async def queue(self, *names: str) -> None:
        for name in names:
            self.tasks[name] = asyncio.create_task(self._enter(name))
            await _settle()


def test_no_more_renders_start_than_slots_and_a_freed_slot_goes_to_the_next_in_line() -> None:
    async def test() -> None:
        renders = _Renders(RenderLine(2, ready=lambda: True, idle_hosts=set))
        await renders.queue("a.com1", "b.com1", "c.com1", "d.com1")
        assert renders.started == ["a.com1", "b.com1"]
        assert renders.line.waiting_hosts == {"c.com", "d.com"}
        renders.line.leave()
        await _settle()
        assert renders.started == ["a.com1", "b.com1", "c.com1"]
        assert renders.line.active == 2

    asyncio.run(test())


def test_a_free_slot_goes_first_to_a_render_whose_host_has_an_idle_tab() -> None:
    async def test() -> None:
        idle: set[str] = set()
        renders = _Renders(RenderLine(1, ready=lambda: True, idle_hosts=lambda: idle))
        await renders.queue("a.com1", "c.com1", "b.com1", "a.com2")
        idle.add("a.com")  # a.com1's tab waits for the next page of a.com
        renders.line.leave()
        await _settle()
        assert renders.started == ["a.com1", "a.com2"]
        # No idle tab of a waiting host: first come, first served.
        idle.clear()
        renders.line.leave()
        await _settle()
        assert renders.started == ["a.com1", "a.com2", "c.com1"]

    asyncio.run(test())


def test_the_head_of_the_line_is_passed_over_at_most_once_a_slot() -> None:
    async def test() -> None:
        renders = _Renders(RenderLine(2, ready=lambda: True, idle_hosts=lambda: {"b.com"}))
        await renders.queue("x.com1", "x.com2", "a.com1", "b.com1", "b.com2", "b.com3", "b.com4")
        for _ in range(4):
            renders.line.leave()
            await _settle()
        # a.com1 let two b.com renders by (two slots), then started, whatever the idle tabs.
        assert renders.started == ["x.com1", "x.com2", "b.com1", "b.com2", "a.com1", "b.com3"]

    asyncio.run(test())


def test_nothing_starts_while_the_line_is_not_ready() -> None:
    async def test() -> None:
        ready = False
        renders = _Renders(RenderLine(2, ready=lambda: ready, idle_hosts=set))
        await renders.queue("a.com1", "b.com1")
        assert renders.started == []
        ready = True
        renders.line.active += 1  # a render under way ends: the line admits as it leaves
        renders.line.leave()
        await _settle()
        assert renders.started == ["a.com1", "b.com1"]

    asyncio.run(test())


def test_a_render_cancelled_while_it_waits_or_just_as_it_got_in_holds_no_slot() -> None:
    async def test() -> None:
        renders = _Renders(RenderLine(1, ready=lambda: True, idle_hosts=set))
        await renders.queue("a.com1", "b.com1", "c.com1", "d.com1")
        renders.tasks["b.com1"].cancel()
        await _settle()
        assert renders.line.waiting_hosts == {"c.com", "d.com"}
        # c.com1 is let in, then cancelled before it ran: its slot goes on to d.com1.
        renders.line.leave()
        renders.tasks["c.com1"].cancel()
        await _settle()
        assert renders.started == ["a.com1", "d.com1"]
        assert renders.line.active == 1
        assert renders.line.waiting_hosts == set()

    asyncio.run(test())
