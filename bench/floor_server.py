"""The floor: a bare ``websockets`` echo server (no protocol, no decoding)."""
import argparse
import asyncio

import websockets


async def _echo(websocket, *_):
    async for message in websocket:
        await websocket.send(message)


async def _main(port):
    async with websockets.serve(_echo, "127.0.0.1", port, max_size=None, compression=None, ping_interval=None):
        print("listening on", port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(_main(parser.parse_args().port))
