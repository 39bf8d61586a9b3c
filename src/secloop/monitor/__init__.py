"""Monitor: security events from logs, detections and the security metrics exporter."""
