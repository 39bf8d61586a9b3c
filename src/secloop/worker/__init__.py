"""Celery workers: scans of many repositories, one job per repository and commit."""
