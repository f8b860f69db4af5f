"""One benchmark client: runs one workload against one system and writes its figures as JSON.

Run by ``bench.py`` in the virtual environment of the system under test::

    python clients.py --system ours --port 9100 --workload small --repeats 5 --out result.json

Systems: ``ours`` (this compas_cloud, ``--transport`` picks the client transport),
``old`` (compas_cloud 0.4.1), ``rpc`` (compas.rpc from COMPAS 2.x) and ``floor``
(websocket-client against a bare ``websockets`` echo server).
Every wait is bounded: ``bench.py`` also kills a client that outlives its deadline.
"""
import argparse
import contextlib
import io
import json
import os
import random
import statistics
import sys
import time

TRIVIAL = "bench_functions.echo"
SLEEP = "bench_functions.sleep"
TRANSFORM = "compas.geometry.transform_points_numpy"


class NotApplicable(Exception):
    """The system cannot run this workload (the table shows n/a with the reason)."""


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, int(round(q / 100.0 * (len(ordered) - 1)))))
    return ordered[index]


# -- systems --------------------------------------------------------------------------------


class Ours:
    """compas_cloud (this project) with one client transport."""

    def __init__(self, port, transport=None):
        from compas_cloud import Proxy

        self.port = port
        self.transport = transport
        self.proxy = Proxy(port=port, autolaunch=False, verbose=False, transport=transport)
        self._echo = self.proxy.function(TRIVIAL)
        self._numpy = None

    def call_numpy(self, name, *args):
        """A call whose numeric results come back as numpy arrays, where the client offers that."""
        if self._numpy is None:
            from compas_cloud import Proxy

            try:
                self._numpy = Proxy(port=self.port, autolaunch=False, verbose=False, transport=self.transport, arrays="numpy")
            except TypeError:  # a compas_cloud without the option: lists come back
                self._numpy = self.proxy
        return self._numpy.call(name, args)

    def small(self):
        return self._echo(1)

    def pipelined(self, count, window):
        connection = self.proxy.connection
        pending = []
        done = 0
        sent = 0
        while done < count:
            while sent < count and len(pending) < window:
                pending.append(connection.send("call", function=TRIVIAL, args=[1], kwargs={}, cache=False))
                sent += 1
            connection.wait(pending.pop(0), 60.0)
            done += 1

    def call(self, name, *args):
        return self.proxy.call(name, args)

    def call_cached(self, name, *args):
        return self.proxy.call(name, args, cache=True)

    def cache(self, value):
        return self.proxy.cache(value)

    def get(self, ref):
        return self.proxy.get(ref)

    def free(self, refs):
        self.proxy.free(refs)

    def close(self):
        if self._numpy is not None and self._numpy is not self.proxy:
            self._numpy.close()
        self.proxy.close()


class Old:
    """compas_cloud 0.4.1 (its server started by bench.py with its own interpreter)."""

    def __init__(self, port):
        from compas_cloud import Proxy

        with contextlib.redirect_stdout(io.StringIO()):
            self.proxy = Proxy(port=port, once=False, start_server=False)
        self._echo = self.proxy.function(TRIVIAL)
        self._functions = {}

    def small(self):
        return self._echo(1)

    def pipelined(self, count, window):
        raise NotApplicable("one request at a time")

    def _function(self, name, cache):
        key = (name, cache)
        if key not in self._functions:
            self._functions[key] = self.proxy.function(name, cache=cache)
        return self._functions[key]

    def call(self, name, *args):
        return self._function(name, False)(*args)

    def call_cached(self, name, *args):
        return self._function(name, True)(*args)

    def cache(self, value):
        return self.proxy.cache(value)

    def get(self, ref):
        return self.proxy.get(ref)

    def free(self, refs):
        raise NotApplicable("has no free: cached values stay until the server stops")

    def close(self):
        try:
            self.proxy.client.websocket.close()  # pragma: no cover - best effort
        except Exception:
            pass


