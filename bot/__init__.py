"""The Telegram application: settings, database, services, dispatcher."""
