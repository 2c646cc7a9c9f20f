"""In-app notifications to staff about complaints, and their emails."""
