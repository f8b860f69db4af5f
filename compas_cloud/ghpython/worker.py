"""Background jobs: a long call runs in a thread and expires the component when it is done."""
from __future__ import absolute_import

import threading

from compas_cloud.ghpython.host import expire_later


class Job(object):
    """One piece of work for one component, run in a daemon thread.

    Parameters
    ----------
    component : Grasshopper component
        Expired (solved again) once the work is done.
    key : str
        Fingerprint of the inputs the work is for.
    work : callable
        Called without arguments in the thread; its return value is kept.

    Attributes
    ----------
    done : bool
    result : object
    error : Exception or None
    """

    def __init__(self, component, key, work):
        self.component = component
        self.key = key
        self.work = work
        self.result = None
        self.error = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="compas_cloud-gh-job")
        self._thread.daemon = True

    @property
    def done(self):
        return self._done.is_set()

    def start(self):
        self._thread.start()
        return self

    def wait(self, timeout):
        """Wait up to ``timeout`` seconds; return True if the job is done."""
        self._done.wait(timeout)
        return self.done

    def _run(self):
        try:
            self.result = self.work()
        except Exception as error:  # reported on the component by the next solve
            self.error = error
        finally:
            self._done.set()
            try:
                expire_later(self.component)
            except Exception:
                pass  # the document was closed meanwhile
