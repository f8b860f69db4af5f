# r: compas_cloud==0.5.0
"""Send data to the server once and output a reference to it. Unchanged data is not sent again."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython import run_cache


class CloudCache(component):
    def RunScript(self, proxy, data):
        return run_cache(self, proxy, data)
