"""The dependencies engine: lockfile parsers, the offline OSV advisory database and exact OSV matching."""
