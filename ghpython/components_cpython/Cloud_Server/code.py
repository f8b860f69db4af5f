# r: compas_cloud==0.5.0
"""Check the server, show its version and status, restart or shut it down."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython import run_server


class CloudServer(component):
    def RunScript(self, proxy, restart, shutdown):
        return run_server(self, proxy, restart, shutdown)
