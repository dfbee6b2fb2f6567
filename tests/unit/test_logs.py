"""Debug logs are pasted into bug reports: tokens must never reach them."""

from __future__ import annotations

import logging
from pathlib import Path

from addmusic.client.credentials import Credentials
from addmusic.logs import redact, setup_debug_log


def test_tokens_are_redacted() -> None:
    line = 'Authorization: Bearer abc.def-123 token nmv_usr_SECRETVALUE {"token": "nmv_usr_OTHER"}'
    out = redact(line)
    assert "abc.def-123" not in out and "SECRETVALUE" not in out and "OTHER" not in out
    assert "Bearer …redacted" in out


def test_debug_log_file_redacts_and_repr_hides_token(tmp_path: Path) -> None:
    path = setup_debug_log(tmp_path, "test")
    creds = Credentials(client_id="cid", token="nmv_usr_TOPSECRET", user_id="anon_1")
    logging.getLogger("addmusic.test").warning("sending with %r and Bearer %s", creds, creds.token)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "TOPSECRET" not in text and "cid" in text
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(path):
            root.removeHandler(handler)
            handler.close()
