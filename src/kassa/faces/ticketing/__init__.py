"""The Ticketscloud-compatible partner API."""
