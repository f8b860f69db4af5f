"""Issue 13: the local pool's worker processes end when their server is killed."""
import json
import os
import signal
import time

import pytest
import websocket

from helpers import ServerProcess

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/{0}/stat".format(entry)) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open("/proc/{0}/stat".format(pid)) as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_pool_workers_exit_when_the_server_is_killed():
    with ServerProcess("--executor-workers", "2") as process:
        ws = websocket.create_connection(process.url, timeout=60, suppress_origin=True)
        ws.send(json.dumps({"v": 1, "id": 1, "op": "call", "function": "time.sleep", "args": [120], "kwargs": {},
                            "executor": True}))
        deadline = time.time() + 60
        workers = []
        while time.time() < deadline:  # the pool's processes (and multiprocessing's resource tracker)
            workers = children(process.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.2)
        time.sleep(2.0)  # the task is running in one of them
        assert workers, "the server started no pool processes"
        os.kill(process.pid, signal.SIGKILL)
        process.process.wait()
        ws.close()
        deadline = time.time() + 20
        while time.time() < deadline and any(alive(pid) for pid in workers):
            time.sleep(0.2)
        left = [pid for pid in workers if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, "pool processes outlived their server"
