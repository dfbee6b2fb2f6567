"""Several clips on the real engine over loopback: a reel edit and its undo, crossfades that a
later upload joins, and a reference to no clip that changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import EngineProcess
from corpus.engine_client import Engine, make_clip, make_silent_clip


def _video(state: dict) -> list[tuple[str, int, int]]:  # type: ignore[type-arg]
    names = {i["media_id"]: Path(i["filename"]).stem for i in state["video_infos"]}
    segs = sorted((s for t in state["draft"]["t"] if t["tt"] == 0 for s in t["sg"]), key=lambda s: s["st"])
    return [(names[s["src"]], s["st"], s["d"]) for s in segs]


def test_reel_edits_undo_and_a_late_upload_joins_the_crossfades(engine: EngineProcess, tmp_path: Path) -> None:
    beach = make_clip(tmp_path / "beach.mp4", 4, width=640, height=360, fps=25)
    city = make_clip(tmp_path / "city.mp4", 3, width=360, height=640, fps=25)
    drone = make_silent_clip(tmp_path / "drone.mp4", 5, width=640, height=360, fps=25)

    async def run() -> None:
        client = Engine(engine.url)
        await client.open()
        try:
            sid = await client.session()
            await client.upload(sid, beach)
            await client.upload(sid, city)
            turn = await client.say(sid, "put the vertical one first")
            assert "city.mp4" in turn.reply and not turn.metadata["unmatched"]
            state = await client.state(sid)
            assert [v[0] for v in _video(state)] == ["city", "beach"]
            assert "width" not in state["draft"]["m"] and "360x640" in turn.reply  # the output follows it, and says so
            await client.say(sid, "undo")
            assert [v[0] for v in _video(await client.state(sid))] == ["beach", "city"]

            turn = await client.say(sid, "half second crossfades")
            assert _video(await client.state(sid)) == [("beach", 0, 4000), ("city", 3500, 3000)]
            await client.upload(sid, drone)  # arrives after the crossfades were asked for
            state = await client.state(sid)
            assert _video(state) == [("beach", 0, 4000), ("city", 3500, 3000), ("drone", 6000, 5000)]
            assert state["draft"]["d"] == 11000

            turn = await client.say(sid, "drop the forest clip")
            assert "beach.mp4" in turn.reply and "drone.mp4" in turn.reply
            assert _video(await client.state(sid))[2] == ("drone", 6000, 5000)  # nothing changed
        finally:
            await client.aclose()

    asyncio.run(run())
