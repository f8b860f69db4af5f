# r: compas_cloud==0.5.0
"""Run a server function with one input per parameter: the inputs are rebuilt from the server's description of the function."""
from ghpythonlib.componentbase import executingcomponent as component

from compas_cloud.ghpython.function_component import run_function


class CloudFunction(component):
    def RunScript(self, proxy, function, cache_result, background, *values):
        return run_function(self, proxy, function, cache_result, background, values)
