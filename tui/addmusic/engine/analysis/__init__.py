"""Cheap numpy analysis of a user's media: a song's beats and energy, a video's scene cuts."""
