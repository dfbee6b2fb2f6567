"""The Textual app: chat, track view, status bar, composer."""

import os

# Textual draws a change at most once per 1/TEXTUAL_FPS (default 60), read when textual is first
# imported. A key's echo waits for that tick; while a reply streams, a key that arrives during a
# draw waits for the draw and then the tick. At 240 the worst echo in benchmarks/bench_ui.py went
# from 46-54 ms (120) and more (60) to 34-43 ms; frames are still only drawn when something changed.
os.environ.setdefault("TEXTUAL_FPS", "240")
