"""Issue 8: faults injected for real on loopback — the engine killed mid-render, a second user naming
the first user's media, a locked database, a full disk, hostile drafts — and what must hold after."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import av
import pytest

from addmusic.client.api import ApiClient, ApiError, Session
from addmusic.client.chat import chat_turn
from addmusic.client.launcher import LOCAL_ENGINE_KEY
from addmusic.engine import procs
from addmusic.engine.verify import Expected, OutputInvalid, verify_output
from addmusic.protocol.draft import AUDIO, TEXT, Draft, Segment, Track
from conftest import EngineProcess, make_settings


@pytest.fixture(scope="session")
def long_clip(media_dir: Path) -> Path:
    """20 s 640x360: a re-encode takes a few seconds, long enough to kill the engine mid-way."""
    from addmusic.sample import make_sample

    return make_sample(media_dir / "long.mp4", 20.0, width=640, height=360)


async def open_client(engine: EngineProcess, home: Path) -> ApiClient:
    client = ApiClient(engine.url, make_settings(home, engine.url), account_key=LOCAL_ENGINE_KEY)
    await client.new_session()
    return client


def with_title(draft: Draft, text: str = "Day one") -> Draft:
    """A title makes the picture re-encoded (the slow path)."""
    draft.tracks.append(Track(type=TEXT, segments=[Segment(id="t1", text=text, duration=2000, position="center")]))
    return draft


def decode_errors(path: Path) -> tuple[int, float]:
    """Decode every frame with libav's error log captured: (errors, seconds of picture)."""
    import av.logging

    av.logging.set_level(av.logging.ERROR)
    errors = 0
    end = 0.0
    with av.logging.Capture() as logs, av.open(str(path)) as container:
        try:
            for frame in container.decode(video=0):
                end = max(end, float(frame.time or 0))
        except av.FFmpegError:
            errors += 1
    return errors + len(logs), end


def alive(pid: int) -> bool:
    state = procs._proc_state(pid)
    return state is not None and state != "Z"


async def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(interval)
    raise AssertionError("condition not met in time")


# --- item 1: kill -9 of the engine mid-render ---------------------------------------------------


async def test_engine_killed_mid_render_never_hands_over_a_corrupt_file(
        engine_factory, isolated_home: Path, long_clip: Path, tmp_path: Path) -> None:
    engine = engine_factory("engine")
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(long_clip)
        state = await client.state()
        # a full re-encode keeps one ffmpeg busy long enough to be killed mid-render
        job = await client.submit_render(with_title(state.draft), smart=False)

        async def rendering() -> bool:
            status = await client.render_status(job.job_id)
            return status.status == "processing" and status.progress >= 3

        await wait_for(rendering)
        children = json.loads((engine.data_dir / procs.REGISTRY_NAME).read_text())
        # the picture and the sound may render in parallel (one or more ffmpeg; a short one may have
        # ended since the registry was read): every child still running is an ffmpeg
        ffmpeg_pids = [pid for pid in map(int, children) if procs.command_line(pid)]
        assert ffmpeg_pids and all("ffmpeg" in procs.command_line(pid)[0] for pid in ffmpeg_pids)
        engine.process.kill()  # kill -9: no clean-up code runs in the engine
        engine.process.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in ffmpeg_pids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not any(alive(pid) for pid in ffmpeg_pids), "ffmpeg outlived the engine that started it"
    finally:
        await client.aclose()

    restarted = EngineProcess(engine.data_dir, {"ADDMUSIC_HEARTBEAT_S": "0.2"})
    try:
        client = ApiClient(restarted.url, make_settings(isolated_home, restarted.url),
                           account_key=LOCAL_ENGINE_KEY)
        try:
            status = await client.wait_render(job.job_id)
            assert status.status == "completed", status.error
            dest = tmp_path / "out.mp4"
            await client.download(status.url or "", dest)
        finally:
            await client.aclose()
        errors, end = decode_errors(dest)
        assert errors == 0 and end > 19.5
        folder = restarted.data_dir / "renders"
        outputs = sorted(p.name for p in folder.rglob("*.mp4"))
        assert outputs == ["output-2.mp4"]  # the second attempt wrote its own file; no partial is left
    finally:
        restarted.stop()


