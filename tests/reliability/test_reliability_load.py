"""Load: 20 client processes x 1000 mixed calls; every reply checked against its request; memory afterwards.

Scale with ``COMPAS_CLOUD_LOAD_CLIENTS`` and ``COMPAS_CLOUD_LOAD_CALLS`` (calls per client).
"""
import json
import os
import subprocess
import sys
import time

from compas_cloud import Proxy
from helpers import ROOT, ServerProcess, server_env

CLIENTS = int(os.environ.get("COMPAS_CLOUD_LOAD_CLIENTS", "20"))
CALLS = int(os.environ.get("COMPAS_CLOUD_LOAD_CALLS", "1000"))
MIB = 1024 * 1024

# Two threads share one Proxy (one connection), so replies must be matched to requests by id.
CLIENT = r"""
import json, math, sys, threading
from compas_cloud import Proxy

host, port, me, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
proxy = Proxy(host=host, port=port, autolaunch=False, verbose=False, timeout=300)
counts = {"small": 0, "large": 0, "cached": 0}
bad = []
lock = threading.Lock()

def work(thread, n):
    for i in range(n):
        tag = me * 1000000 + thread * 100000 + i
        kind = "large" if i % 10 == 0 else ("cached" if i % 10 in (1, 2) else "small")
        try:
            if kind == "small":
                got = proxy.call("math.hypot", [tag, 1.0])
                ok = got == math.hypot(tag, 1.0)
            elif kind == "large":
                data = [float(tag)] * 20000
                got = proxy.call("numpy.multiply", [data, 2.0])
                ok = len(got) == 20000 and got[0] == got[-1] == 2.0 * tag
            else:
                ref = proxy.call("builtins.list", [[tag, me, thread]], cache=True)
                got = proxy.get(ref)
                ok = got == [tag, me, thread] and proxy.free(ref) == 1
        except Exception as error:
            ok, got = False, "{0}: {1}".format(type(error).__name__, error)
        with lock:
            counts[kind] += 1
            if not ok:
                bad.append([kind, tag, str(got)[:200]])

threads = [threading.Thread(target=work, args=(t, calls // 2 + (calls % 2 if t == 0 else 0))) for t in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
proxy.close()
print(json.dumps({"counts": counts, "bad": bad}))
"""


def rss(pid):
    with open("/proc/{0}/status".format(pid)) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def run_clients(process, clients, calls):
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, process.host, str(process.port), str(index), str(calls)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=server_env(), cwd=ROOT, universal_newlines=True,
        )
        for index in range(clients)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=1200)
        assert child.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_twenty_clients_a_thousand_mixed_calls_each():
    with ServerProcess("--quiet") as process:
        run_clients(process, 2, 100)  # warm up: imports, worker threads, allocator pools
        with Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False) as watcher:
            baseline = rss(process.pid)
            results = run_clients(process, CLIENTS, CALLS)
            total = sum(sum(result["counts"].values()) for result in results)
            bad = [item for result in results for item in result["bad"]]
            assert bad == [], bad[:10]
            assert total == CLIENTS * CALLS
            deadline = time.time() + 60
            status = watcher.status()
            while time.time() < deadline and (status["clients"] != 1 or status["references"] != 0):
                time.sleep(0.2)
                status = watcher.status()
            assert status["clients"] == 1 and status["references"] == 0 and status["stored_bytes"] == 0
            after = rss(process.pid)
        grown = after - baseline
        print("load: {0} calls by {1} clients; server RSS {2:.0f} MiB before, {3:.0f} MiB after".format(
            total, CLIENTS, baseline / MIB, after / MIB))
        assert grown < max(64 * MIB, baseline // 2), "the server kept {0:.0f} MiB".format(grown / MIB)
