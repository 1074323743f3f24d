"""Operations: backup and restore of the evidence files (management commands; the database is pg_dump's)."""
