"""mlbom's version: a leaf module, so that what needs the version (the BOM's tool entry, the
CLI, SARIF) does not import the package root."""

__version__ = "0.1.0"
