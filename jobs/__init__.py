"""RQ job functions (they take ids), the worker entry point and the cron table as data."""
