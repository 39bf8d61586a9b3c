"""The dashboard: Jinja2 templates, static CSS, server-side SVG charts."""
