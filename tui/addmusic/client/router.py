"""Words handled without the chat stream, and replies rewritten from GUI talk into this app's
commands (API.md). Plain functions over tables so the tests can be tables too."""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..protocol.phrases import (
    NEGATIONS_EN,
    NEGATIONS_ZH,
    POLITE_LEAD_EN,
    POLITE_LEAD_ZH,
    POLITE_TAIL_EN,
    POLITE_TAIL_ZH,
    alternation,
)

EXPORT, EXPORT_FULL, CREDITS, STATE, UPLOAD, CHAT = "export", "export_full", "credits", "state", "upload", "chat"

# A routed message is essentially the command: optional politeness around one of these phrases.
_COMMANDS: list[tuple[str, list[str]]] = [
    (EXPORT, ["export", "export it", "export the video", "export video", "download", "download it",
              "download the video", "send me the video", "send it", "render", "render it", "导出",
              "导出视频", "下载", "下载视频"]),
    (EXPORT_FULL, ["export full", "full export", "export all frames", "export with a full re-encode",
                   "re-encode everything", "完整导出", "全部重新编码"]),
    (CREDITS, ["credits", "credit", "my credits", "balance", "my balance", "how many credits",
               "credits left", "积分", "余额", "查看积分", "查看余额"]),
    (STATE, ["status", "state", "show tracks", "show the tracks", "tracks", "timeline", "show timeline",
             "show the timeline", "状态", "查看状态", "轨道"]),
    (UPLOAD, ["upload", "upload a file", "upload files", "upload a video", "add a clip", "上传",
              "上传视频", "上传文件"]),
]
# Politeness and negation are the interpreter's lists too (protocol/phrases.py); the router adds
# the words that only make sense around its own commands ("show tracks", "what's my balance").
_ROUTER_POLITE = ("show", "check", "what are my", "what's my", "whats my", "what is my", "my")
_POLITE = "(?:" + alternation(POLITE_LEAD_EN + POLITE_TAIL_EN + POLITE_LEAD_ZH + POLITE_TAIL_ZH + _ROUTER_POLITE) + ")"
_NEGATION = re.compile(rf"\b(?:{alternation(NEGATIONS_EN)})\b|{alternation(NEGATIONS_ZH)}")


@dataclass
class Route:
    action: str
    paths: list[Path] = field(default_factory=list)
    text: str = ""


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s?!.。？！,，]+", " ", text).strip()


def _strip_polite(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = re.sub(rf"^(?:{_POLITE})\s*|\s*(?:{_POLITE})$", "", text).strip()
    return text


def route(message: str) -> Route:
    """Which action a typed message asks for. Only a short message that is essentially the
    command is routed; anything longer or negated goes to the chat."""
    paths = find_paths(message)
    if paths:
        return Route(UPLOAD, paths, message)
    text = _normalise(message)
    if not text or len(text) > 40 or _NEGATION.search(text):
        return Route(CHAT, text=message)
    core = _strip_polite(text)
    for action, phrases in _COMMANDS:
        if text in phrases or core in phrases:
            return Route(action, text=message)
    return Route(CHAT, text=message)


# --- paths typed, pasted or dropped -----------------------------------------------------------


def _candidate_path(token: str) -> Path | None:
    token = token.strip()
    if token.startswith("file://"):
        token = unquote(urlsplit(token).path)
    if not token:
        return None
    path = Path(token).expanduser()
    # any existing file counts: an unsupported one is then refused with the list of formats
    return path if path.suffix and path.is_file() else None


def find_paths(message: str) -> list[Path]:
    """Media files named in `message` as terminals paste them: quoted, backslash-escaped,
    `file://` URIs, or several at once. Returns [] unless every word is such a path, so a
    sentence that merely mentions a file name still goes to the chat."""
    text = message.strip()
    if not text:
        return []
    whole = _candidate_path(text.strip("'\""))  # one path with unescaped spaces
    if whole:
        return [whole]
    try:
        tokens = shlex.split(text)
    except ValueError:
        return []
    paths = [_candidate_path(t) for t in tokens]
    if tokens and all(paths):
        return [p for p in paths if p]
    return []


# --- replies that speak of a GUI ------------------------------------------------------------

@dataclass(frozen=True)
class SuggestedAction:
    key: str  # the app's command word
    label: str


_GUI_REWRITES: list[tuple[re.Pattern[str], str, SuggestedAction | None]] = [
    (re.compile(r"(?:click|press|tap|hit)(?: on)?(?: the)? [\"“']?export[\"”']?(?: button)?"
                r"|点击\s*[\"“]?导出[\"”]?(?:按钮)?", re.I), "type **export**", SuggestedAction("export", "Export")),
    (re.compile(r"(?:click|press|tap|hit)(?: on)?(?: the)? [\"“']?download[\"”']?(?: button)?", re.I),
     "type **export**", SuggestedAction("export", "Export")),
    (re.compile(r"preview(?:ed)? (?:it )?in the timeline|check the timeline|在时间线(?:中|上)?预览", re.I),
     "type **show tracks**", SuggestedAction("state", "Show tracks")),
    (re.compile(r"(?:click|press|tap)(?: on)?(?: the)? [\"“']?upload[\"”']?(?: button)?|点击\s*上传", re.I),
     "type **upload**", SuggestedAction("upload", "Upload")),
    (re.compile(r"drag(?:ging)?(?: and drop(?:ping)?| ?/ ?drop| & drop)?|拖拽|拖动", re.I),
     "describe the change in words (e.g. “move the title to 5s”)", None),
    (re.compile(r"\bopen(?: the)? (?:project|editor|timeline|panel)|打开(?:项目|编辑器|时间线)", re.I),
     "type **status**", SuggestedAction("state", "Show tracks")),
    (re.compile(r"(?:click|点击)(?: on)?(?: the)? ", re.I), "use ", None),
]


def rewrite_reply(text: str) -> tuple[str, list[SuggestedAction]]:
    """Rewrite GUI instructions into this app's commands; return the commands worth offering as
    one-key actions. Nothing is run: actions that cost credits need the user's own word."""
    actions: list[SuggestedAction] = []
    for pattern, replacement, action in _GUI_REWRITES:
        if pattern.search(text):
            text = pattern.sub(replacement, text)
            if action and action not in actions:
                actions.append(action)
    return text, actions
