"""Schedules: start a workflow on a cron calendar or an interval, exactly once per due time."""
