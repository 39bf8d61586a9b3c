"""Monitor: security events from logs, detections and the security metrics exporter.

sources (syslog: sshd and other services' PAM lines; access, JSON, Kubernetes audit lines) ->
`parsers`/`syslog`/`pam` (OWASP Logging Vocabulary events) -> `stream` (batch merge, follow) ->
`engine.Monitor` (`detect`: thresholds with hysteresis; `metrics`: Prometheus text) -> `render`
(terminal, secloop.monitor/v1 JSON). `practices` backs `monitor.failed-logon-metrics`; `rules` holds
the rules it may raise.
"""
