"""GitLab CI: `.gitlab-ci.yml` with its local includes, parsed per file, and its audits."""
