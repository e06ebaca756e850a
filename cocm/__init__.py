"""Collaborative care management: the domain package shared by both apps and the jobs."""
