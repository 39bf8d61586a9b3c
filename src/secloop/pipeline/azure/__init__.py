"""Azure Pipelines: azure-pipelines.yml read into steps, repositories and images, then audited."""
