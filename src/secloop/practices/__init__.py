"""The loop catalog and one evaluator per practice."""
