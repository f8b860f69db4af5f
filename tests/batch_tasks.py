"""Functions the batch tests run on the server's executor (``tests.batch_tasks.NAME``).

They must import in the server, in its local worker processes and in Dask
workers: the tests run them all with the repository root on ``PYTHONPATH``.
Python 2.7 safe, like every module the client suite may import.
"""
from __future__ import print_function

import os
import sys
import time


def square(x, delay=0.0):
    """Return ``x * x`` after ``delay`` seconds."""
    if delay:
        time.sleep(delay)
    return x * x


def fail(message, delay=0.0):
    """Raise ValueError(message) after ``delay`` seconds."""
    if delay:
        time.sleep(delay)
    raise ValueError(message)


def chatty(lines, delay=0.0):
    """Print ``lines`` numbered lines to stdout and one to stderr; return ``lines``."""
    if delay:
        time.sleep(delay)
    for number in range(lines):
        print("line {0} of {1}".format(number, lines))
    print("chatty done", file=sys.stderr)
    return lines


def total(values, extra=0):
    """Return ``sum(values) + extra`` (``values`` is the data all tasks share)."""
    return sum(values) + extra


def where(delay=0.0):
    """Return this process's pid and command line (to tell spawned workers from the server)."""
    if delay:
        time.sleep(delay)
    return {"pid": os.getpid(), "argv": list(getattr(sys, "orig_argv", sys.argv))}


def mixed_batch(name="tests.batch_tasks"):
    """The test batch: 20 tasks of mixed durations, two failing (4 and 13), one printing a lot (7).

    Returns
    -------
    list of tuple
        ``(function, args, kwargs)`` for each task.
    """
    tasks = []
    for index in range(20):
        delay = (0.05, 0.3, 0.1, 0.6)[index % 4]
        if index in (4, 13):
            tasks.append((name + ".fail", ["task {0} fails".format(index)], {"delay": delay}))
        elif index == 7:
            tasks.append((name + ".chatty", [20000], {"delay": delay}))
        else:
            tasks.append((name + ".square", [index], {"delay": delay}))
    return tasks


#: The lines task 7 of :func:`mixed_batch` prints.
CHATTY_LINES = 20000