async def test_orphan_ffmpeg_from_an_earlier_engine_is_ended_at_start(engine_factory, tmp_path: Path) -> None:
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    data_dir = tmp_path / "engine"
    data_dir.mkdir()
    # an ffmpeg that escaped an earlier engine (started without the death signal), and an unrelated
    # process whose pid the registry also names, but with another start time: it must be left alone
    orphan = subprocess.Popen([ffmpeg, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc",
                               "-t", "600", "-f", "null", "-"], start_new_session=True)
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        registry = {str(orphan.pid): {"start": procs.start_time(orphan.pid), "exe": ffmpeg, "engine": 1},
                    str(bystander.pid): {"start": (procs.start_time(bystander.pid) or 0) - 5, "exe": "sleep",
                                         "engine": 1}}
        (data_dir / procs.REGISTRY_NAME).write_text(json.dumps(registry))
        engine = engine_factory("engine")
        assert engine.data_dir == data_dir
        assert orphan.poll() is not None  # ended by the new engine before it could be found
        assert json.loads((data_dir / procs.REGISTRY_NAME).read_text()) == {}
        assert bystander.poll() is None
    finally:
        for proc in (orphan, bystander):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_verify_refuses_broken_outputs(short_clip: Path, tmp_path: Path) -> None:
    good = Expected(3000, audio=True, fps=30)
    assert abs(verify_output(short_clip, good) - 3000) < 100
    assert abs(verify_output(short_clip, Expected(3000, audio=True, fps=30, full_decode=False)) - 3000) < 100
    data = short_clip.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    flipped = bytearray(data)
    for i in range(len(data) // 3, len(data) // 3 + 20000, 97):
        flipped[i] ^= 0xFF
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(flipped))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    cases = {truncated: good, damaged: good, empty: good, tmp_path / "missing.mp4": good,
             short_clip: Expected(5000, audio=True, fps=30)}
    for path, expected in cases.items():
        with pytest.raises(OutputInvalid):
            verify_output(path, expected)
    for full in (True, False):  # the cheap check for copied video catches them too
        for path in (truncated, damaged):
            with pytest.raises(OutputInvalid):
                verify_output(path, Expected(3000, audio=True, fps=30, full_decode=full))


