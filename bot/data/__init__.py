"""Persistence: SQLAlchemy 2 typed models, engine, repositories, migrations, FSM storage."""
