"""Models of the forecasting domain (arrive with their issue)."""
