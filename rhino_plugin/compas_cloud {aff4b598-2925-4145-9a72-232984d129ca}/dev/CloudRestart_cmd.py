"""Restart the local compas_cloud server (stored values are lost)."""
from compas_cloud.ghpython import rhino_commands

__commandname__ = "CloudRestart"


def RunCommand(is_interactive):
    return rhino_commands.restart()
