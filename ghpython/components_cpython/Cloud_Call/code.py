# r: compas_cloud==0.5.0
"""Run a Python function on the server. Unchanged inputs are not resent and identical re-solves reuse the last result."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython import run_call


class CloudCall(component):
    def RunScript(self, proxy, function, args, kwargs, keep, background, rerun):
        return run_call(self, proxy, function, args, kwargs, keep, background, rerun)
