"""Models of the manufacturing domain (arrive with their issue)."""
