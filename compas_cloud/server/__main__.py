"""Run a compas_cloud server: ``python -m compas_cloud.server --help``."""
import sys

from compas_cloud.server.cli import main

sys.exit(main())
