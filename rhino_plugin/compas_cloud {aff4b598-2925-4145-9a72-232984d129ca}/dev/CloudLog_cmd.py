"""Show the compas_cloud server log."""
from compas_cloud.ghpython import rhino_commands

__commandname__ = "CloudLog"


def RunCommand(is_interactive):
    return rhino_commands.show_log(open_viewer=is_interactive)
