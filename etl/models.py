"""Models of the etl domain (arrive with their issue)."""