class Rpc:
    """compas.rpc (XML-RPC) from COMPAS 2.x, its server started by bench.py with autoreload off."""

    def __init__(self, port):
        from compas.rpc import Proxy

        with contextlib.redirect_stdout(io.StringIO()):
            self.bench = Proxy("bench_functions", port=port, autoreload=False, capture_output=False)
            self.geometry = Proxy("compas.geometry", port=port, autoreload=False, capture_output=False)

    def small(self):
        return self.bench.echo(1)

    def pipelined(self, count, window):
        raise NotApplicable("one request at a time")

    def call(self, name, *args):
        module, _, function = name.rpartition(".")
        proxy = self.geometry if module == "compas.geometry" else self.bench
        return getattr(proxy, function)(*args)

    def call_cached(self, name, *args):
        raise NotApplicable("keeps nothing on the server")

    def cache(self, value):
        raise NotApplicable("keeps nothing on the server")

    def get(self, ref):
        raise NotApplicable("keeps nothing on the server")

    def free(self, refs):
        raise NotApplicable("keeps nothing on the server")

    def close(self):
        pass


class Floor:
    """websocket-client sending the same JSON envelopes to a bare echo server."""

    def __init__(self, port):
        import websocket

        self.ws = websocket.create_connection("ws://127.0.0.1:{0}".format(port), timeout=120)
        self.ids = 0

    def _roundtrip(self, message):
        self.ids += 1
        message["id"] = self.ids
        self.ws.send(json.dumps(message, separators=(",", ":")))
        reply = json.loads(self.ws.recv())
        return reply

    def small(self):
        return self._roundtrip({"v": 1, "op": "call", "function": TRIVIAL, "args": [1], "kwargs": {}, "cache": False})["args"][0]

    def pipelined(self, count, window):
        raise NotApplicable("the floor is the sequential transport limit")

    def call(self, name, *args):
        if name == SLEEP:
            raise NotApplicable("an echo server runs nothing")
        message = {"v": 1, "op": "call", "function": name, "args": list(args), "kwargs": {}, "cache": False}
        return self._roundtrip(message)["args"][0]

    def call_cached(self, name, *args):
        raise NotApplicable("an echo server keeps nothing")

    cache = get = free = call_cached

    def close(self):
        self.ws.close()


def connect(options):
    if options.system == "ours":
        return Ours(options.port, options.transport)
    if options.system == "old":
        return Old(options.port)
    if options.system == "rpc":
        return Rpc(options.port)
    if options.system == "floor":
        return Floor(options.port)
    raise SystemExit("unknown system {0!r}".format(options.system))


# -- data -----------------------------------------------------------------------------------


def make_points(count, seed=1):
    rnd = random.Random(seed)
    return [[rnd.random() * 100.0, rnd.random() * 100.0, rnd.random() * 100.0] for _ in range(count)]


MATRIX = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 3.0], [0.0, 0.0, 0.0, 1.0]]


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# -- workloads ------------------------------------------------------------------------------


def _server_cpu_s(pid):
    """CPU seconds (user + system) the process ``pid`` has used so far, from /proc; None elsewhere."""
    if not pid:
        return None
    try:
        with open("/proc/{0}/stat".format(pid)) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def w_small(system, options):
    for _ in range(200):
        system.small()
    rates, p50s, p99s, server_cpu, client_cpu = [], [], [], [], []
    for _ in range(options.repeats):
        latencies = []
        server0 = _server_cpu_s(options.server_pid)
        client0 = time.process_time()  # every thread of this client process
        start = time.perf_counter()
        for _ in range(options.calls):
            t0 = time.perf_counter()
            system.small()
            latencies.append(time.perf_counter() - t0)
        rates.append(options.calls / (time.perf_counter() - start))
        client_cpu.append((time.process_time() - client0) / options.calls * 1e6)
        server1 = _server_cpu_s(options.server_pid)
        if server0 is not None and server1 is not None:
            server_cpu.append((server1 - server0) / options.calls * 1e6)
        p50s.append(percentile(latencies, 50) * 1e6)
        p99s.append(percentile(latencies, 99) * 1e6)
    return {
        "calls_per_s": summary(rates), "p50_us": summary(p50s), "p99_us": summary(p99s),
        "server_cpu_us": summary(server_cpu), "client_cpu_us": summary(client_cpu),
    }


