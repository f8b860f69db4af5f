"""A websocket service that is not compas_cloud, for the tests of first-contact errors (CPython 3).

    python tests/foreign_service.py silent|echo

Prints ``port <n>`` once it listens on 127.0.0.1; names itself ``ForeignService/1.0`` in the
``Server`` header. ``silent`` never answers a message; ``echo`` sends every message back.
"""
import asyncio
import sys

from websockets.asyncio.server import serve

SERVER_HEADER = "ForeignService/1.0"


async def main(mode):
    async def handler(websocket):
        async for message in websocket:
            if mode == "echo":
                await websocket.send(message)

    async with serve(handler, "127.0.0.1", 0, server_header=SERVER_HEADER) as server:
        print("port {0}".format(server.sockets[0].getsockname()[1]), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
