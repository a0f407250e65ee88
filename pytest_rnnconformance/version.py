"""The plugin's version: one place, read by the package, the report header and ``--version``."""

__version__ = "0.2.0"