def w_pipelined(system, options):
    system.pipelined(200, 64)
    rates = []
    for _ in range(options.repeats):
        start = time.perf_counter()
        system.pipelined(options.calls, 64)
        rates.append(options.calls / (time.perf_counter() - start))
    return {"calls_per_s": summary(rates)}


def _as_array(value):
    import numpy

    return numpy.asarray(value, dtype=float)


def w_transform(system, options):
    import numpy

    results = {}
    system.call(TRANSFORM, make_points(1000), MATRIX)  # warm-up: imports on the server
    for count in options.sizes:
        repeats = options.repeats if count < 1000000 else options.big_repeats
        points = make_points(count)
        expected = numpy.asarray(points)[:, :3] + numpy.array([1.0, 2.0, 3.0])
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = system.call(TRANSFORM, points, MATRIX)
            times.append(time.perf_counter() - t0)
        if options.system == "floor":  # an echo: the points come back unchanged
            expected = numpy.asarray(points)
        if not isinstance(out, list) or len(out) != count or not numpy.allclose(numpy.asarray(out), expected):
            raise RuntimeError("wrong result for {0} points (lists): {1}".format(count, type(out).__name__))
        results["lists_{0}".format(count)] = summary(times)
        del out
        if options.system in ("floor",):
            continue
        array = numpy.asarray(points)
        matrix = numpy.asarray(MATRIX)
        times = []
        try:
            for _ in range(repeats):
                t0 = time.perf_counter()
                out = _as_array(getattr(system, "call_numpy", system.call)(TRANSFORM, array, matrix))
                times.append(time.perf_counter() - t0)
        except NotApplicable:
            continue
        except Exception as error:  # a client that cannot send numpy arrays
            results["numpy_{0}".format(count)] = {"error": "{0}: {1}".format(type(error).__name__, str(error)[:200])}
            continue
        if not numpy.allclose(out, expected):
            raise RuntimeError("wrong result for {0} points (numpy)".format(count))
        results["numpy_{0}".format(count)] = summary(times)
    return results


def w_cached_loop(system, options):
    points = make_points(10000)
    times = []
    final = None
    for _ in range(options.repeats + 1):  # the first is the warm-up
        t0 = time.perf_counter()
        matrix = system.cache(MATRIX)
        current = points
        for _ in range(100):
            current = system.call_cached(TRANSFORM, current, matrix)
        final = system.get(current)
        times.append(time.perf_counter() - t0)
    if len(final) != 10000 or abs(final[0][2] - (points[0][2] + 300.0)) > 1e-6:
        raise RuntimeError("wrong result of the cached loop")
    return {"seconds": summary(times[1:])}


def _wait_until(moment):
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def w_burst(system, options):
    """One of the 4 concurrent clients: 500 calls from a common start time."""
    for _ in range(50):
        system.small()
    _wait_until(options.start_at)
    latencies = []
    start = time.time()
    for _ in range(options.calls):
        t0 = time.perf_counter()
        system.small()
        latencies.append(time.perf_counter() - t0)
    return {"start": start, "end": time.time(), "latencies": latencies}


def w_hol_small(system, options):
    """A small caller of the head-of-line workload: idle phase, then during the long call."""
    for _ in range(50):
        system.small()
    phases = {}
    for name, begin, end in (("idle", options.start_at, options.start_at + 1.5),
                             ("during", options.start_at + 2.2, options.start_at + 3.8)):
        _wait_until(begin)
        latencies = []
        while time.time() < end and len(latencies) < 20000:
            t0 = time.perf_counter()
            system.small()
            latencies.append(time.perf_counter() - t0)
        phases[name] = latencies
    return phases


