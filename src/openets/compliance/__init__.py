"""Compliance (履约): obligations, deadlines and working days, status recomputed from events,
penalties, statistics. Pure."""
