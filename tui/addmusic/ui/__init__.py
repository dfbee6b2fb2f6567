"""The Textual app: chat, track view, status bar, composer."""
