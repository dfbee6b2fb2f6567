"""Speaks the NemoVideo agent API: one httpx.AsyncClient, credentials, the intent router."""
