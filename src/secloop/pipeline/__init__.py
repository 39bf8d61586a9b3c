"""CI/CD pipeline engine: workflow parsing and audits."""
