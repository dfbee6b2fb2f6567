"""Turning an arrangement into timed, panned note events for the mix: chords, strums,
arpeggios, bass lines, the melody from two motifs, drums with fills, and the final cadence."""

from __future__ import annotations

import numpy as np

from .arrange import Bar, Motif, motif, vary
from .instruments import DRUMS, Instruments
from .mix import Event, pan_gains
from .recipes import MODES, Part, Recipe

VELOCITY = {"X": 118, "x": 96, "o": 80, "g": 52}
ROLES = ("drums", "bass", "harmony", "melody")


def chord_pcs(recipe: Recipe, root: int, degree: int, size: int | None = None) -> list[int]:
    scale = MODES[recipe.mode]
    out = []
    for i in range(size or recipe.chord_size):
        d = degree + 2 * i
        out.append((root + scale[d % 7] + 12 * (d // 7)) % 12)
    return out


def voice(pcs: list[int], center: int, inversion: int = 0) -> list[int]:
    """Close voicing around ``center``; an inversion shifts the centre so repeats sound new."""
    c = center + 3 * inversion
    notes = []
    for pc in pcs:
        m = c + ((pc - c) % 12)
        if m - c > 6:
            m -= 12
        notes.append(m)
    return sorted(set(notes))


def grid(rhythm: str) -> list[tuple[int, int, str]]:
    out = []
    for i, ch in enumerate(rhythm):
        if ch not in "-.":
            j = i + 1
            while j < len(rhythm) and rhythm[j] == "-":
                j += 1
            out.append((i, j - i, ch))
    return out


class Score:
    def __init__(self, recipe: Recipe, key_root: int, bpm: float, sr: int, layers: dict[str, float],
                 rng: np.random.Generator) -> None:
        self.r = recipe
        self.root = key_root
        self.beat = 60.0 / bpm
        self.step = self.beat / 4.0
        self.sr = sr
        self.layers = layers
        self.rng = rng
        self.inst = Instruments(sr, np.random.default_rng(rng.integers(2**32)))
        self.events: list[Event] = []
        self.hits: list[float] = []
        self.body_end = 0.0
        self.motifs: dict[str, Motif] = {}
        self.dynamics = 1.0  # the current bar's level from the energy curve
        self.bar_starts: list[float] = []  # seconds; bars may differ in length (sections on given times)

    # -------------------------------------------------------------- timing and adding
    def when(self, bar: int, s: float) -> float:
        start = self.bar_starts[bar] if bar < len(self.bar_starts) else bar * 4 * self.beat
        t = start + s * self.step
        if int(s) % 2 == 1:
            t += (self.r.swing - 0.5) * 2 * self.step
        return t

    def add(self, t: float, wave: np.ndarray, role: str, gain_db: float, pan: float, send: float,
            double: bool = False, humanize: bool = True) -> None:
        level = self.layers.get(role, 1.0)
        if t >= self.body_end - 1e-6 and humanize:
            return
        # the random draws come before a dropped layer is skipped: the other layers play exactly
        # as they do with it (the same timing as the piece's stems without it, stems.py)
        if humanize and self.r.humanize_ms:
            jitter = min(0.02, max(-0.02, float(self.rng.normal(0.0, self.r.humanize_ms / 2000.0))))
            t = max(0.0, t + jitter)
        delay = int(self.sr * (0.011 + 0.006 * self.rng.random())) if double else 0
        if level <= 0.0:
            return
        g = level * self.dynamics * 10.0 ** (gain_db / 20.0)
        onset = int(round(t * self.sr))
        if double:
            # the part twice, a few ms apart on opposite sides: wide, like a double-tracked take
            gl, gr = pan_gains(-0.9 if pan <= 0 else 0.9)
            self.events.append(Event(onset, wave, g * gl * 0.75, g * gr * 0.75, g * send, role))
            gl, gr = pan_gains(0.9 if pan <= 0 else -0.9)
            self.events.append(Event(onset + delay, wave, g * gl * 0.65, g * gr * 0.65, 0.0, role))
        else:
            gl, gr = pan_gains(pan)
            self.events.append(Event(onset, wave, g * gl, g * gr, g * send, role))

    def velocity(self, bar: Bar, accent: bool) -> float:
        v = 64 + 48 * bar.energy + (10 if accent else 0) + float(self.rng.normal(0.0, 5.0))
        return min(127.0, max(30.0, v))

    # -------------------------------------------------------------- parts
    def play_bar(self, bi: int, bar: Bar) -> None:
        # the energy curve is heard in level too: 7 dB from the quietest bar to the fullest
        self.dynamics = 10.0 ** (7.0 * (bar.energy - 1.0) / 20.0)
        pcs = chord_pcs(self.r, self.root, bar.degree)
        limit = bar.beats * 4
        for pi, part in enumerate(self.r.parts):
            if bar.energy < part.min_energy:
                continue
            lifted = bar.kind in ("lift", "final") or bar.energy >= 0.88
            rhythm = part.lift if part.lift and lifted else part.rhythm
            if part.alt and bi % 2 == 1 and (bar.kind in ("lift", "final") or self.rng.random() < 0.5):
                rhythm = part.alt
            if part.play == "melody":
                self.melody(bi, bar, part, pcs, pi)
                continue
            for s, length, ch in grid(rhythm):
                if s >= limit:
                    continue
                length = min(length, limit - s)
                vel = self.velocity(bar, s % 8 == 0)
                gate = length * self.step * 0.95
                t = self.when(bi, s)
                if part.play == "bass":
                    # a tonic pedal under the intro: the key is heard before the harmony moves
                    bass_pcs = [self.root % 12, (self.root + MODES[self.r.mode][2]) % 12, (self.root + 7) % 12] \
                        if bar.kind == "intro" else pcs
                    self.add(t, self.inst.note(part.instrument, self.bass_note(ch, bass_pcs, part.center), vel, gate),
                             "bass", part.level_db, part.pan, part.send)
                elif part.play == "arp":
                    chord = voice(chord_pcs(self.r, self.root, bar.degree), part.center,
                                  (bar.repeat + bar.index // 4) % 2)
                    idx = int(ch) if ch.isdigit() else 0
                    m = chord[idx % len(chord)] + 12 * (idx // len(chord))
                    self.add(t, self.inst.note(part.instrument, m, vel * 0.9, max(gate, 2 * self.step)),
                             part.role, part.level_db, part.pan, part.send, part.double)
                elif part.play == "strum":
                    chord = voice(pcs, part.center, (bar.repeat + bar.index // 4) % 3)
                    chord = [chord[0] - 12] + chord + [chord[0] + 12]
                    up = s % 4 == 2
                    for k, m in enumerate(chord[::-1] if up else chord):
                        self.add(t + k * 0.009, self.inst.note(part.instrument, m, vel * (0.75 if up else 1.0), gate),
                                 part.role, part.level_db - 4.0, part.pan, part.send, part.double)
                else:  # block chord, or the key's tonic and fifth held under everything
                    if part.play == "drone":
                        chord = voice([self.root % 12, (self.root + 7) % 12], part.center)
                    else:
                        chord = voice(pcs, part.center, (bar.repeat + bar.index // 4) % 3)
                    for m in chord:
                        self.add(t, self.inst.note(part.instrument, m, vel, gate), part.role,
                                 part.level_db - 3.0, part.pan, part.send, part.double)

    def bass_note(self, ch: str, pcs: list[int], center: int) -> int:
        root = center - 6 + ((pcs[0] - (center - 6)) % 12)
        if ch == "5":
            return root + (pcs[2] - pcs[0]) % 12
        if ch == "3":
            return root + (pcs[1] - pcs[0]) % 12
        if ch == "8":
            return root + 12
        return root

    def melody(self, bi: int, bar: Bar, part: Part, pcs: list[int], pi: int) -> None:
        if bar.kind == "intro":
            return
        name = "B" if bar.kind in ("lift", "final") else "A"
        if name not in self.motifs:
            self.motifs[name] = motif(np.random.default_rng(self.rng.integers(2**32)), self.r.melody_density)
        phrase = bar.index // 2
        key = f"{name}{pi}:{bar.section}:{phrase}"
        if key not in self.motifs:  # every phrase after the first is a varied repeat
            amount = 0.0 if phrase == 0 and bar.repeat == 0 else 0.35 + 0.15 * (phrase % 2)
            self.motifs[key] = vary(self.motifs[name], np.random.default_rng(self.rng.integers(2**32)), amount)
        m = self.motifs[key]
        if bar.kind == "breakdown" and bar.index % 2 == 1:
            return  # a sparser melody in the breakdown
        scale = MODES[self.r.mode]
        octave = 12 if bar.kind == "final" and bar.repeat == 0 and pi == self._first_melody() else 0
        center = part.center + octave
        register = [self.root + o + 12 * k for k in range(11) for o in scale]
        register = [r for r in register if abs(r - center) <= 9]
        cur = getattr(self, "_mel_pitch", {}).get(pi, min(register, key=lambda r: abs(r - center)))
        limit = bar.beats * 4
        last_step = max(s for s, _, _ in m)
        for s2, length, move in m:
            if s2 // 16 != bar.index % 2:
                continue
            s = s2 % 16
            if s >= limit:
                continue
            i = min(range(len(register)), key=lambda j: abs(register[j] - cur))
            i = int(np.clip(i + move, 0, len(register) - 1))
            pitch = register[i]
            if s % 8 == 0:
                pitch = min((r for r in register if r % 12 in pcs), key=lambda r: abs(r - pitch))
            if s2 == last_step:
                # phrases end at home: on the tonic when the chord holds it, else on the chord's root
                home = self.root % 12 if self.root % 12 in pcs else pcs[0]
                pitch = min((r for r in register if r % 12 == home), key=lambda r: abs(r - pitch))
                if bar.index == bar.size - 1:
                    length = 16 - s
            cur = pitch
            vel = self.velocity(bar, s % 4 == 0) * 0.95
            self.add(self.when(bi, s), self.inst.note(part.instrument, pitch, vel,
                                                      min(length, limit - s) * self.step * 0.9),
                     "melody", part.level_db, part.pan, part.send, part.double)
        self._mel_pitch = {**getattr(self, "_mel_pitch", {}), pi: cur}

    def _first_melody(self) -> int:
        return next(i for i, p in enumerate(self.r.parts) if p.play == "melody")

    def drums(self, bi: int, bar: Bar, next_kind: str | None) -> None:
        if bar.energy < 0.38:
            return
        kind = {"intro": "break", "main": "main", "lift": "lift", "final": "lift", "breakdown": "break"}[bar.kind]
        if bar.energy < 0.6:
            kind = "break"  # quiet passages (and "calmer") get the sparse groove
        elif bar.energy < 0.8 and kind == "lift":
            kind = "main"
        elif bar.energy >= 0.88:
            kind = "lift"  # and loud ones ("more energy") the busy one
        groove = self.r.grooves["fill"] if bar.fill and self.r.grooves["fill"] else self.r.grooves[kind]
        limit = bar.beats * 4
        for name, pattern in groove.items():
            trim, pan = DRUMS[name]
            for s, ch in enumerate(pattern[:limit]):
                if ch not in VELOCITY:
                    continue
                vel = VELOCITY[ch] * (0.75 + 0.25 * bar.energy) + float(self.rng.normal(0.0, 6.0))
                if name in ("hat", "shaker", "ride") and ch != "X" and self.rng.random() < 0.08:
                    continue  # a hat left out now and then: a drummer, not a loop
                self.add(self.when(bi, s), self.inst.drum(name, min(127.0, max(20.0, vel))), "drums",
                         self.r.drum_level_db, pan, 0.06 if name.startswith(("kick", "hat")) else 0.12)
        if bar.index == 0 and bar.kind in ("lift", "final", "main") and bar.energy >= 0.6:
            t = self.when(bi, 0)
            self.add(t, self.inst.drum("crash", 110), "drums", self.r.drum_level_db - 2.0, -0.3, 0.2)
            self.hits.append(round(t, 4))

    def ending(self, tail_s: float, sting: bool) -> None:
        """The final tonic chord on the last beat, ringing out through the tail."""
        t = self.body_end
        tonic = chord_pcs(self.r, self.root, 0, 3)
        gate = min(max(tail_s * 0.35, 0.15), 1.5)
        rel = max(tail_s * 0.5, 0.1)
        for part in self.r.parts:
            if part.play in ("block", "strum", "arp", "drone"):
                for k, m in enumerate(voice(tonic, part.center)):
                    w = self.inst.note(part.instrument, m, 96, gate, rel)
                    self.add(t + k * 0.012, w, part.role, part.level_db - 3.0, part.pan, part.send,
                             part.double, humanize=False)
            elif part.play == "bass":
                w = self.inst.note(part.instrument, self.bass_note("R", tonic, part.center), 100, gate, rel)
                self.add(t, w, "bass", part.level_db, part.pan, part.send, humanize=False)
        if any(self.r.grooves.get(k) for k in ("main", "lift")) and not sting:
            self.add(t, self.inst.drum("kick", 110), "drums", self.r.drum_level_db, 0.0, 0.05, humanize=False)
            self.add(t, self.inst.drum("crash", 100), "drums", self.r.drum_level_db - 3.0, -0.3, 0.2,
                     humanize=False)
        self.hits.append(round(t, 4))
