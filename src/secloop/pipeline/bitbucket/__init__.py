"""Bitbucket Pipelines: `bitbucket-pipelines.yml`, its steps and their audits."""