def w_hol_long(system, options):
    """The long caller of the head-of-line workload: one 2 s call."""
    system.small()
    _wait_until(options.start_at + 2.0)
    t0 = time.perf_counter()
    system.call(SLEEP, 2.0)
    return {"seconds": time.perf_counter() - t0}


def _rss_mb(pid):
    with open("/proc/{0}/status".format(pid)) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


def w_memory(system, options):
    points = make_points(10000)
    system.call(TRANSFORM, points, MATRIX)
    time.sleep(0.5)
    baseline = _rss_mb(options.server_pid)
    stored = system.cache(points)
    refs = []
    for _ in range(1000):
        refs.append(system.call_cached(TRANSFORM, stored, MATRIX))
    time.sleep(0.5)
    full = _rss_mb(options.server_pid)
    freed = None
    note = None
    try:
        system.free(refs + [stored])
        time.sleep(1.0)
        freed = _rss_mb(options.server_pid)
    except NotApplicable as error:
        note = str(error)
    return {"baseline_mb": baseline, "stored_mb": full, "freed_mb": freed, "note": note}


def w_cold(options):
    """No server running: import the client, auto-launch a server, first result; then stop it."""
    t0 = time.perf_counter()
    pid = None
    sink = io.StringIO()
    if options.system == "ours":
        from compas_cloud import Proxy

        proxy = Proxy(port=options.port, verbose=False, transport=options.transport)
        value = proxy.function(TRIVIAL)(1)
        elapsed = time.perf_counter() - t0
        pid = proxy.launched.pid if proxy.launched is not None else None
        proxy.shutdown()
    elif options.system == "old":
        with contextlib.redirect_stdout(sink):
            from compas_cloud import Proxy

            proxy = Proxy(port=options.port, once=True)
            value = proxy.function(TRIVIAL)(1)
            elapsed = time.perf_counter() - t0
            pid = proxy._process.pid if getattr(proxy, "_process", None) is not None else None
            proxy.shutdown()
    elif options.system == "rpc":
        with contextlib.redirect_stdout(sink):
            from compas.rpc import Proxy

            proxy = Proxy("bench_functions", python=sys.executable, port=options.port, autoreload=False, capture_output=False)
            value = proxy.echo(1)
            elapsed = time.perf_counter() - t0
            pid = proxy._process.pid if proxy._process is not None else None
            proxy.stop_server()
    else:
        raise NotApplicable("no auto-launch")
    if value != 1:
        raise RuntimeError("wrong first result {0!r}".format(value))
    return {"seconds": elapsed, "launched_pid": pid}


WORKLOADS = {
    "small": w_small,
    "pipelined": w_pipelined,
    "transform": w_transform,
    "cached_loop": w_cached_loop,
    "burst": w_burst,
    "hol_small": w_hol_small,
    "hol_long": w_hol_long,
    "memory": w_memory,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--system", required=True)
    parser.add_argument("--transport", default=None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-repeats", type=int, default=2)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--sizes", type=lambda text: [int(x) for x in text.split(",")], default=[10000, 100000, 1000000])
    parser.add_argument("--start-at", type=float, default=0.0)
    parser.add_argument("--server-pid", type=int, default=0)
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    try:
        if options.workload == "cold":
            result = w_cold(options)
        else:
            system = connect(options)
            try:
                result = WORKLOADS[options.workload](system, options)
            finally:
                system.close()
    except NotApplicable as error:
        result = {"not_applicable": str(error)}
    with open(options.out, "w") as handle:
        json.dump(result, handle)
    sys.stdout.flush()
    os._exit(0)  # the old clients leave non-daemon threads behind


if __name__ == "__main__":
    main()
