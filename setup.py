"""Builds the C walk of lexbor's tree (``backlink_spider._layout``) against the lexbor
headers of the pinned selectolax (``third_party/lexbor``). Everything else, packages and
package data included, is read from pyproject.toml; scrapyd-deploy also needs this file,
building the project's egg with ``python setup.py bdist_egg`` (and writing a setup.py of
its own, packaging the wrong things, when there is none)."""

import textwrap

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command import bdist_egg

# The loader bdist_egg puts in an egg (a zip, which no compiled module is imported from) in
# place of a compiled module: it loads a temporary copy of the module and puts it in its own
# place, with the module's place in the egg as its file. setuptools' own (<81) asks
# importlib.resources for the files of the module itself, which Python 3.11 refuses
# ("... is not a package"), and leaves the module it loads unused.
_EGG_STUB = textwrap.dedent(
    """
    def __bootstrap__():
        import importlib.resources, importlib.util, sys
        resource = importlib.resources.files(__spec__.parent).joinpath(%r)
        with importlib.resources.as_file(resource) as path:
            spec = importlib.util.spec_from_file_location(__name__, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        module.__file__ = str(resource)
        sys.modules[__name__] = module
    __bootstrap__()
    """
).lstrip()


def _write_egg_stub(resource: str, pyfile: str) -> None:
    with open(pyfile, "w", encoding="utf-8") as stub:
        stub.write(_EGG_STUB % resource)


class EggWithLoadableExtensions(bdist_egg.bdist_egg):
    """bdist_egg, with loaders of compiled modules that work on Python 3.11 too."""

    def run(self) -> None:
        write_stub = bdist_egg.write_stub
        bdist_egg.write_stub = _write_egg_stub
        try:
            super().run()
        finally:
            bdist_egg.write_stub = write_stub


setup(
    ext_modules=cythonize(
        [
            Extension(
                "backlink_spider._layout",
                ["backlink_spider/_layout.pyx"],
                include_dirs=["third_party/lexbor"],
                # As selectolax builds lexbor: the headers' declarations must match its.
                define_macros=[("LEXBOR_STATIC", None)],
            ),
            Extension("backlink_spider._nesting", ["backlink_spider/_nesting.pyx"]),
        ],
        language_level=3,
    ),
    cmdclass={"bdist_egg": EggWithLoadableExtensions},
)
