"""Form finding of a cable net by dynamic relaxation (numpy): the part that runs on the server.

The server imports this as ``examples.formfinding.cablenet`` when it runs
with the repository root on ``PYTHONPATH`` (or from the repository root); the
client never imports it, so it may use numpy and Python 3 freely.

Each cable pulls its two ends together with the force ``q * (xj - xi)``
(force densities); loads pull the free nodes down; fixed nodes stay where
they are. The nodes move, with damping, until the residual forces vanish:
the equilibrium shape is the one the force density method gives.
"""
import numpy as np

from compas_cloud.server.progress import report


def relax(vertices, edges, fixed, load=(0.0, 0.0, -0.1), q=1.0, kmax=500, tol=0.0, every=10, callback=None,
          dt=0.5, damping=0.9):
    """Relax a cable net and return its equilibrium shape.

    Parameters
    ----------
    vertices : list of [x, y, z]
        The start positions of the nodes.
    edges : list of [i, j]
        The cables.
    fixed : list of int
        The supported nodes.
    load : [px, py, pz], optional
        The load on each free node.
    q : float or list of float, optional
        The force density of each cable (one value for all, or one per cable).
    kmax : int, optional
        The most iterations.
    tol : float, optional
        Stop once the largest residual force is below this (0: run all ``kmax`` iterations).
    every : int, optional
        Call ``callback`` every this many iterations.
    callback : callable, optional
        ``callback(k, vertices, residual)``: a client-side function (it runs on
        the client while the solver waits for it), called every ``every`` iterations.
    dt, damping : float, optional
        The time step and the velocity damping of the relaxation.

    Returns
    -------
    dict
        ``{"vertices": [[x, y, z], ...], "iterations": k, "residual": r, "callbacks": count}``.
    """
    x = np.array(vertices, dtype=float)
    ij = np.array(edges, dtype=int).reshape(-1, 2)
    i, j = ij[:, 0], ij[:, 1]
    qs = np.broadcast_to(np.asarray(q, dtype=float), (len(ij),))[:, None]
    free = np.ones(len(x), dtype=bool)
    free[list(fixed)] = False
    p = np.zeros_like(x)
    p[free] = load
    v = np.zeros_like(x)
    residual = float("inf")
    calls = 0
    k = 0
    for k in range(1, int(kmax) + 1):
        pull = qs * (x[j] - x[i])
        r = p.copy()
        np.add.at(r, i, pull)
        np.add.at(r, j, -pull)
        r[~free] = 0.0
        v = damping * v + dt * r
        x += dt * v
        residual = float(np.abs(r).max()) if len(r) else 0.0
        if k % every == 0:
            report(k, kmax, "residual {0:.2e}".format(residual))
            if callback is not None:
                callback(k, x.tolist(), residual)
                calls += 1
        if residual < tol:
            break
    return {"vertices": x.tolist(), "iterations": k, "residual": residual, "callbacks": calls}
