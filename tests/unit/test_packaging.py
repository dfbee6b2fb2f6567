"""A wheel built from the repo carries every data file the program needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_has_fonts_and_stylesheets(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("addmusic_tui-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "addmusic/fonts/DejaVuSans-Bold.ttf" in names
    assert "addmusic/fonts/DejaVu-LICENSE.txt" in names
    assert "addmusic/ui/app.tcss" in names
    assert "addmusic/engine/__main__.py" in names
    assert any(n.endswith("entry_points.txt") for n in names)
