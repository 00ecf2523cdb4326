"""Models of the purchasing domain (arrive with their issue)."""
