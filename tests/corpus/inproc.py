"""The corpus's setups without an engine: drafts and history built in-process with the same turn
code the engine runs (no audio is composed). For the benchmark and quick looks while working;
the test itself always goes through the real engine."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from addmusic.engine import turns
from addmusic.engine.store import HistoryEntry
from addmusic.protocol.draft import Draft, Segment, Track

from .flat import Case, check, flat

CLIPS = {
    "clip10": {"media_id": "beach0000000000", "filename": "beach.mp4", "kind": "video", "duration": 10.0,
               "width": 1920, "height": 1080, "fps": 30, "has_audio": True},
    "clip60": {"media_id": "trip00000000000", "filename": "trip.mp4", "kind": "video", "duration": 60.0,
               "width": 1920, "height": 1080, "fps": 5, "has_audio": True},
}
# The uploads of the several-clip setups (README.md), as the engine lists them in video_infos.
FILES = {
    "beach.mp4": CLIPS["clip10"],
    "city.mp4": {"media_id": "city00000000000", "filename": "city.mp4", "kind": "video", "duration": 6.0,
                 "width": 1080, "height": 1920, "fps": 30, "has_audio": True},
    "drone.mp4": {"media_id": "drone0000000000", "filename": "drone.mp4", "kind": "video", "duration": 15.0,
                  "width": 1920, "height": 1080, "fps": 25, "has_audio": False},
    "sunset.jpg": {"media_id": "sunset000000000", "filename": "sunset.jpg", "kind": "image", "duration": 0.0,
                   "width": 1600, "height": 1200, "fps": 0.0, "has_audio": False},
}
UPLOADS = {"reel": ["beach.mp4", "city.mp4", "drone.mp4"], "photos": ["beach.mp4", "sunset.jpg"]}


class Session:
    def __init__(self, setup: str, setup_messages: dict[str, list[str]], language: str = "en") -> None:
        self.language = language
        self.state: dict[str, Any] = {"video_infos": [], "draft": {"t": [], "d": 0, "m": {}}, "canvas_config": {},
                                      "generated_media": {}}
        self.history: list[HistoryEntry] = []
        if setup in UPLOADS:
            segments, end = [], 0
            for name in UPLOADS[setup]:  # placed one after the other, as the engine's upload does
                info = FILES[name]
                length = int(info["duration"] * 1000) if info["kind"] == "video" else 3000
                segments.append(Segment(id=f"v_{info['media_id'][:8]}", label=name, src=info["media_id"], start=end,
                                        duration=length))
                end += length
            self.state["draft"] = Draft(tracks=[Track(0, segments)], duration=end, meta={"title": "beach"}).to_json()
            self.state["video_infos"] = [FILES[name] for name in UPLOADS[setup]]
        elif setup != "empty":
            info = CLIPS["clip60" if setup == "clip60" else "clip10"]
            draft = Draft(tracks=[Track(0, [Segment(id="v_1", label=info["filename"], src=info["media_id"],
                                                    duration=int(info["duration"] * 1000))])],
                          duration=int(info["duration"] * 1000), meta={"title": "clip"})
            self.state["draft"] = draft.to_json()
            self.state["video_infos"] = [info]
        for message in setup_messages[setup]:
            self.say(message)

    def say(self, message: str) -> turns.TurnResult:
        result = turns.run_turn(message, copy.deepcopy(self.state), self.language, Path("/nonexistent"), self.history)
        if result.changed:
            self.state = result.state
        for seqs, undone in result.marks:
            for e in self.history:
                if e.seq in seqs:
                    e.undone = undone
        if result.record:
            self.history = [e for e in self.history if not e.undone]
            sentence, tools, before, after = result.record
            self.history.append(HistoryEntry(len(self.history) + 1 + max([e.seq for e in self.history], default=0),
                                             sentence, tools, before, after, False))
        return result


def run_case(case: Case, setup_messages: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    session = Session(case.setup, setup_messages, case.lang)
    before = flat(session.state["draft"], session.state["video_infos"])
    reply = ""
    for message in case.messages:
        reply = session.say(message).reply
    after = flat(session.state["draft"], session.state["video_infos"])
    return check(case, before, after, reply), reply


def no_audio() -> None:
    """Skip composing while the turn code runs in-process."""
    turns.materialise_music = lambda draft, generated, music_dir: None  # type: ignore[assignment]
