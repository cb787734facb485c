"""Storage: SQLAlchemy Core tables, repositories and migrations. Only this package speaks SQL."""
