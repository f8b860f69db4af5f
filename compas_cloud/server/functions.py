"""Finding the callable behind a dotted name: kept for older imports, see :mod:`compas_cloud.server.gate`."""
from compas_cloud.server.gate import Gate, resolve

#: The gate under its former name.
FunctionRegistry = Gate

__all__ = ["FunctionRegistry", "Gate", "resolve"]
