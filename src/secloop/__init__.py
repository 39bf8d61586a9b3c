"""secloop: security in every stage of the DevOps loop, with delivery measured as it goes."""

__version__ = "0.1.0"
