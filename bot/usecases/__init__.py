"""Use cases: the application's operations (no aiogram), called by thin handlers."""
