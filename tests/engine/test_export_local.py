"""The export's last steps with the local engine: the poll held until the render ends (`?wait=`),
and the finished file saved by a hard link to the engine's own when both are on one filesystem
(never overwriting, never half a file); the cloud's protocol is unchanged (no `wait` sent)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import httpx
import pytest

from addmusic.client.api import ApiClient
from addmusic.client.files import link_into_place, shareable_mode
from addmusic.client.launcher import LOCAL_ENGINE_KEY
from addmusic.engine.lifecycle import make_private
from addmusic.engine.store import Store
from addmusic.protocol.errors import ApiError
from conftest import EngineProcess, make_settings


async def test_a_held_poll_answers_when_the_render_ends_and_the_file_is_linked(
        isolated_home: Path, short_clip: Path, tmp_path: Path) -> None:
    settings = make_settings(isolated_home, None)  # the local engine, in this home's engine folder
    engine = EngineProcess(settings.folders.engine, {"ADDMUSIC_HEARTBEAT_S": "0.2"})
    client = ApiClient(engine.url, settings, account_key=LOCAL_ENGINE_KEY)
    try:
        await client.new_session()
        await client.upload(short_clip)
        job = await client.submit_render((await client.state()).draft)
        assert (await client.render_status(job.job_id, wait=0)).status in ("pending", "processing")
        status = await client.render_status(job.job_id, wait=60)  # held until it ends
        assert status.status == "completed", status.error
        assert status.path and Path(status.path).is_relative_to(settings.folders.engine)

        dest = tmp_path / "out" / "mine.mp4"
        assert await client.save_render(status, dest) == dest
        assert os.path.samefile(dest, status.path)  # linked: no bytes sent
        assert not [p for p in dest.parent.iterdir() if p != dest]  # nothing else left beside it
        # the user's file has the user's mode, not the engine's 0600, and the engine's tightening
        # of its folder at its next start leaves it so
        mode = shareable_mode()
        assert stat.S_IMODE(dest.stat().st_mode) == mode != 0o600
        umask = os.umask(0o077)  # make_private sets the engine process's umask: this one's is restored
        try:
            make_private(settings.folders.engine)
        finally:
            os.umask(umask)
        assert stat.S_IMODE(dest.stat().st_mode) == mode
        with pytest.raises(ApiError, match="already exists"):
            await client.save_render(status, dest)
        dest.write_bytes(b"the user's own file")
        with pytest.raises(ApiError, match="already exists"):
            await client.save_render(status, dest)
        assert dest.read_bytes() == b"the user's own file"  # never overwritten without asking
        await client.save_render(status, dest, overwrite=True)
        assert os.path.samefile(dest, status.path) and not [p for p in dest.parent.iterdir() if p != dest]

        store = Store(settings.folders.engine / "engine.db", starting_credits=0)
        downloaded = {j.job_id: when for j, _finished, when in store.finished_jobs()}
        assert downloaded[job.job_id] is not None  # the engine heard it was fetched: its clean-up clock runs
    finally:
        await client.aclose()
        engine.stop()


async def test_bad_waits_are_ignored_and_a_client_of_another_engine_downloads(
        engine_factory, isolated_home: Path, short_clip: Path, tmp_path: Path) -> None:
    engine = engine_factory("engine")
    client = ApiClient(engine.url, make_settings(isolated_home, engine.url), account_key=LOCAL_ENGINE_KEY)
    try:
        await client.new_session()
        await client.upload(short_clip)
        job = await client.submit_render((await client.state()).draft)
        for wait in ("abc", "-1", "nan"):
            answer = await client.http.get(client.url(f"/api/render/proxy/lambda/{job.job_id}?wait={wait}"),
                                           headers=client.headers())
            assert answer.status_code == 200
        done = await client.wait_render(job.job_id)
        assert done.status == "completed"
        assert (await client.render_status(job.job_id, wait=600)).status == "completed"
        # a client given this engine's address (not its own local engine) downloads the file
        assert done.path and client._engine_file(done.path) is None
        dest = tmp_path / "out.mp4"
        await client.save_render(done, dest)
        assert dest.read_bytes() == Path(done.path).read_bytes() and not os.path.samefile(dest, done.path)
    finally:
        await client.aclose()


@pytest.mark.parametrize("url, key, held", [("https://api.example.com", None, False),
                                            ("http://127.0.0.1:9", None, False),  # e.g. an ADK server here
                                            ("http://127.0.0.1:9", LOCAL_ENGINE_KEY, True)])
async def test_only_the_local_engine_is_asked_to_hold_the_poll(isolated_home: Path, url: str, key: str | None,
                                                               held: bool) -> None:
    asked: list[httpx.URL] = []
    answers = iter(["processing", "processing", "completed"])

    def serve(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        return httpx.Response(200, json={"code": 0, "data": {"id": "R", "status": next(answers), "progress": 5}})

    settings = make_settings(isolated_home, url, render_poll_s=1.0)
    client = ApiClient(url, settings, account_key=key, transport=httpx.MockTransport(serve))
    client.creds.token = "t"
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    try:
        assert (await client.wait_render("R", sleep=sleep)).status == "completed"
    finally:
        await client.aclose()
    assert [u.params.get("wait") for u in asked] == (["1"] * 3 if held else [None] * 3)
    # this server answered at once, held or not: the client still waits its interval between polls
    assert len(pauses) == 2 and all(0.5 < p <= 1.0 for p in pauses)


def test_linking_never_overwrites_and_falls_back_across_filesystems(tmp_path: Path, monkeypatch) -> None:
    render = tmp_path / "engine" / "output-1.mp4"
    render.parent.mkdir()
    render.write_bytes(b"render")
    dest = tmp_path / "new" / "out.mp4"
    assert link_into_place(render, dest, overwrite=False) and dest.read_bytes() == b"render"
    with pytest.raises(ApiError, match="already exists"):
        link_into_place(render, dest, overwrite=False)

    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    other = tmp_path / "other.mp4"
    assert link_into_place(render, other, overwrite=False) is False and not other.exists()
    dest.write_bytes(b"old")
    assert link_into_place(render, dest, overwrite=True) is False and dest.read_bytes() == b"old"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["out.mp4"]  # no temporary name left


def test_a_path_outside_the_engine_folder_is_never_linked(isolated_home: Path, tmp_path: Path) -> None:
    settings = make_settings(isolated_home, None)
    client = ApiClient("http://127.0.0.1:9", settings, account_key=LOCAL_ENGINE_KEY)
    elsewhere = tmp_path / "secret.mp4"
    elsewhere.write_bytes(b"x")
    inside = settings.folders.engine / "renders" / "u" / "r" / "output-1.mp4"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"x")
    (settings.folders.engine / "renders" / "escape.mp4").symlink_to(elsewhere)
    assert client._engine_file(str(inside)) == inside.resolve()
    assert client._engine_file(str(elsewhere)) is None
    assert client._engine_file(str(settings.folders.engine / "renders" / "escape.mp4")) is None
    assert client._engine_file(str(settings.folders.engine / "renders" / ".." / ".." / ".." / "x")) is None
    cloud = ApiClient("https://api.example.com", make_settings(isolated_home, "https://api.example.com"))
    assert cloud._engine_file(str(inside)) is None
