"""The renderer: draft → plan (plan.py) → ffmpeg runs and the file written from them (run.py).

Smart rendering (smart.py) copies the stretches of picture that do not change; graph.py spells
the filter graphs, audio.py the mix and master, source.py reads what a clip's packets allow.
"""

from .graph import SAMPLE_RATE
from .plan import FONT, QUALITY_PRESETS, RenderError, RenderPlan, Step, build_plan
from .run import run_render, spawn_ffmpeg

__all__ = ["FONT", "QUALITY_PRESETS", "SAMPLE_RATE", "RenderError", "RenderPlan", "Step", "build_plan",
           "run_render", "spawn_ffmpeg"]
