"""Storage edge: SQLAlchemy 2 Core tables, Alembic migrations, engine factory, repositories."""
