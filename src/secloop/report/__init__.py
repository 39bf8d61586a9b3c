"""Renderers: they only render the final, filtered assessment; none re-filters."""
