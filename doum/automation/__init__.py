"""Automation: triggers (on ticket changes), time-based automations, macros, and the
effects they apply to tickets (doum.automation.effects)."""
