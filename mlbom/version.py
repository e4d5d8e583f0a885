"""mlbom's version, in a module of its own so that no module inside the package imports the
package root (``mlbom/__init__.py`` re-exports it as ``mlbom.__version__``)."""

__version__ = "0.1.0"
