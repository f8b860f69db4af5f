# r: compas_cloud==0.5.0
"""Delete values from the server when free is True."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython import run_free


class CloudFree(component):
    def RunScript(self, proxy, refs, free):
        return run_free(self, proxy, refs, free)
