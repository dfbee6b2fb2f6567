"""The Textual app: chat, track view, status bar, composer."""

import os

# Textual draws a change at most once per 1/TEXTUAL_FPS (default 60), read when textual is first
# imported. A key's echo waits for that tick, and while a reply streams a key that arrives during a
# draw waits for the draw and then the tick. `benchmarks/bench_ui.py --echo-only`, 4 runs each:
# worst echo while streaming 54-63 ms at 60, 37-44 ms at 240. Frames are still drawn only when
# something changed.
os.environ.setdefault("TEXTUAL_FPS", "240")
