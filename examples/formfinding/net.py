"""A square cable net to form-find: plain Python, so Rhino's IronPython can build it too."""


def grid(n, size=10.0, lift=3.0):
    """Return ``(vertices, edges, fixed)`` of an ``n`` x ``n`` net with its boundary fixed.

    Two opposite corners are lifted by ``lift``, so the relaxed net is a saddle that sags.
    """
    step = size / (n - 1)
    vertices = []
    for row in range(n):
        for col in range(n):
            vertices.append([col * step, row * step, 0.0])
    for index in (0, n * n - 1):
        vertices[index][2] = lift
    edges = []
    for row in range(n):
        for col in range(n):
            index = row * n + col
            if col < n - 1:
                edges.append([index, index + 1])
            if row < n - 1:
                edges.append([index, index + n])
    fixed = [row * n + col for row in range(n) for col in range(n) if row in (0, n - 1) or col in (0, n - 1)]
    return vertices, edges, fixed
