"""Repository posture: the host's settings read through the GitHub and GitLab APIs (opt-in token,
read-only, cached), scored with OpenSSF Scorecard's Branch-Protection tiers, plus offline review and
maintenance facts from local git."""
