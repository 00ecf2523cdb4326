"""Models of the inventory domain (arrive with their issue)."""
