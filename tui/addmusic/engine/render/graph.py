"""Filter-graph text: escaping, fitting a picture into the frame, titles, the audio mix.

Everything here returns strings; nothing runs. User text never enters a graph: titles go
through files with expansion off, and every option value is escaped for both of ffmpeg's parsers.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from addmusic.protocol.draft import Segment

from .fontwidth import text_width_em

SAMPLE_RATE = 48000
AUDIO_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
FILL_MODES = ("blur", "bars", "crop")

# Titles: the share of the frame kept clear on every side, and on tall (9:16) canvases the bands
# where TikTok, Reels and Shorts draw their own buttons and captions.
SAFE_MARGIN = 0.05
TALL_TOP_BAND, TALL_BOTTOM_BAND = 0.12, 0.25
TITLE_SIZES = {"small": 0.05, "medium": 0.075, "large": 0.1}  # of the frame's short side
EDGE_EM = 0.2  # border and shadow around the glyphs, and rounding
LINE_EM = 1.25
MAX_TITLE_LINES = 4
COLOUR_NAMES = frozenset({
    "white", "black", "red", "green", "blue", "yellow", "orange", "purple", "pink", "cyan",
    "magenta", "gray", "grey", "silver", "gold", "navy", "teal", "lime", "brown", "violet",
})
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


def escape_value(value: str) -> str:
    """First level: an option value as the filter's own option parser reads it."""
    return value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")


def escape_graph(text: str) -> str:
    """Second level: the filter's arguments as the filter-graph parser reads them."""
    for ch in "\\'[],;":
        text = text.replace(ch, "\\" + ch)
    return text


def filter_text(name: str, **options: object) -> str:
    """A filter with arbitrary option values (paths, expressions) escaped for both parsers, so
    a workdir with a quote or colon in its name cannot break or alter the graph."""
    args = ":".join(f"{key}={escape_value(str(value))}" for key, value in options.items())
    return f"{name}={escape_graph(args)}" if args else name


