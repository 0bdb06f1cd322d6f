"""Pages of the reports app: exports (exports.py) and scheduled reports (scheduled.py)."""
