"""Sources read the world and nothing else."""
