"""The IaC engine: parse Terraform, CloudFormation, Kubernetes, Dockerfiles and compose files, then check
them against secloop's own policies. Entry point: `secloop.iac.scan.scan_iac`."""
