"""Show the compas_cloud server's address, version, clients and memory."""
from compas_cloud.ghpython import rhino_commands

__commandname__ = "CloudStatus"


def RunCommand(is_interactive):
    return rhino_commands.status()
