"""Models of the routing domain (arrive with their issue)."""
