"""The one table of the app's actions. Bindings, the footer, the command palette, the help screen
and every hint in the text ("press ctrl+e") come from it, so a key remapped in `config.toml`
(`[keys] export = "f5"`) shows remapped everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str  # the binding id: the name under [keys] in config.toml
    method: str  # the app's action_<method>
    key: str  # default key(s), comma-separated
    label: str  # the footer's word
    title: str  # the palette's and help screen's name
    help: str  # one sentence for the palette and the help screen
    footer: bool = False  # at 80 columns the footer holds six: the ones a new user needs
    palette: bool = True
    typed: str = ""  # what can be typed instead, for the help screen


ACTIONS: tuple[Action, ...] = (
    Action("export", "export", "ctrl+e", "Export", "Export", "Render the edit to an MP4 and save it",
           footer=True, typed="export, download, 导出"),
    Action("export_full", "export_full", "", "Export all", "Export, every frame re-encoded",
           "Where an edit changes part of the picture (a title, a trim), re-encode all of it, not only "
           "the changed stretches (for a player that stumbles on a smart-rendered file)",
           typed="export full, full export, 完整导出"),
    Action("upload", "upload", "ctrl+o", "Upload", "Upload clips",
           "Pick video, image or audio files to upload (space marks several)", footer=True,
           typed="upload, or a file path"),
    Action("preview", "preview", "ctrl+r", "Preview", "Preview", "A quick low-resolution render, shown here"),
    Action("tracks", "show_tracks", "ctrl+t", "Tracks", "Show tracks", "Read the timeline from the server",
           typed="status, show tracks, 状态"),
    Action("undo", "undo", "ctrl+z", "Undo", "Undo", "Take back the last edit (in the composer: its text)",
           footer=True, typed="undo"),
    Action("redo", "redo", "ctrl+g", "Redo", "Redo", "Put back the edit undo took back", typed="redo"),
    Action("credits", "credits", "ctrl+b", "Credits", "Credits", "Refresh the credit balance",
           typed="credits, balance, 积分"),
    Action("sessions", "sessions", "ctrl+l", "Sessions", "Sessions",
           "Earlier sessions: open, rename or delete one", footer=True),
    Action("new_session", "new_session", "ctrl+n", "New", "New session", "Start over with an empty timeline"),
    Action("copy", "copy_output", "ctrl+y", "Copy path", "Copy output path",
           "Copy the saved file's path to the clipboard (works over SSH)"),
    Action("follow", "follow", "ctrl+f", "Follow", "Follow chat", "Jump to the newest message and keep following"),
    Action("cancel", "cancel", "escape", "Stop", "Stop",
           "Stop listening to the reply (nothing is re-sent), or cancel a running export (asks first)"),
    Action("cancel_export", "cancel_export", "", "Cancel export", "Cancel export",
           "Stop the running render; nothing is saved (asks first)"),
    Action("help", "help", "f1", "Help", "Help", "Keys and example phrases (also ? in an empty composer)",
           footer=True),
    Action("quit", "quit", "ctrl+q", "Quit", "Quit", "Leave the app (asks first while a render runs)",
           footer=True, palette=False),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}

# Keys that only make sense inside a text box: when the composer has focus they belong to it.
NOT_PRIORITY = frozenset({"cancel"})


def bindings() -> list[Binding]:
    return [Binding(a.key, a.method, a.label, id=a.id, show=a.footer, priority=a.id not in NOT_PRIORITY)
            for a in ACTIONS if a.key]


def key_of(action_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The key that runs `action_id` now, as people type it (`ctrl+e`, `f5`, `esc`); the first
    when there are several; empty when it has none."""
    keys = (keymap or {}).get(action_id) or BY_ID[action_id].key
    if not keys:
        return ""
    first = keys.split(",")[0].strip()
    return {"escape": "esc", "question_mark": "?"}.get(first, first)


def keys_markdown() -> str:
    """The README's key table, from ACTIONS (a test keeps the README equal to it)."""
    rows = ["| key | action id | what it does | also typed |", "|---|---|---|---|",
            "| enter | | send the message | |", "| ↑ / ↓ | | previous / next message you sent | |"]
    for a in ACTIONS:
        key = key_of(a.id) if a.key else "(palette)"
        rows.append(f"| {key} | `{a.id}` | {a.title}: {a.help} | {a.typed} |")
    rows.append("| ctrl+p | | the command palette: every action above | |")
    return "\n".join(rows)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    return sorted(k for k in keymap if k not in BY_ID)


# Example phrases by family, for the help screen (what the local engine understands).
PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Music", ("add upbeat background music at 30%", "add lofi music", "another one", "no drums",
               "make it calmer", "remove the music")),
    ("Volume and fades", ("lower the music to 20%", "fade the music in over 2 seconds", "mute the clip",
                          "duck the music under speech")),
    ("Titles", ('add a title "Summer 2024" for 3 seconds', "put the title at the top", "make the title large")),
    ("Shape and length", ("make it vertical for Reels", "make it square", "trim it to 15 seconds",
                          "crop instead of blur")),
    ("Clips and your song", ("what clips do I have", "put beach first", "with half-second crossfades",
                             "use my song", "start the song at 0:45", "use the chorus", "sync to the beat")),
    ("Loudness", ("normalize to -16 LUFS",)),
    ("Taking back", ("undo", "redo")),
)
