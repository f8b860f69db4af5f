"""The version handshake: a client refuses a server that speaks another protocol, clearly."""
import asyncio
import json
import threading

import pytest
from websockets.asyncio.server import serve

from compas_cloud import Proxy
from compas_cloud.errors import ProtocolError, ProtocolMismatch


class FakeServer:
    """A websocket server on a free port that answers every message with ``answer(message)``."""

    def __init__(self, answer):
        self.answer = answer
        self.port = None
        self._ready = threading.Event()
        self._loop = None
        self._stop = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    async def _main(self):
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        async def handler(websocket):
            async for message in websocket:
                reply = self.answer(json.loads(message))
                if reply is not None:
                    await websocket.send(json.dumps(reply))

        async with serve(handler, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def stop(self):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def test_a_newer_protocol_is_refused_with_a_clear_message():
    fake = FakeServer(lambda m: {"v": 1, "id": m["id"], "ok": True, "result": {"protocol": 2}})
    try:
        with pytest.raises(ProtocolMismatch) as info:
            Proxy(port=fake.port, autolaunch=False, verbose=False)
        assert "protocol 2" in str(info.value) and "same compas_cloud version" in str(info.value)
    finally:
        fake.stop()


def test_a_server_that_never_answers_the_handshake():
    fake = FakeServer(lambda m: None)  # like compas_cloud 0.4.1, which ignores unknown messages
    try:
        with pytest.raises(ProtocolMismatch) as info:
            Proxy(port=fake.port, autolaunch=False, verbose=False, connect_timeout=1)
        assert "did not answer the compas_cloud handshake" in str(info.value)
    finally:
        fake.stop()


def test_a_server_that_answers_nonsense():
    fake = FakeServer(lambda m: [1, 2, 3])
    try:
        with pytest.raises(ProtocolError) as info:
            Proxy(port=fake.port, autolaunch=False, verbose=False)
        assert "cannot read" in str(info.value)
    finally:
        fake.stop()


def test_the_proxy_works_inside_a_running_event_loop(server):
    async def notebook_cell():
        with Proxy(port=server.port, autolaunch=False, verbose=False) as proxy:
            return proxy.function("numpy.linalg.norm")([3, 4])

    assert asyncio.run(notebook_cell()) == 5.0