def test_spawned_child_dies_with_its_parent(tmp_path: Path) -> None:
    """The death signal alone (no pipe to break): a child whose parent is killed -9 goes too."""
    import sys

    script = ("import asyncio\nfrom addmusic.engine import procs\n"
              "async def main():\n"
              "    child = await procs.spawn('sleep', '60', stdout=asyncio.subprocess.DEVNULL)\n"
              "    print(child.pid, flush=True)\n"
              "    await asyncio.sleep(60)\n"
              "asyncio.run(main())\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert alive(child)
        assert os.getpgid(child) == child  # its own process group
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()


# --- item 2: a render names another user's media -------------------------------------------------


async def test_render_cannot_use_another_users_media(engine: EngineProcess, isolated_home: Path,
                                                     short_clip: Path, tmp_path: Path) -> None:
    alice = await open_client(engine, isolated_home)
    mallory = await open_client(engine, tmp_path / "mallory-home")
    try:
        mine = await alice.upload(short_clip)
        assert [e async for e in chat_turn(alice, "add upbeat background music")]
        alice_draft = (await alice.state()).draft
        music_src = alice_draft.tracks[1].segments[0].src
        assert music_src.startswith("gen_")
        own = await mallory.upload(short_clip)  # the same bytes: the same media id, but her own upload
        assert own.media_id == mine.media_id
        mallory_draft = (await mallory.state()).draft
        before = await mallory.credits()

        def draft_with(track_type: int, src: str, label: str) -> Draft:
            draft = Draft.from_json(mallory_draft.to_json())
            seg = Segment(id="x", label=label, src=src, duration=2000, volume=50)
            if track_type == 0:
                draft.tracks[0].segments = [seg]
            else:
                draft.tracks.append(Track(type=track_type, segments=[seg]))
            return draft

        cases = [
            (draft_with(1, music_src, "stolen"), 'The music "stolen" was not uploaded to or made in this session'),
            (draft_with(1, "../../music/" + music_src, "path"), 'The music "path" was not uploaded to or made in'),
            (draft_with(1, "/etc/passwd", "passwd"), 'The music "passwd"'),
            (draft_with(0, "0123456789abcdef", "clip.mp4"), 'The clip "clip.mp4" was not uploaded to this session'),
            (draft_with(7, mine.media_id, "t"), "cannot name a media file"),
        ]
        for draft, message in cases:
            with pytest.raises(ApiError, match=message.replace("(", r"\(").replace(".", r"\.")):
                await mallory.submit_render(draft)
        # a session of her own that she did not upload to: the same id is refused there too
        await mallory.new_session()
        with pytest.raises(ApiError, match="was not uploaded to this session"):
            await mallory.submit_render(draft_with(0, mine.media_id, "short.mp4"))
        assert (await mallory.credits()).available == before.available  # refusals cost nothing
    finally:
        await alice.aclose()
        await mallory.aclose()


# --- item 4: files readable by other local accounts ----------------------------------------------


def modes_under(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


async def test_engine_data_is_private_and_tokens_are_hashed(engine: EngineProcess, isolated_home: Path,
                                                            short_clip: Path, tmp_path: Path) -> None:
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(short_clip)
        assert [e async for e in chat_turn(client, "add lofi background music")]
        status = await client.wait_render((await client.submit_render((await client.state()).draft)).job_id)
        assert status.status == "completed", status.error
        await client.download(status.url or "", tmp_path / "out.mp4")
        token = client.creds.token
    finally:
        await client.aclose()
    modes = modes_under(engine.data_dir)
    names = set(modes)
    assert {"engine.db", "engine.db-wal", "engine.db-shm", "engine.lock", "media", "music", "renders"} <= names
    assert any(n.startswith("media/") for n in names) and any(n.startswith("music/") for n in names)
    assert any(n.endswith(".mp4") and n.startswith("renders/") for n in names)
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}, f"readable by others: {loose}"
    assert all(mode == 0o700 for name, mode in modes.items() if (engine.data_dir / name).is_dir())
    for path in engine.data_dir.rglob("engine.db*"):  # WAL and SHM included: no token as issued
        assert token.encode() not in path.read_bytes(), path.name


def test_plaintext_tokens_of_an_earlier_version_are_hashed_on_open(tmp_path: Path) -> None:
    from addmusic.engine.store import Store

    path = tmp_path / "engine.db"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE tokens (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL);"
                      "CREATE TABLE users (user_id TEXT PRIMARY KEY, client_id TEXT UNIQUE NOT NULL,"
                      " available INTEGER NOT NULL, frozen INTEGER NOT NULL DEFAULT 0);"
                      "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, session_id TEXT NOT NULL,"
                      " draft TEXT NOT NULL, quality TEXT NOT NULL, status TEXT NOT NULL, progress REAL NOT NULL,"
                      " output TEXT, error TEXT, cost INTEGER NOT NULL, created REAL NOT NULL);")
    old.execute("INSERT INTO users VALUES ('anon_1', 'c1', 10, 0)")
    old.execute("INSERT INTO tokens VALUES ('nmv_usr_plaintext', 'anon_1', ?)", (time.time() + 60,))
    old.execute("INSERT INTO jobs VALUES ('render_1', 'anon_1', 's', '{}', 'high', 'completed', 100, NULL, NULL,"
                " 1, 0)")
    old.commit()
    old.close()
    os.chmod(path, 0o644)
    store = Store(path, starting_credits=10)
    try:
        stored = [r[0] for r in store.db.execute("SELECT token FROM tokens")]
        assert stored and all(not t.startswith("nmv_") for t in stored)
        assert store.user_for_token("nmv_usr_plaintext").user_id == "anon_1"  # still signs in
        assert store.user_for_token(stored[0]) is None  # the hash itself is no token
        assert store.job("anon_1", "render_1").status == "completed"  # jobs kept, now per owner
        assert store.job("anon_2", "render_1") is None
    finally:
        store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_client_data_is_private(isolated_home: Path) -> None:
    from addmusic.client.launcher import ensure_engine
    from addmusic.config import Folders
    from conftest import stop_detached_engine

    folders = Folders.detect()
    try:
        url = await ensure_engine(folders.engine)
        client = ApiClient(url, make_settings(isolated_home, url), account_key=LOCAL_ENGINE_KEY)
        try:
            await client.new_session()
        finally:
            await client.aclose()
    finally:
        stop_detached_engine(isolated_home)
    data = isolated_home / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("credentials.json", "engine/engine.log", "engine/spawn.lock"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


# --- item 3: a locked database or a full disk never stops rendering -------------------------------


async def test_locked_database_delays_renders_but_stops_nothing(engine: EngineProcess, isolated_home: Path,
                                                                short_clip: Path) -> None:
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(short_clip)
        draft = with_title((await client.state()).draft)
        start = await client.credits()
        first = await client.submit_render(draft)
        await asyncio.sleep(0.01)
        second = await client.submit_render(draft)
        assert first.job_id != second.job_id
        holder = sqlite3.connect(engine.data_dir / "engine.db", timeout=10, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            await asyncio.sleep(4.0)  # the first render ends meanwhile and cannot record it
            with pytest.raises(ApiError):  # a submission is refused (503), never queued half-way
                await client.submit_render(draft)
            assert (await client.render_status(first.job_id)).status != "failed"  # reads still answer
        finally:
            holder.execute("COMMIT")
            holder.close()
        for job in (first, second):
            status = await client.wait_render(job.job_id)
            assert status.status == "completed", status.error
        balance = await client.credits()
        assert balance.frozen == 0 and balance.available == start.available - 2
    finally:
        await client.aclose()
    assert "retrying" in engine.log.read_text()  # and it was logged, not silent


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "disk" / "engine"
    mount.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for a full disk (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path, leave: int) -> Path:
    """Fill the file system holding `path` until `leave` bytes are free."""
    filler = path / "filler.bin"
    free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler


async def test_full_disk_fails_the_render_with_a_reason_and_the_next_one_works(
        small_disk: Path, isolated_home: Path, long_clip: Path) -> None:
    engine = EngineProcess(small_disk, {"ADDMUSIC_HEARTBEAT_S": "0.2"})
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(long_clip)
        draft = with_title((await client.state()).draft)
        start = await client.credits()
        filler = fill(small_disk, 300_000)
        job = await client.submit_render(draft)
        status = await client.wait_render(job.job_id)
        assert status.status == "failed"
        assert "disk is full" in (status.error or "")
        filler.unlink()
        balance = await client.credits()
        assert balance.frozen == 0 and balance.available == start.available  # refunded
        again = await client.wait_render((await client.submit_render(draft)).job_id)
        assert again.status == "completed", again.error
        assert not list(small_disk.rglob("*.partial.mp4"))
    finally:
        await client.aclose()
        engine.stop()


# --- item 6: hostile drafts are refused before they are queued ------------------------------------


async def test_hostile_drafts_are_refused_with_a_sentence(engine: EngineProcess, isolated_home: Path,
                                                          short_clip: Path) -> None:
    client = await open_client(engine, isolated_home)
    try:
        media = (await client.upload(short_clip)).media_id
        base = (await client.state()).draft
        before = await client.credits()
        sid = client.require_session().session_id

        def variant(**changes: object) -> Draft:
            draft = Draft.from_json(base.to_json())
            seg = draft.tracks[0].segments[0]
            for key, value in changes.items():
                if key == "meta":
                    draft.meta.update(value)  # type: ignore[arg-type]
                else:
                    setattr(seg, key, value)
            return draft

        many = Draft.from_json(base.to_json())
        many.tracks[0].segments = [Segment(id=f"s{i}", src=media, start=i * 10, duration=10) for i in range(401)]
        refusals = {
            "a 10^12 ms segment": (variant(duration=10**12), "at most 3 hours"),
            "an in-point past the clip": (variant(source_in=3_600_000), "starts 3600 s into a source that lasts 3 s"),
            "an absurd canvas": (variant(meta={"width": 1, "height": 100000}), "1x100000 canvas cannot be rendered"),
            "a thin canvas": (variant(meta={"width": 8000, "height": 100}), "too narrow"),
            "a canvas of words": (variant(meta={"width": "wide", "height": 10}), "two whole numbers"),
            "401 segments": (many, "at most 400"),
            "a 10,000-character title": (with_title(variant(), "x" * 10_000), "a title can hold 500"),
        }
        for name, (draft, message) in refusals.items():
            with pytest.raises(ApiError, match=message):
                await client.submit_render(draft)
            assert name

        async def raw(body: bytes) -> tuple[int, dict]:
            headers = {**client.headers(), "Content-Type": "application/json"}
            response = await client.http.post(client.url("/api/render/proxy/lambda"), content=body, headers=headers)
            return response.status_code, response.json()

        status, answer = await raw(json.dumps({"id": "render_inf", "sessionId": sid, "draft": {
            "t": [{"tt": 0, "sg": [{"src": media, "d": float("inf")}]}]}}).encode())
        assert (status, answer["message"]) == (422, "The draft holds a number that is not finite (Infinity or NaN).")
        million = {"id": "render_million", "sessionId": sid,
                   "draft": {"t": [{"tt": 0, "sg": [{"src": media, "d": 1}] * 1_000_000}]}}
        status, answer = await raw(json.dumps(million).encode())
        assert status == 413 and "larger than" in answer["message"]
        status, answer = await raw(b"[" * 100_000 + b"]" * 100_000)
        assert status in (400, 413)
        deep: object = {"t": []}
        for _ in range(50):
            deep = {"x": deep}
        status, answer = await raw(json.dumps({"id": "render_deep", "sessionId": sid, "draft": deep}).encode())
        assert status == 422 and "nested too deeply" in answer["message"]
        balance = await client.credits()
        assert (balance.available, balance.frozen) == (before.available, 0)  # nothing frozen, nothing charged
        # the engine is still free for real work
        ok = await client.wait_render((await client.submit_render(base)).job_id)
        assert ok.status == "completed", ok.error
    finally:
        await client.aclose()


async def test_audio_only_timeline_asks_for_a_picture(engine: EngineProcess, isolated_home: Path,
                                                      tmp_path: Path) -> None:
    from addmusic.engine.music import compose, write_wav

    song = tmp_path / "song.wav"
    write_wav(song, compose(3.0, "lofi", seed=1))
    client = await open_client(engine, isolated_home)
    try:
        uploaded = await client.upload(song)
        assert not (await client.state()).draft.tracks  # an uploaded song is offered, not applied
        # a draft that plays the song over nothing (as a client could send it) is refused
        audio_only = Draft(tracks=[Track(AUDIO, [Segment(id="a", src=uploaded.media_id, duration=3000)])],
                           duration=3000)
        with pytest.raises(ApiError, match="no picture"):
            await client.submit_render(audio_only)
    finally:
        await client.aclose()


# --- item 5: claimed durations are not trusted -------------------------------------------------------


def claims_1000_hours(clip: Path, dest: Path) -> Path:
    """The clip as Matroska with its Segment Info Duration patched to 1000 hours."""
    import struct

    import imageio_ffmpeg

    mkv = dest.with_suffix(".orig.mkv")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(clip), "-c", "copy",
                    str(mkv)], check=True)
    data = bytearray(mkv.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Duration, an 8-byte float in ms
    assert at > 0
    struct.pack_into(">d", data, at + 3, 1000 * 3600 * 1000.0)
    dest.write_bytes(bytes(data))
    with av.open(str(dest)) as container:
        assert container.duration / 1e6 / 3600 > 999  # the lie is what the header says
    return dest


async def test_a_patched_duration_is_measured_not_believed(engine: EngineProcess, isolated_home: Path,
                                                           short_clip: Path, tmp_path: Path) -> None:
    liar = claims_1000_hours(short_clip, tmp_path / "liar.mkv")
    client = await open_client(engine, isolated_home)
    try:
        uploaded = await client.upload(liar)
        assert abs(uploaded.duration - 3.0) < 0.1
        events = [e async for e in chat_turn(client, "add upbeat background music")]
        assert events
        draft = (await client.state()).draft
        assert draft.end <= 3100
        status = await client.wait_render((await client.submit_render(draft)).job_id)
        assert status.status == "completed", status.error
    finally:
        await client.aclose()


async def test_media_longer_than_the_cap_and_damaged_media_say_why(engine: EngineProcess, isolated_home: Path,
                                                                   short_clip: Path, tmp_path: Path) -> None:
    import imageio_ffmpeg

    long = tmp_path / "three-hours.mp4"  # 3.1 h of a tiny black picture at 1 fps: real, small, quick
    await asyncio.to_thread(subprocess.run, [
        imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
        "color=c=black:s=16x16:r=1:d=11200", "-c:v", "libx264", "-preset", "ultrafast", "-g", "600", str(long)],
        check=True)
    truncated = tmp_path / "cut short.mp4"
    data = short_clip.read_bytes()
    truncated.write_bytes(data[:2000])
    client = await open_client(engine, isolated_home)
    try:
        with pytest.raises(ApiError, match=r"three-hours\.mp4 lasts 3\.1 hours; .* up to 3 hours"):
            await client.upload(long)
        with pytest.raises(ApiError, match=r"cut short\.mp4 is damaged"):
            await client.upload(truncated)
    finally:
        await client.aclose()
    assert [p.name for p in (engine.data_dir / "media").iterdir() if p.is_file()] == []  # nothing kept


# --- item 7: upload leftovers ---------------------------------------------------------------------


def spool_files(data_dir: Path) -> list[str]:
    spool = data_dir / "media" / "spool"
    return sorted(p.name for p in spool.iterdir()) if spool.is_dir() else []


def multipart_head(name: str = "clip.mp4") -> bytes:
    return (f"--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: video/mp4\r\n\r\n").encode()


async def test_full_disk_upload_says_so_and_leaves_nothing(small_disk: Path, isolated_home: Path,
                                                           long_clip: Path) -> None:
    engine = EngineProcess(small_disk, {"ADDMUSIC_HEARTBEAT_S": "0.2"})
    client = await open_client(engine, isolated_home)
    try:
        filler = fill(small_disk, 400_000)
        with pytest.raises(ApiError, match=r"The engine's disk is full \(needs \d+ MB more\)"):
            await client.upload(long_clip)  # known size: refused before a byte is stored
        sid = client.require_session().session_id
        data = long_clip.read_bytes()

        async def chunked():  # type: ignore[no-untyped-def]
            yield multipart_head()
            for i in range(0, len(data), 65536):
                yield data[i:i + 65536]
            yield b"\r\n--b0undary--\r\n"

        headers = {**client.headers(), "Content-Type": "multipart/form-data; boundary=b0undary"}
        response = await client.http.post(client.url(f"/api/upload-video/nemo_agent/me/{sid}"),
                                          content=chunked(), headers=headers)
        assert response.status_code == 507  # no length given: the disk fills while it streams
        assert "disk is full" in response.json()["message"]
        assert spool_files(small_disk) == []
        filler.unlink()
        assert (await client.upload(long_clip)).duration > 19
        assert spool_files(small_disk) == []
    finally:
        await client.aclose()
        engine.stop()


async def test_upload_cut_off_by_the_client_leaves_nothing(engine_factory, isolated_home: Path,
                                                           long_clip: Path, tmp_path: Path) -> None:
    stale = tmp_path / "engine" / "media" / "spool"
    stale.mkdir(parents=True)
    (stale / "tmpold.part").write_bytes(b"half an upload from a killed engine")
    engine = engine_factory("engine")
    assert spool_files(engine.data_dir) == []  # cleared at start
    client = await open_client(engine, isolated_home)
    try:
        sid = client.require_session().session_id
        data = long_clip.read_bytes()

        async def interrupted():  # type: ignore[no-untyped-def]
            yield multipart_head()
            yield data[: len(data) // 2]
            await asyncio.sleep(0.3)
            raise KeyboardInterrupt  # Ctrl+C in the middle of the upload

        headers = {**client.headers(), "Content-Type": "multipart/form-data; boundary=b0undary"}
        with pytest.raises(KeyboardInterrupt):
            await client.http.post(client.url(f"/api/upload-video/nemo_agent/me/{sid}"), content=interrupted(),
                                   headers=headers)

        async def spool_empty() -> bool:
            return spool_files(engine.data_dir) == []

        await wait_for(spool_empty, timeout=10)
        assert (await client.upload(long_clip)).duration > 19  # and the engine still takes uploads
    finally:
        await client.aclose()


# --- item 8: render ids belong to their owner -------------------------------------------------------


async def test_render_ids_are_scoped_to_their_owner(engine: EngineProcess, isolated_home: Path,
                                                    short_clip: Path, tmp_path: Path) -> None:
    from addmusic.protocol import api

    alice = await open_client(engine, isolated_home)
    mallory = await open_client(engine, tmp_path / "mallory-home")
    try:
        for client in (alice, mallory):
            await client.upload(short_clip)
        future = f"render_{int(time.time() * 1000) + 60_000}"  # an id alice's client will pick in a minute

        async def submit(client: ApiClient, job_id: str) -> dict:
            body = {"id": job_id, "sessionId": client.require_session().session_id,
                    "draft": (await client.state()).draft.to_json(), "output": {"format": "mp4", "quality": "preview"}}
            return await client._call("POST", api.RENDER, json=body)

        squatted = await submit(mallory, future)
        mine = await submit(alice, future)  # not "render id already used"
        assert squatted["id"] == mine["id"] == future
        for client in (alice, mallory):
            status = await client.wait_render(future)
            assert status.status == "completed", status.error
        again = await submit(alice, future)  # the same id again from its owner: the same job, not a new one
        assert again["status"] == "completed"
        assert (await alice.credits()).frozen == 0
        with pytest.raises(ApiError, match="not found"):
            await alice.render_status("render_only_mallorys") if await submit(mallory, "render_only_mallorys") else None
    finally:
        await alice.aclose()
        await mallory.aclose()


# --- the "also" list ---------------------------------------------------------------------------------


async def test_queue_reports_the_jobs_ahead(engine_factory, isolated_home: Path, long_clip: Path) -> None:
    engine = engine_factory("engine", ADDMUSIC_RENDER_WORKERS="1")
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(long_clip)
        draft = with_title((await client.state()).draft)
        first = await client.submit_render(draft)
        await asyncio.sleep(0.01)
        second = await client.submit_render(draft)
        seen: list[int] = []
        status = await client.wait_render(second.job_id, queued=seen.append)
        assert status.status == "completed"
        assert seen and seen[0] == 1 and seen[-1] in (0, 1)  # "queued, 1 ahead" while the first renders
        assert (await client.render_status(first.job_id)).status == "completed"
    finally:
        await client.aclose()


async def test_awkward_file_names(engine: EngineProcess, isolated_home: Path, short_clip: Path,
                                  tmp_path: Path) -> None:
    from addmusic.client.files import check_upload

    quoted = tmp_path / 'my "best" clip\nday 1.mp4'
    quoted.write_bytes(short_clip.read_bytes())
    raw_name = os.fsencode(tmp_path) + b"/clip-\xff\xfe.mp4"  # not UTF-8
    undecodable = Path(os.fsdecode(raw_name))
    undecodable.write_bytes(short_clip.read_bytes())
    client = await open_client(engine, isolated_home)
    try:
        assert (await client.upload(quoted)).filename == 'my "best" clip day 1.mp4'  # not %22 / %0A
        uploaded = await client.upload(undecodable)
        assert uploaded.filename == "clip-\ufffd\ufffd.mp4"
        summary = (await client.state()).draft.summary()
        assert 'my "best" clip day 1.mp4' in summary and "%22" not in summary
        missing = Path(os.fsdecode(os.fsencode(tmp_path) + b"/gone-\xff.mp4"))
        with pytest.raises(ApiError) as info:
            check_upload(missing)
        str(info.value).encode("utf-8")  # printable: no lone surrogates
    finally:
        await client.aclose()


async def test_idle_exit_waits_for_a_turn_whose_client_hung_up(engine_factory, isolated_home: Path,
                                                               short_clip: Path) -> None:
    engine = engine_factory("engine", ADDMUSIC_ENGINE_IDLE_S="0.3", ADDMUSIC_ENGINE_THINK_S="2.5")
    client = await open_client(engine, isolated_home)
    try:
        await client.upload(short_clip)
        session = client.require_session().session_id
        stream = client.http.stream("POST", client.url("/run_sse"), headers=client.headers(), json={
            "app_name": "nemo_agent", "user_id": "me", "session_id": session, "streaming": True,
            "new_message": {"role": "user", "parts": [{"text": "add upbeat background music"}]}})
        async with stream as response:
            assert response.status_code == 200
            async for _ in response.aiter_bytes():
                break  # the first heartbeat: the turn has started; now hang up
        await asyncio.sleep(1.5)
        assert engine.process.poll() is None  # idle by requests, but a turn is still being applied
        engine.process.wait(timeout=20)  # then it may go
    finally:
        await client.aclose()
    again = EngineProcess(engine.data_dir, {})
    try:
        client = ApiClient(again.url, make_settings(isolated_home, again.url), account_key=LOCAL_ENGINE_KEY)
        client.session = Session(session)
        try:
            assert "BGM" in (await client.state()).draft.summary()  # the edit landed
        finally:
            await client.aclose()
    finally:
        again.stop()


def test_host_beyond_loopback_warns(tmp_path: Path) -> None:
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "addmusic.engine", "--data-dir", str(tmp_path / "e"),
                             "--host", "0.0.0.0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        assert line.startswith("Warning: listening on 0.0.0.0 lets other machines reach this engine")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_render_folder_stays_bounded(tmp_path: Path) -> None:
    from addmusic.engine.jobs import KEEP_DOWNLOADED_S, KEEP_UNFETCHED_S, RenderQueue
    from addmusic.engine.store import Job, Store

    store = Store(tmp_path / "engine.db", starting_credits=10)
    queue = RenderQueue(store, tmp_path / "renders", lambda media_id: tmp_path / f"{media_id}.wav", workers=1)
    now = time.time()
    cases = {  # job id: (status, finished ago, downloaded ago or None, kept?)
        "fresh": ("completed", 60, None, True),
        "fetched_just_now": ("completed", 120, 60, True),
        "fetched_long_ago": ("completed", 2 * KEEP_DOWNLOADED_S, KEEP_DOWNLOADED_S + 60, False),
        "never_fetched": ("completed", KEEP_UNFETCHED_S + 60, None, False),
        "failed": ("failed", 1, None, False),
    }
    for job_id, (status, finished, downloaded, _kept) in cases.items():
        job = Job(job_id, "anon_1", "s1", {}, "high", status, 100.0, None, None, 1)
        store.add_job(job)
        folder = queue.job_dir(job)
        folder.mkdir(parents=True)
        (folder / "output-1.mp4").write_bytes(b"video")
        store.update_job("anon_1", job_id, finished=now - finished, output=str(folder / "output-1.mp4"),
                         downloaded=None if downloaded is None else now - downloaded)
    assert queue.remove_old_renders(now) == 3
    for job_id, (_status, _finished, _downloaded, kept) in cases.items():
        assert (tmp_path / "renders" / "anon_1" / job_id).exists() == kept, job_id
    assert queue.remove_old_renders(now) == 0  # swept ones are not looked at again
    assert store.job("anon_1", "never_fetched").output is None
    store.close()
