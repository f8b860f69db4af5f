"""Shut the compas_cloud server down."""
from compas_cloud.ghpython import rhino_commands

__commandname__ = "CloudStop"


def RunCommand(is_interactive):
    return rhino_commands.stop()
