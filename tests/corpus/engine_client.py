"""A small loopback client for the corpus: sessions, uploads, one chat turn read to its final
event (reply text and customMetadata), and the state. Raw HTTP on purpose: the corpus tests the
engine, not the app's client."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from addmusic.protocol import api


def make_clip(path: Path, seconds: float, *, width: int, height: int, fps: int) -> Path:
    """A plain colour clip with a tone as its own sound: H.264 + AAC, made fast (ultrafast preset)."""
    import imageio_ffmpeg

    if path.exists():
        return path
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
           "-f", "lavfi", "-i", f"color=c=0x336699:s={width}x{height}:r={fps}:d={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps * 5),
           "-c:a", "aac", "-ac", "2", "-shortest", "-movflags", "+faststart", str(path)]
    subprocess.run(cmd, check=True)
    return path


def make_silent_clip(path: Path, seconds: float, *, width: int, height: int, fps: int) -> Path:
    """A clip with a picture and no audio stream at all (drone footage, screen recordings)."""
    import imageio_ffmpeg

    if path.exists():
        return path
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
           "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps * 5),
           "-an", "-movflags", "+faststart", str(path)]
    subprocess.run(cmd, check=True)
    return path


def make_photo(path: Path, *, width: int, height: int) -> Path:
    """A still image (jpg/png/webp by the name's extension)."""
    import imageio_ffmpeg

    if path.exists():
        return path
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
           "-f", "lavfi", "-i", f"gradients=s={width}x{height}:d=1", "-frames:v", "1", str(path)]
    subprocess.run(cmd, check=True)
    return path


def make_song_file(path: Path, *, bpm: float = 100, bars: int = 18) -> Path:
    """A song the user owns: drums, bass and chords at `bpm`, louder bars 8-12 (its chorus),
    encoded by the name's extension (mp3, m4a, wav)."""
    import imageio_ffmpeg

    from analysis.songgen import make_song, write_wav

    if path.exists():
        return path
    song = make_song(bpm, bars, loud_bars=(8, 12), seed=7)
    wav = write_wav(path.with_suffix(".src.wav"), song.samples, song.sample_rate)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(wav),
                    "-ac", "2", "-b:a", "160k", str(path)], check=True)
    wav.unlink()
    return path


MIME = {".mp4": "video/mp4", ".mov": "video/quicktime", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
        ".wav": "audio/wav", ".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@dataclass
class Turn:
    reply: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Engine:
    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=120)
        self.client_id = "corpus-" + uuid.uuid4().hex[:8]
        self.token = ""

    async def open(self) -> None:
        r = await self.http.post(api.ANONYMOUS_TOKEN, headers={"X-Client-Id": self.client_id})
        self.token = r.json()["data"]["token"]

    def headers(self) -> dict[str, str]:
        return {"X-Client-Id": self.client_id, "Authorization": f"Bearer {self.token}"}

    async def session(self, language: str = "en") -> str:
        r = await self.http.post(api.SESSION, json={"task_name": "corpus", "language": language},
                                 headers=self.headers())
        return r.json()["data"]["session_id"]

    async def upload(self, sid: str, path: Path) -> None:
        with path.open("rb") as fh:
            mime = MIME.get(path.suffix.lower(), "application/octet-stream")
            r = await self.http.post(api.upload_path(sid), files={"files": (path.name, fh, mime)},
                                     headers=self.headers())
        assert r.json()["code"] == 0, r.text

    async def state(self, sid: str) -> dict[str, Any]:
        r = await self.http.get(api.state_path(sid), headers=self.headers())
        return r.json()["data"]["state"]

    async def say(self, sid: str, message: str) -> Turn:
        body = {"app_name": api.APP_NAME, "user_id": "me", "session_id": sid,
                "new_message": {"role": "user", "parts": [{"text": message}]}, "streaming": True}
        reply, metadata = "", {}
        async with self.http.stream("POST", api.RUN_SSE, json=body,
                                    headers={**self.headers(), "Accept": "text/event-stream"}) as r:
            async for line in r.aiter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event.get("error"):
                    raise AssertionError(f"turn failed: {event['error']}")
                if event.get("turnComplete"):
                    parts = (event.get("content") or {}).get("parts") or []
                    reply = "".join(p.get("text", "") for p in parts)
                    metadata = (event.get("customMetadata") or {}).get("addmusic") or {}
        return Turn(reply, metadata)

    async def aclose(self) -> None:
        await self.http.aclose()
