# r: compas_cloud==0.5.0
"""Fetch the value behind a reference from the server."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython import run_get


class CloudGet(component):
    def RunScript(self, proxy, ref):
        return run_get(self, proxy, ref)
