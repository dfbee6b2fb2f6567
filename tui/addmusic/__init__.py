"""addmusic-tui: add music to video clips by typing what you want."""

__version__ = "0.1.0"
