"""Error codes of API.md with the words users see. The client raises `ApiError`; the engine
answers with the same codes so every path here can be exercised offline."""

from __future__ import annotations

from .formats import SUPPORTED_FORMATS_TEXT

SUCCESS = 0
BAD_TOKEN = 1001
SESSION_NOT_FOUND = 1002
NO_CREDITS = 2001
UNSUPPORTED_FILE = 4001
FILE_TOO_LARGE = 4002

REGISTER_URL = "https://nemovideo.com/register?bind={user_id}"

class ApiError(Exception):
    """A failure the user should read: `str(err)` is safe to show (no token, no raw JSON)."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def no_credits_message(user_id: str | None, anonymous: bool) -> str:
    if anonymous and user_id:
        return (
            "You are out of credits. Register to get more: "
            + REGISTER_URL.format(user_id=user_id)
        )
    return "You are out of credits. Top up credits in your account."


def message_for(code: int | None, status: int | None, server_message: str = "") -> str:
    """The user-facing sentence for an error the client does not handle by itself."""
    if code == BAD_TOKEN:
        return "Your sign-in was refused. Check NEMO_TOKEN, or unset it to use a free anonymous token."
    if code == SESSION_NOT_FOUND:
        return "The editing session was not found on the server; a new one was started."
    if code == UNSUPPORTED_FILE:
        return f"That file type is not supported. Supported formats: {SUPPORTED_FORMATS_TEXT}."
    if code == FILE_TOO_LARGE:
        return "That file is larger than 500 MB. Compress it or trim it, then upload again."
    if status == 402:
        return "Register or upgrade your plan to unlock export."
    if status == 429:
        return "The server is rate-limiting requests. Wait a minute and try again."
    if status == 400:
        return "The server rejected the request (missing client id)."
    if status is not None and status >= 500:
        return f"The server had a problem (HTTP {status}). Try again in a moment."
    if server_message and len(server_message) < 200 and "{" not in server_message:
        return server_message
    return f"The server reported an error (code {code})." if code else "The server reported an error."
