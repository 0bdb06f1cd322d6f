"""Models of doum.alerts."""
