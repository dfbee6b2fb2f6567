"""Supported media formats (API.md upload) and a check by content, shared by the client (before
sending) and the engine (on receipt): a renamed text file must not pass as `clip.mp4`."""

from __future__ import annotations

VIDEO_EXTENSIONS = ("mp4", "mov", "avi", "webm", "mkv")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp")
AUDIO_EXTENSIONS = ("mp3", "wav", "m4a", "aac")
SUPPORTED_EXTENSIONS = VIDEO_EXTENSIONS + IMAGE_EXTENSIONS + AUDIO_EXTENSIONS
SUPPORTED_FORMATS_TEXT = "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac"
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
SNIFF_BYTES = 64


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def kind_of_extension(name: str) -> str | None:
    ext = extension_of(name)
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    return None


def sniff(head: bytes) -> str | None:
    """The kind of media the first bytes of a file announce, or None when they announce none."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return "audio" if brand in (b"M4A ", b"M4B ") else "video"  # mp4, mov, m4a
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video"  # old QuickTime
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"  # Matroska / WebM
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "video"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n") or head[:6] in (
        b"GIF87a", b"GIF89a"
    ):
        return "image"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio"  # MP3, or ADTS AAC (0xFFF1 / 0xFFF9)
    return None


def check_file_kind(name: str, head: bytes) -> str | None:
    """The media kind when both the extension and the content agree it is supported media.

    Extension and content may name different kinds (an `.mp4` holding only audio is still fine),
    so the content decides; the extension must merely be a supported one."""
    if kind_of_extension(name) is None:
        return None
    return sniff(head)
