"""CoAP compute service (seed 001): PUT space-separated integers to /average, /merge-sort or
/bubble-sort and get the result back. Serves on UDP 5683, the CoAP port."""
import asyncio

import aiocoap
import aiocoap.resource as resource


def merge_sort(a):
    if len(a) <= 1:
        return a
    mid = len(a) // 2
    left, right = merge_sort(a[:mid]), merge_sort(a[mid:])
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def bubble_sort(a):
    a = list(a)
    for n in range(len(a) - 1, 0, -1):
        for i in range(n):
            if a[i] > a[i + 1]:
                a[i], a[i + 1] = a[i + 1], a[i]
    return a


class Compute(resource.Resource):
    """A resource that applies `fn` to the integers PUT to it."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    async def render_put(self, request):
        try:
            numbers = [int(x) for x in request.payload.decode().split()]
        except ValueError:
            numbers = []
        if not numbers:
            return aiocoap.Message(code=aiocoap.BAD_REQUEST, payload=b"expected integers separated by spaces")
        return aiocoap.Message(code=aiocoap.CHANGED, payload=self.fn(numbers).encode())


def site():
    root = resource.Site()
    root.add_resource([".well-known", "core"], resource.WKCResource(root.get_resources_as_linkheader))
    root.add_resource(["average"], Compute(lambda a: f"{sum(a) / len(a):g}"))
    root.add_resource(["merge-sort"], Compute(lambda a: " ".join(map(str, merge_sort(a)))))
    root.add_resource(["bubble-sort"], Compute(lambda a: " ".join(map(str, bubble_sort(a)))))
    return root


async def serve(bind=("::", 5683)):
    await aiocoap.Context.create_server_context(site(), bind=bind)
    await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(serve())
