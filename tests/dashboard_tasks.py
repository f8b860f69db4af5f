"""Functions the dashboard tests call on the server (importable as ``dashboard_tasks`` from tests/)."""
import os
import time


def held_at(done, total, release_file, limit=120.0):
    """Report ``done`` of ``total``, then wait until ``release_file`` exists (at most ``limit`` s); return done."""
    from compas_cloud.server.progress import check_cancelled, report

    report(done, total, "step {0}".format(done))
    deadline = time.time() + limit
    while not os.path.exists(release_file) and time.time() < deadline:
        check_cancelled()
        time.sleep(0.05)
    return done
