"""Smoke test: starts the service in-process and PUTs the seed's workloads (1000 and 2000
integers) to every resource over real CoAP on loopback (IPv4: Docker disables IPv6 in
containers by default). Prints "selftest: ok" when all agree."""
import asyncio
import os
import random
import sys

import aiocoap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import site  # noqa: E402


async def main():
    await aiocoap.Context.create_server_context(site(), bind=("::", 5683))
    client = await aiocoap.Context.create_client_context()
    rng = random.Random(1)
    ok = True
    for size in (1000, 2000):
        numbers = [rng.randint(-10000, 10000) for _ in range(size)]
        want = {
            "average": f"{sum(numbers) / len(numbers):g}",
            "merge-sort": " ".join(map(str, sorted(numbers))),
            "bubble-sort": " ".join(map(str, sorted(numbers))),
        }
        for path, expected in want.items():
            msg = aiocoap.Message(code=aiocoap.PUT, uri=f"coap://127.0.0.1/{path}", payload=" ".join(map(str, numbers)).encode())
            response = await client.request(msg).response
            good = response.code == aiocoap.CHANGED and response.payload.decode() == expected
            ok &= good
            print(f"{path} ({size} integers): {response.code} {'ok' if good else 'WRONG'}")
    print("selftest: ok" if ok else "selftest: FAILED")
    return 0 if ok else 1


sys.exit(asyncio.run(main()))
