"""SLAs: business calendars, holidays, SLA policies, timers and breach escalation.

Business-time arithmetic lives in `doum.sla.calendar` (pure Python, no models); holiday sets
from the `holidays` package in `doum.sla.holidays`.
"""
