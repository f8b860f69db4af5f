"""Functions the benchmark calls on every server (on the servers' PYTHONPATH)."""
import time


def echo(value):
    """Return ``value``: the trivial call of the small-call workloads."""
    return value


def sleep(seconds):
    """Block a worker for ``seconds``: the long call of the head-of-line workload."""
    time.sleep(seconds)
    return seconds
