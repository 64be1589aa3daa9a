"""Outbox: the durable queue of messages to Telegram (store), and the sender that drains it."""
