"""Replaying the user's tutorial (``shared/spec/tutorial.md``) against a real server.

The tutorial's code blocks are read from the file at test time, not copied
into this repository. Only the port is changed (tests use a free port).
"""
import io
import os
import re
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TUTORIAL_PORT = "9009"
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
_CACHED = re.compile(r"\{'cached': [^}]+\}")


def tutorial_path():
    """The tutorial: $COMPAS_CLOUD_TUTORIAL, else shared/spec/tutorial.md beside the checkout."""
    path = os.environ.get("COMPAS_CLOUD_TUTORIAL") or os.path.join(ROOT, "..", "shared", "spec", "tutorial.md")
    return os.path.abspath(path)


def blocks(text):
    """Return the fenced blocks of a markdown text as (language, body) pairs, in order."""
    return [(language, body) for language, body in _FENCE.findall(text)]


def python_session(text):
    """Return the tutorial's Python session as (statements, expected output) pairs, one per block."""
    session = []
    found = blocks(text)
    for index, (language, body) in enumerate(found):
        if language != "python":
            continue
        statements = []
        for line in body.splitlines():
            if line.startswith(">>> "):
                statements.append(line[4:])
            elif line.strip() and statements:  # a continuation line of the previous statement
                statements[-1] += "\n" + line
        expected = ""
        if index + 1 < len(found) and found[index + 1][0] == "":
            expected = found[index + 1][1]
        session.append((statements, expected))
    return session


def javascript_scripts(text):
    """Return the tutorial's JavaScript blocks, in order (client.js, client_async.js)."""
    return [body for language, body in blocks(text) if language == "javascript"]


def normalise(output, port):
    """Make output comparable: the free port reads as the tutorial's, reference ids as ID."""
    output = output.replace(":{0}".format(port), ":" + TUTORIAL_PORT)
    output = _CACHED.sub("{'cached': ID}", output)
    return "\n".join(line.rstrip() for line in output.strip().splitlines())


def run_session(session, port, namespace=None):
    """Run the statements like the interactive interpreter does; return the output of each block."""
    namespace = namespace if namespace is not None else {"__name__": "__main__"}
    outputs = []
    for statements, _ in session:
        buffer = io.StringIO()
        stdout, displayhook = sys.stdout, sys.displayhook
        sys.stdout = buffer
        sys.displayhook = sys.__displayhook__
        try:
            for statement in statements:
                source = statement.replace(TUTORIAL_PORT, str(port))
                source = re.sub(r"\n\s+", "\n    ", source)  # a block's body, re-indented
                try:
                    exec(compile(source + "\n", "<tutorial>", "single"), namespace)
                except Exception:
                    buffer.write(traceback.format_exc())
        finally:
            sys.stdout, sys.displayhook = stdout, displayhook
        outputs.append(buffer.getvalue())
    return outputs
