"""Connect to a compas_cloud server, or launch a local one when none answers. One proxy per document, kept across re-solves."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython import run_proxy


class CloudProxy(component):
    def RunScript(self, host, port, python, autolaunch, token, run):
        return run_proxy(self, host, port, python, autolaunch, run, token)
