"""Views: text and keyboards the user sees (no database access)."""