def even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def same_aspect(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return abs(a[0] / a[1] - b[0] / b[1]) <= 0.01 * (b[0] / b[1])


def rate(fps: float) -> str:
    frac = Fraction(fps).limit_denominator(1001)
    return f"{frac.numerator}/{frac.denominator}"


# ---------------------------------------------------------------------------------------------
# Picture


def fit_chain(src: str, size: tuple[int, int], out: tuple[int, int], tag: str, fill: str = "blur") -> str:
    """Scale a picture (`size`, square pixels) into the output frame, once. When the aspect
    differs: `blur` puts it between bands of a blurred, darkened copy of itself, `bars` pads with
    black, `crop` fills the frame and cuts the overflow."""
    w, h = out
    if same_aspect(size, out):
        return f"{src}scale={w}:{h},setsar=1"
    if fill == "bars":
        return (f"{src}scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
                f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1")
    if fill == "crop":
        return f"{src}scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
    return _blur_fill(src, size, out, tag)


def _blur_fill(src: str, size: tuple[int, int], out: tuple[int, int], tag: str) -> str:
    """The picture scaled once, and the bands beside it (above and below, or left and right) cut
    from a small blurred copy: the copy is made from the already scaled picture (a third of the
    source's pixels to read), blurred and darkened small (blurring a full-size frame costs ~50×
    more for the same look), and only the bands are scaled up (bilinearly: a blurred picture has
    nothing bicubic could keep sharper). The three are stacked, which copies rows: `overlay` would
    convert the picture to yuva420p and alpha-blend it (ffmpeg 9 inserts that scaler itself)."""
    w, h = out
    wide = size[0] * h >= size[1] * w  # wider than the frame: bands above and below
    pic_w, pic_h = (w, min(h, even(w * size[1] / size[0]))) if wide else (min(w, even(h * size[0] / size[1])), h)
    gap = (h - pic_h) if wide else (w - pic_w)
    first = gap // 4 * 2  # both bands even, for yuv420p
    second = gap - first
    if first < 2:  # a band under 2 pixels: stretching by that much cannot be seen
        return f"{src}scale={w}:{h},setsar=1"
    small_w, small_h = even(w / 8), even(h / 8)
    # boxblur refuses a radius of half the (chroma) plane or more: small frames get a smaller one
    radius = max(1, min(6, min(small_w, small_h) // 4 - 1))
    # the bands' share of the small copy (even, at least 2 rows or columns)
    scale_small = small_h / h if wide else small_w / w
    cut_first, cut_second = max(2, even(first * scale_small)), max(2, even(second * scale_small))
    if wide:
        bands = (f"crop={small_w}:{cut_first}:0:0,scale={w}:{first}",
                 f"crop={small_w}:{cut_second}:0:{small_h - cut_second},scale={w}:{second}")
    else:
        bands = (f"crop={cut_first}:{small_h}:0:0,scale={first}:{h}",
                 f"crop={cut_second}:{small_h}:{small_w - cut_second}:0,scale={second}:{h}")
    stack = "vstack" if wide else "hstack"
    return (
        f"{src}scale={pic_w}:{pic_h},format=yuv420p,setsar=1,split=2[fg{tag}][bg{tag}];"
        # cropped to the small copy's aspect first (a crop only moves pointers), so the scaler
        # reads no pixels it then throws away; `area` averages, so no detail flickers through
        f"[bg{tag}]crop=w='min(iw,ih*{small_w}/{small_h})':h='min(ih,iw*{small_h}/{small_w})',"
        f"scale={small_w}:{small_h}:flags=area,boxblur=luma_radius={radius}:luma_power=2,"
        f"eq=brightness=-0.08,split=2[bga{tag}][bgb{tag}];"
        f"[bga{tag}]{bands[0]}:flags=fast_bilinear[bgc{tag}];"
        f"[bgb{tag}]{bands[1]}:flags=fast_bilinear[bgd{tag}];"
        f"[bgc{tag}][fg{tag}][bgd{tag}]{stack}=inputs=3,setsar=1"
    )


def title_colour(seg: Segment) -> str:
    """The title's colour for drawtext; raises ValueError with the value when it is unknown."""
    raw = str(seg.extra.get("color") or "white").strip()
    if raw.lower() in COLOUR_NAMES:
        return raw.lower()
    if _HEX_COLOUR.match(raw):
        return "0x" + raw[1:]
    raise ValueError(raw)


def _wrap(paragraph: str, limit_em: float, font: Path) -> list[str]:
    """Greedy word wrap by measured width; a word wider than the limit gets a line of its own."""
    lines: list[str] = []
    for word in paragraph.split():
        if lines and text_width_em(f"{lines[-1]} {word}", font) <= limit_em:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def title_layout(text: str, size_key: str, frame: tuple[int, int], font: Path) -> tuple[list[str], int]:
    """Lines and font size so the title fits inside the safe area: wrapped at words to the
    width the size allows, then shrunk until the widest line (measured with the font's own
    advance widths, plus border and shadow) and all the lines fit."""
    w, h = frame
    avail_w = w * (1 - 2 * SAFE_MARGIN)
    avail_h = h * (1 - 2 * SAFE_MARGIN) if w >= h else h * (1 - TALL_TOP_BAND - TALL_BOTTOM_BAND)
    size = TITLE_SIZES.get(size_key or "medium", TITLE_SIZES["medium"]) * min(w, h)
    paragraphs = text.strip().splitlines() or [""]
    lines: list[str] = []
    for _ in range(12):
        lines = [line for paragraph in paragraphs for line in _wrap(paragraph, avail_w / size - EDGE_EM, font)]
        if len(lines) > MAX_TITLE_LINES:
            size *= 0.85
            continue
        widest = max(text_width_em(line, font) for line in lines) + EDGE_EM
        fit = min(size, avail_w / widest, avail_h / (LINE_EM * len(lines)))
        if fit >= size:
            break
        size = fit
    return lines, max(8, int(size))


def title_filter(seg: Segment, index: int, frame: tuple[int, int], font: Path, workdir: Path,
                 offset_ms: int = 0) -> tuple[str, Path]:
    """drawtext for one title, its times moved by -`offset_ms` (a re-encoded stretch starts its
    own clock at 0). The text goes through a file with expansion off, so quotes, colons,
    percent signs and backslashes render as typed and can never alter the graph."""
    w, h = frame
    lines, size = title_layout(seg.text, str(seg.extra.get("size") or "medium"), frame, font)
    path = workdir / f"title_{index}.txt"
    path.write_text("\n".join(lines), encoding="utf-8")  # no trailing newline: no empty last line
    start, end = (seg.start - offset_ms) / 1000, (seg.end - offset_ms) / 1000
    default_fade = min(300, seg.duration // 4)
    fade_in = (seg.fade_in or default_fade) / 1000
    fade_out = (seg.fade_out or default_fade) / 1000
    ramps = [f"(t-{start:.3f})/{fade_in:.3f}" if fade_in > 0 else "1",
             f"({end:.3f}-t)/{fade_out:.3f}" if fade_out > 0 else "1"]
    tall = h > w
    # a little inside the bands: drawtext's y is the top of the line box, rounded down
    top = TALL_TOP_BAND + 0.01 if tall else SAFE_MARGIN + 0.03
    bottom = 1 - (TALL_BOTTOM_BAND + 0.01 if tall else SAFE_MARGIN + 0.03)
    y = {"top": f"h*{top:.3f}", "bottom": f"h*{bottom:.3f}-text_h"}.get(
        seg.position.lower(), "(h-text_h)/2")
    shadow = max(1, size // 14)
    return filter_text(
        "drawtext",
        fontfile=str(font),
        textfile=str(path),
        expansion="none",
        fontsize=size,
        fontcolor=title_colour(seg),
        borderw=max(1, size // 24),
        bordercolor="black@0.45",
        shadowcolor="black@0.6",
        shadowx=shadow,
        shadowy=shadow,
        line_spacing=size // 4,
        text_align="C",
        # centred, and never nearer the edge than the margin even if a line ran wide
        x=f"max(w*{SAFE_MARGIN},min((w-text_w)/2,w*{1 - SAFE_MARGIN}-text_w-{shadow}))",
        y=y,
        alpha=f"clip(min({ramps[0]},{ramps[1]}),0,1)",
        enable=f"between(t,{start:.3f},{end:.3f})",
    ), path


# ---------------------------------------------------------------------------------------------
# Sound


def music_chain(src: str, seg: Segment, tag: str) -> str:
    """One music segment: cut from its in-point, levelled, faded, and placed on the timeline."""
    d = seg.duration
    fade_in, fade_out = seg.fade_in, seg.fade_out
    if fade_in + fade_out > d:  # fades longer than the segment: share it in proportion
        scale = d / (fade_in + fade_out)
        fade_in, fade_out = int(fade_in * scale), int(fade_out * scale)
    gain = seg.level / 100
    parts = [
        f"atrim=start={seconds(seg.source_in)}:duration={seconds(d)}",
        "asetpts=PTS-STARTPTS",
        AUDIO_FORMAT,
        f"volume={gain:.4f}",
    ]
    if fade_in > 0:
        parts.append(f"afade=t=in:st=0:d={seconds(fade_in)}")
    if fade_out > 0:
        parts.append(f"afade=t=out:st={seconds(d - fade_out)}:d={seconds(fade_out)}")
    if seg.start > 0:
        parts.append(f"adelay=delays={seg.start}:all=1")
    return f"{src}{','.join(parts)}[m{tag}]"


def mix(labels: list[str], out: str) -> str:
    """amix without normalisation: amix would otherwise divide every input by the input count."""
    if len(labels) == 1:
        return f"{labels[0]}anull[{out}]"
    return f"{''.join(labels)}amix=inputs={len(labels)}:duration=longest:normalize=0[{out}]"
