"""Storage: the schema, its migrations and every query, over sqlite-utils."""
