"""Monitors: input drift and serving health of a model family, agreed up front like KPIs."""
