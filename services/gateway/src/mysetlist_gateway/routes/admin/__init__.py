"""The admin API under /api/admin (ADMIN_TOKEN bearer auth): reimport, resync, replay, dead letters."""
