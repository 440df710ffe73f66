"""DomainLimit: n tasks at once per registered domain, and nothing kept for a domain no task uses."""

from __future__ import annotations

import asyncio

from backlink_spider.domainlimit import DomainLimit


def test_tasks_of_one_registered_domain_take_turns_and_others_do_not_wait() -> None:
    async def run() -> tuple[int, int, int]:
        limit = DomainLimit(2)
        inside: dict[str, int] = {}
        most: dict[str, int] = {}

        async def fetch(url: str, domain: str) -> None:
            async with limit.room(url):
                inside[domain] = inside.get(domain, 0) + 1
                most[domain] = max(most.get(domain, 0), inside[domain])
                await asyncio.sleep(0.01)
                inside[domain] -= 1

        tasks = [fetch(f"http://s{n}.pub.com/x", "pub.com") for n in range(6)]
        tasks += [fetch(f"http://other{n}.org/", f"other{n}.org") for n in range(3)]
        gathering = asyncio.gather(*tasks)
        await asyncio.sleep(0)
        domains_in_use = len(limit)
        await gathering
        return most["pub.com"], domains_in_use, len(limit)

    most, in_use, left = asyncio.run(run())
    assert most == 2
    assert in_use == 4  # pub.com and the three others
    assert left == 0
