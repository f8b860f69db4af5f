"""Freed memory goes back to the system: malloc_trim after large frees, two malloc arenas for all threads."""
import os
import subprocess
import sys
import time

import pytest

from helpers import ServerProcess

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux only")

CHECK = """
import sys
from compas_cloud.server import memory
print(memory.limit_arenas())
"""


def _glibc():
    return os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None


@linux
def test_the_arena_limit_is_set_on_glibc_unless_the_environment_sets_one():
    if not _glibc():
        pytest.skip("not glibc")
    env = dict(os.environ)
    env.pop("MALLOC_ARENA_MAX", None)
    out = subprocess.check_output([sys.executable, "-c", CHECK], env=env, universal_newlines=True)
    assert out.strip() == "True"
    env["MALLOC_ARENA_MAX"] = "4"
    out = subprocess.check_output([sys.executable, "-c", CHECK], env=env, universal_newlines=True)
    assert out.strip() == "False"  # the user's choice is left to glibc


def rss_mib(pid):
    with open("/proc/{0}/status".format(pid)) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS")


@linux
def test_memory_of_freed_results_made_in_worker_threads_comes_back():
    """numpy results made by several worker threads at once, stored, then freed (the benchmark's workload 8).

    glibc serves those buffers from per-thread arenas once its mmap threshold has risen; without the
    arena limit one arena's heap could stay resident after everything in it was freed.
    """
    from compas_cloud import Proxy

    server = ServerProcess()
    try:
        proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
        points = [[float(i), float(i) * 0.5, 1.0] for i in range(10000)]
        matrix = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 3.0], [0.0, 0.0, 0.0, 1.0]]
        stored = proxy.cache(points)
        for _ in range(3):  # warm up: imports, the pool's threads
            proxy.free([proxy.call("compas.geometry.transform_points_numpy", [stored, matrix], cache=True)])
        time.sleep(0.5)
        baseline = rss_mib(server.pid)
        refs = []
        for _ in range(25):
            futures = [proxy.submit("compas.geometry.transform_points_numpy", [stored, matrix], cache=True) for _ in range(8)]
            refs.extend(future.result(120) for future in futures)  # 8 at a time: several threads allocate
        full = rss_mib(server.pid)
        proxy.free(refs)
        time.sleep(1.0)
        freed = rss_mib(server.pid)
        proxy.close()
        assert full - baseline > 30, (baseline, full)  # the test did hold that much
        assert freed - baseline < 5, (baseline, full, freed)
    finally:
        server.stop()
