"""The local engine: serves the NemoVideo agent API offline (ASGI), with ffmpeg and numpy music."""
