"""The one style vocabulary: the keys the composer can play and the labels people see.

The interpreter maps a user's genre and mood words onto these keys (its word tables live with it);
the composer keeps one arrangement recipe per key. Both import this module, so they can never
disagree about which styles exist.
"""

from __future__ import annotations

# key -> label, in the order help texts list them.
LABELS: dict[str, str] = {
    "upbeat": "Upbeat pop",
    "lofi": "Lo-fi",
    "cinematic": "Cinematic",
    "acoustic": "Acoustic",
    "electronic": "Electronic",
    "chill": "Chill",
    "piano": "Emotional piano",
    "hiphop": "Hip-hop",
    "rock": "Rock",
    "jazz": "Jazz",
    "corporate": "Corporate",
    "ambient": "Ambient",
}
STYLE_KEYS: tuple[str, ...] = tuple(LABELS)
DEFAULT_STYLE = "lofi"


def label(key: str) -> str:
    """Human label for a style key; unknown keys are title-cased rather than failing."""
    return LABELS.get(key) or key.replace("_", " ").title()
