"""`--debug` logging to a file under the platformdirs log dir, with tokens redacted on the way out:
a log is something users paste into bug reports."""

from __future__ import annotations

import logging
import re
from pathlib import Path

_SECRETS = re.compile(r"(nmv_[A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]+|(Bearer\s+)\S+|(\"token\"\s*:\s*\")[^\"]+")


def redact(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        prefix = next(g for g in match.groups() if g is not None)
        return prefix + "…redacted"

    return _SECRETS.sub(mask, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_debug_log(log_dir: Path, name: str) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{name}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for noisy in ("httpcore", "markdown_it", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    return path
