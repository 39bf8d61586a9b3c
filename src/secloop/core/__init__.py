"""Core types shared by every layer: rules, findings, results, errors, config and policy."""
