"""A TCP proxy on loopback that adds a round trip time to everything through it: each chunk is
held for half of it in each direction, and each new connection for a whole one (its handshake).

Chromium's own network emulation (`Network.emulateNetworkConditions`) makes no answer arrive
sooner than its latency after the request, but adds nothing to an answer that is slower than
that; this proxy adds the delay to every exchange, as a longer wire would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader to writer, each chunk `delay` seconds after it was read, in order."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
        queue.put_nowait((loop.time() + delay, b""))

    async def write() -> None:
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        writer.close()


@contextmanager
def delayed(upstream_port: int, rtt_s: float) -> Iterator[str]:
    """A proxy to 127.0.0.1:`upstream_port` adding `rtt_s` per round trip; yields its URL."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []

    async def serve(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        await asyncio.sleep(rtt_s)  # the handshake's round trip
        server_in, server_out = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(
            _pipe(client_in, server_out, rtt_s / 2), _pipe(server_in, client_out, rtt_s / 2)
        )

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:
            with contextlib.suppress(asyncio.CancelledError):  # how it is stopped
                await server.serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(10)
