"""compas_cloud: remote CPython compute for Rhino, Grasshopper, Revit and the web."""
import io
import os
import re

from setuptools import find_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def read(*names):
    with io.open(os.path.join(HERE, *names), encoding="utf-8") as handle:
        return handle.read()


VERSION = re.search(r'^__version__ = "([^"]+)"', read("compas_cloud", "__init__.py"), re.M).group(1)

setup(
    name="compas_cloud",
    version=VERSION,
    description="Call CPython functions (numpy, scipy, COMPAS) from IronPython in Rhino, Grasshopper and Revit, and from the web",
    long_description=read("README.rst"),
    long_description_content_type="text/x-rst",
    license="MIT",
    packages=find_packages(include=["compas_cloud", "compas_cloud.*"]),
    include_package_data=True,
    package_data={"compas_cloud.server": ["dashboard/*.html", "dashboard/*.js", "dashboard/*.css"]},
    python_requires=">=2.7",
    install_requires=[
        # The client: websocket-client (0.59 is the last release for Python 2.7).
        'websocket-client>=0.59,<1; python_version < "3"',
        'websocket-client>=1.6; python_version >= "3"',
        # The server: CPython >= 3.9.
        'websockets>=13.0; python_version >= "3.9"',
        'numpy; python_version >= "3.9"',
        'compas>=2.0; python_version >= "3.9"',
    ],
    extras_require={
        "dotnet": ["pythonnet>=3.0"],
        "dask": ['dask[distributed]; python_version >= "3.9"'],
        "test": ["pytest", "hypothesis", 'dask[distributed]; python_version >= "3.9"'],
    },
    classifiers=[
        "Programming Language :: Python :: 2.7",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: Implementation :: CPython",
        "Programming Language :: Python :: Implementation :: IronPython",
        "Topic :: Scientific/Engineering",
    ],
)
