"""How much of a .NET small call is the runtime: websocket round trips over a bare, synchronous
``System.Net.Sockets.Socket`` from pythonnet, next to the .NET transport (``ClientWebSocket``) and
websocket-client, against one compas_cloud server.

    PYTHONNET_RUNTIME=mono bench/.venvs/bench/bin/python bench/dotnet_socket_probe.py [--calls N]

(after ``bash bench/run.sh`` has made ``bench/.venvs/bench``; the server is started as bench.py starts it).

Not a transport: no TLS, no fragments, no pings, no close handshake; frames are masked with a zero
key (XOR with zeros leaves the payload as it is). It sends what the .NET transport sends for one
small call and reads the reply, so that the CPU per round trip of the runtime alone can be compared.
"""
import argparse
import base64
import os
import time

import bench
import clients

MESSAGE = '{{"v":1,"id":{0},"op":"call","function":"bench_functions.echo","args":[1],"kwargs":{{}},"cache":false}}'


class BareSocket:
    """Websocket frames over a blocking .NET socket."""

    def __init__(self, port):
        import clr  # noqa: F401

        import System
        from System.Net.Sockets import AddressFamily, ProtocolType, Socket, SocketFlags, SocketType
        from System.Text import Encoding

        self.System = System
        self.utf8 = Encoding.UTF8
        self.sock = Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        self.sock.NoDelay = True
        self.sock.Connect("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = (
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: {1}\r\nSec-WebSocket-Version: 13\r\n\r\n".format(port, key)
        )
        self.sock.Send(Encoding.ASCII.GetBytes(request))
        Byte = System.Byte
        self.buffer = System.Array.CreateInstance(Byte, 65536)
        count = self.sock.Receive(self.buffer)
        answer = Encoding.ASCII.GetString(self.buffer, 0, count)
        if not answer.startswith("HTTP/1.1 101"):
            raise RuntimeError("no websocket handshake: " + answer.splitlines()[0])
        self.sock.ReceiveTimeout = 10000
        array = System.Array[Byte]
        int32 = System.Int32
        self.send = self.sock.Send.Overloads[array, int32, int32, SocketFlags]
        self.receive = self.sock.Receive.Overloads[array, int32, int32, SocketFlags]
        self.flags = SocketFlags(0)
        self.get_bytes = self.utf8.GetBytes.Overloads[System.String]

    def roundtrip(self, text):
        payload = self.get_bytes(self.System.String(text))
        size = payload.Length
        if size >= 126:
            raise ValueError("the probe sends short messages only")
        frame = self.System.Array.CreateInstance(self.System.Byte, 6 + size)
        frame[0] = 0x81  # FIN, text
        frame[1] = 0x80 | size  # masked (the four key bytes stay zero)
        self.System.Array.Copy(payload, 0, frame, 6, size)
        self.send(frame, 0, frame.Length, self.flags)
        got = self.receive(self.buffer, 0, 65536, self.flags)
        length, start = self.buffer[1] & 0x7F, 2
        if length == 126:
            length, start = (self.buffer[2] << 8) | self.buffer[3], 4
        while got < start + length:
            got += self.receive(self.buffer, got, 65536 - got, self.flags)
        return self.utf8.GetString(self.buffer, start, length)


def measure(label, roundtrip, calls):
    for index in range(200):
        roundtrip(index)
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(calls):
        roundtrip(index)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print("{0:<44} {1:7.0f} us CPU, {2:7.0f} us wall per round trip".format(label, cpu / calls * 1e6, wall / calls * 1e6))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    os.makedirs(bench.LOGS, exist_ok=True)
    port = bench.free_port()
    server = bench.start_server(bench.System("ours", "compas_cloud", "ours", "bench"), port)
    try:
        bare = BareSocket(port)
        measure("bare .NET socket (synchronous, pythonnet)", lambda i: bare.roundtrip(MESSAGE.format(i + 1)), args.calls)
        for transport in ("dotnet", "websocket-client"):
            client = clients.Ours(port, transport)
            measure("compas_cloud call, transport " + transport, lambda i: client.small(), args.calls)
            client.close()
    finally:
        bench.stop(server)


if __name__ == "__main__":
    main()
