"""Services: the application's operations, called by thin handlers."""
