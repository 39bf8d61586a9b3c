"""Alert rules from SLOs: generate Prometheus multi-window multi-burn-rate rules and replay them."""
