"""The pieces together, read back from a rendered file: three generated clips cut to the beats of
a generated song fitted to the reel, rendered by ffmpeg; the cuts found in the file sit on the
beats found in the file's own sound, and the sound fits the picture and fades out."""

from __future__ import annotations

import subprocess

import av
import imageio_ffmpeg
import numpy as np
from clipgen import make_clip
from songgen import make_song, write_wav

from addmusic.engine.analysis.beats import analyse, analyse_file
from addmusic.engine.analysis.scenes import detect_cuts
from addmusic.engine.beatsync import ClipSpan, snap_to_beats
from addmusic.engine.songfit import plan_fit, render_fit

FPS = 30
SR = 48000


def test_synced_reel_read_back_from_the_rendered_file(tmp_path) -> None:
    sources = []
    for k, src in enumerate(("testsrc2", "smptebars", "mandelbrot")):
        sources.append(tmp_path / f"clip{k}.mp4")
        make_clip(sources[-1], shots=((src + "=size=320x180:rate={fps}", 6.0),), fps=FPS)
    clips, t = [], 0.0
    for media_in, duration in ((0.0, 3.37), (1.0, 4.81), (1.0, 3.12)):
        clips.append(ClipSpan(start=t, duration=duration, media_in=media_in, media_duration=6.0))
        t += duration
    timeline = t
    song = make_song(120, 12, seed=7, sr=SR)
    analysis = analyse(song.samples, SR)
    plan = plan_fit(analysis, timeline, sample_rate=SR)
    beats_out = plan.output_times(analysis.beats)
    synced, moves = snap_to_beats(clips, beats_out, fps=FPS)
    assert all(m.beat is not None for m in moves)
    assert max(abs(m.delta) for m in moves) <= 0.25 + 1e-9  # half a beat at 120 bpm

    music = tmp_path / "music.wav"
    write_wav(music, render_fit(song.samples, plan)[:, 0], SR)
    chains, inputs = [], []
    for k, clip in enumerate(synced):
        inputs += ["-i", str(sources[k])]
        chains.append(f"[{k}:v]trim=start={clip.media_in:.6f}:duration={clip.duration:.6f},setpts=PTS-STARTPTS[v{k}]")
    chains.append("".join(f"[v{k}]" for k in range(len(synced))) + f"concat=n={len(synced)}:v=1:a=0[v]")
    out = tmp_path / "reel.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *inputs, "-i", str(music), "-filter_complex",
                    ";".join(chains), "-map", "[v]", "-map", f"{len(synced)}:a", "-c:v", "libx264", "-preset",
                    "ultrafast", "-c:a", "aac", "-b:a", "192k", str(out)], check=True)

    # the picture: cuts where the synced plan put them, to the frame
    found = detect_cuts(out)
    planned = [c.start for c in synced[1:]]
    assert len(found.cuts) == len(planned)
    assert np.all(np.abs(np.asarray(found.cuts) - planned) <= 1 / FPS + 1e-6)
    assert abs(found.duration - timeline) <= 1 / FPS + 1e-6
    # the sound: the beats heard in the file are under the cuts seen in the file
    heard = analyse_file(out)
    for cut in found.cuts:
        assert np.min(np.abs(heard.beats - cut)) <= 1 / FPS + 0.035
    # and it is as long as the picture and fades out at the end
    with av.open(str(out)) as container:
        pcm = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    assert abs(len(pcm) / SR - timeline) <= 1 / FPS
    assert np.abs(pcm[-2400:]).max() < 0.1 * np.abs(pcm[-int(3.5 * SR):-int(2.5 * SR)]).max()
