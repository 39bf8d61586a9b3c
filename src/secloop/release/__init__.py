"""Release: flags as code (Unleash-compatible evaluation), the canary and blue/green judge, A/B statistics."""
