"""Models of doum.reports."""
