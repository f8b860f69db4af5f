"""Connect to the compas_cloud server, starting a local one when none answers."""
from compas_cloud.ghpython import rhino_commands

__commandname__ = "CloudStart"


def RunCommand(is_interactive):
    return rhino_commands.start()
