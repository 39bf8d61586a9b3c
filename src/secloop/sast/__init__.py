"""SAST engine: Bandit as an engine plus secloop's own intra-procedural taint checks for Python web code."""
