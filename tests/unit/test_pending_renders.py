"""Issue 8 item 10: several processes remembering and forgetting renders at once never lose one."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from addmusic.client.files import PendingRender, PendingRenders

WRITER = """
import sys
from pathlib import Path
from addmusic.client.files import PendingRender, PendingRenders
store = PendingRenders(Path(sys.argv[1]))
who, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    store.add(PendingRender(f"render_{who}_{i}", "local-engine", "s", f"/tmp/{who}_{i}.mp4"))
    if i % 2:
        store.remove(f"render_{who}_{i}")  # finished: forgotten again
"""


def test_four_processes_never_lose_a_pending_render(tmp_path: Path) -> None:
    path = tmp_path / "data" / "pending_renders.json"
    store = PendingRenders(path)
    store.add(PendingRender("render_before", "local-engine", "s", "/tmp/before.mp4"))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "100"])
               for name in ("a", "b", "c", "d")]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    ids = sorted(p.job_id for p in store.all())
    expected = sorted(["render_before"] + [f"render_{w}_{i}" for w in "abcd" for i in range(0, 100, 2)])
    assert ids == expected  # 201: every even one kept, every odd one removed, nothing else lost
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
