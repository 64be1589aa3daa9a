"""The Telegram application: wiring, settings, data, use cases, outbox, views."""
