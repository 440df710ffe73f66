"""Only for scrapyd-deploy, which builds the project's egg with ``python setup.py bdist_egg``
(and writes a setup.py of its own, packaging the wrong things, when there is none).
Everything, packages and package data included, is read from pyproject.toml."""

from setuptools import setup

setup()
