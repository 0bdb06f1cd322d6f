"""Routing and assignment: per-team modes (manual, round-robin, least-loaded, skills-based), agent
skills and capacity, and reassignment of an offline agent's new tickets."""
