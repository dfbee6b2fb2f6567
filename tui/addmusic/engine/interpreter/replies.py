"""Every sentence the interpreter says, in English and Chinese: one table, so the wording lives in
one place and a reply is always in the message's language."""

from __future__ import annotations

from typing import Any

from addmusic.protocol.draft import format_seconds

REPLIES: dict[str, tuple[str, str]] = {
    # general
    "need_video": ("Upload a clip first — there is no video to edit yet.", "请先上传视频片段。"),
    "no_music": ("There is no music yet — say 'add background music' first.", "还没有音乐——请先说“加背景音乐”。"),
    "not_understood": ("I didn't understand {quoted}.", "我没看懂{quoted}。"),
    "skipped": ("I skipped {quoted}: I didn't understand it, so I left that part alone.",
                "我跳过了{quoted}：没看懂，这部分保持不变。"),
    "try": ("You can say, for example: {examples}.", "可以这样说：{examples}。"),
    "unsafe_partial": ("I didn't change anything, because I couldn't understand all of it and the rest depends on it.",
                       "因为有一部分没看懂，而其余部分依赖它，所以我什么都没改。"),
    "negated": ("Okay, I'll leave that as it is.", "好的，保持不变。"),
    "export_hint": ("When you're happy with it, send 'export' on its own and I'll render it.",
                    "满意后单独发送“导出”即可渲染。"),
    # keep / cut
    "kept": ("Kept {span} of the video ({length}s long now).", "已保留视频的{span}（现在时长{length}秒）。"),
    "cut": ("Cut {span} out of the video ({length}s long now).", "已剪掉视频的{span}（现在时长{length}秒）。"),
    "out_of_range": ("The clip is {length} s long, so I can't use {span}. Nothing was cut.",
                     "视频只有{length}秒，无法使用{span}，没有剪辑。"),
    "cut_all": ("That would remove the whole video, so I left it as it is.", "这样会删掉整个视频，所以保持不变。"),
    "trim_noop": ("The video is already {length}s long.", "视频已经是{length}秒了。"),
    # music
    "added_music": ("Added {label} background music at {volume}% ({span}).", "已添加{label}背景音乐，音量{volume}%（{span}）。"),
    "replaced_music": ("Replaced the music with {label} at {volume}% ({span}).", "已把音乐换成{label}，音量{volume}%（{span}）。"),
    "new_take": ("Composed a new {label} variation ({span}, {volume}%).", "已换一首新的{label}音乐（{span}，音量{volume}%）。"),
    "closest": (' — {label} is the closest style I have to "{mood}"', "（{label}是与“{mood}”最接近的风格）"),
    "instrumental": (" (all the music I make is instrumental)", "（我生成的音乐都是纯音乐）"),
    "removed_music": ("Removed the background music.", "已删除背景音乐。"),
    "no_music_to_remove": ("There is no music to remove.", "没有可以删除的音乐。"),
    "volume_set": ("Set the music volume to {volume}%.", "音乐音量已设为{volume}%。"),
    "volume_down": ("Lowered the music to {volume}%.", "音乐已调低到{volume}%。"),
    "volume_up": ("Raised the music to {volume}%.", "音乐已调高到{volume}%。"),
    "volume_same": ("The music is already at {volume}%.", "音乐已经是{volume}%了。"),
    "muted": ("Muted the music (kept at 0%, so you can bring it back).", "已将音乐静音（音量0%，可以再调回来）。"),
    "tempo": ("The music now plays at {bpm} BPM.", "音乐速度已设为{bpm} BPM。"),
    "music_span": ("The music now plays {span}.", "音乐现在在{span}播放。"),
    "music_span_bad": ("The video is {length} s long, so the music can't play {span}.", "视频只有{length}秒，音乐无法在{span}播放。"),
    "energy": ("The music's energy is now {energy}.", "音乐的能量已设为{energy}。"),
    "layers": ("{role} now at {level}%.", "{role}现在是{level}%。"),
    # clip sound
    "clip_volume": ("The clip's own sound is now at {volume}%.", "视频原声现在是{volume}%。"),
    "clip_muted": ("Muted the clip's own sound.", "已将视频原声静音。"),
    "clip_sound_set": ("{names}: its own sound is now at {volume}%.", "{names}的原声现在是{volume}%。"),
    "clip_sound_muted": ("Muted {names}'s own sound.", "已将{names}的原声静音。"),
    "clip_sound_others": (" The other clips keep theirs.", "其他片段不变。"),
    "clip_sound_same": ("{names} is already at {volume}%, so nothing changed.", "{names}已经是{volume}%，没有改动。"),
    "clip_sound_none": ("{names} has no sound of its own, so there is nothing to change. Nothing changed.",
                        "{names}没有声音，所以没有改动。"),
    "clip_sound_off_reel": ("{name} isn't in the reel now, so its sound plays nowhere. Nothing changed.",
                            "{name}现在不在成片里，没有改动。"),
    "clip_kept": ("The clip's own sound stays at 100%.", "视频原声保持100%。"),
    "only_music": ("Only the music plays now: the clip's own sound is muted.", "现在只有音乐：视频原声已静音。"),
    "only_original": ("Only the clip's own sound plays now: the music is muted.", "现在只有视频原声：音乐已静音。"),
    # ducking, fades
    "duck_on": ("The music now ducks under speech by {db} dB.", "有人说话时音乐会自动压低{db} dB。"),
    "duck_off": ("The music no longer ducks under speech (the music stays).", "音乐不再随人声压低（音乐保留）。"),
    "fade_in": ("The music now fades in over {fi}s.", "音乐现在在开头{fi}秒淡入。"),
    "fade_out": ("The music now fades out over the last {fo}s.", "音乐现在在最后{fo}秒淡出。"),
    "fade_both": ("The music now fades in over {fi}s and out over {fo}s.", "音乐现在{fi}秒淡入、{fo}秒淡出。"),
    "fade_off": ("Turned the music's fades off.", "已取消音乐的淡入淡出。"),
    # several clips (families/clips.py)
    "clips_list": ("Your clips: {items}. The reel is {length} s long.", "你的素材：{items}。成片时长{length}秒。"),
    "clips_none": ("There are no clips yet — upload one first.", "还没有素材，请先上传。"),
    "clips_only": ("The reel now uses only {names} ({length} s).", "成片现在只用{names}（{length}秒）。"),
    "clips_only_same": ("The reel already uses only {names}.", "成片已经只用{names}了。"),
    "clips_dropped": ("Dropped {names}; the reel is now {reel} ({length} s).", "已去掉{names}；成片现在是{reel}（{length}秒）。"),
    "clips_all": ("Using all {count} clips at full length, in upload order: {reel} ({length} s).",
                  "已用上全部{count}个素材（完整长度，按上传顺序）：{reel}（{length}秒）。"),
    "clips_all_same": ("All {count} clips are already in, at full length, in upload order.", "全部{count}个素材已经按上传顺序完整用上了。"),
    "clips_back": ("Brought back {names}: {reel} ({length} s).", "已把{names}加回来：{reel}（{length}秒）。"),
    "clips_already": ("{names} is already in the reel ({reel}); to use only it, say “use only {name}”.",
                      "{names}已经在成片里了（{reel}）；只用它请说“只用{name}”。"),
    "clips_order": ("New order: {reel} ({length} s).", "新顺序：{reel}（{length}秒）。"),
    "clips_order_same": ("That is already the order: {reel}.", "顺序已经是这样了：{reel}。"),
    "clips_not_on_reel": ("{name} isn't in the reel now ({reel}); say “bring back {stem}” first. Nothing changed.",
                          "{name}现在不在成片里（{reel}），请先说“把{stem}加回来”。没有改动。"),
    "clips_unknown": ("I couldn't find a clip matching “{phrase}”, so nothing changed. Your clips: {items}.",
                      "找不到“{phrase}”这个素材，没有改动。你的素材：{items}。"),
    "clips_ambiguous": ("“{phrase}” could be {names} — say which one (by name or number). Nothing changed.",
                        "“{phrase}”可能是{names}——请说清是哪一个（名字或序号）。没有改动。"),
    "clips_range": ("There are only {count} clips: {items}. Nothing changed.", "只有{count}个素材：{items}。没有改动。"),
    "clips_no_picture": ("That would leave no picture in the reel, so I left it as it is.", "这样成片里就没有画面了，所以保持不变。"),
    "clips_not_next": ("{a} and {b} are not next to each other ({reel}), so I left the order as it is.",
                       "{a}和{b}不相邻（{reel}），所以顺序保持不变。"),
    "clips_one": ("There is only one clip in the reel, so there is no order to change.", "成片里只有一个片段，没有顺序可调。"),
    "music_follows": (" The music now ends at {end} s.", "音乐现在在{end}秒结束。"),
    "title_past_end": (' The title "{text}" was past the new end, so it went too.', "标题“{text}”超出了新的结尾，也一并删除了。"),
    "canvas_follows": (" The output follows the first clip: {width}x{height} {shape} now (say “make it 16:9” or “make it vertical” to set it).",
                       "成片画面跟随第一个片段，现在是{width}x{height}{shape}（可以说“改成横屏”或“改成竖屏”来指定）。"),
    "crossfade": ("Clips now crossfade over {xf} s (the reel is {length} s).", "片段之间现在有{xf}秒的交叉淡化转场（成片{length}秒）。"),
    "crossfade_off": ("Hard cuts between clips now, no crossfades ({length} s).", "片段之间改为直接切换，不用转场（成片{length}秒）。"),
    "crossfade_same": ("Clips already crossfade over {xf} s.", "片段之间已经是{xf}秒的转场了。"),
    "crossfade_off_already": ("There are no crossfades: the clips cut straight to each other.", "片段之间本来就没有转场，是直接切换的。"),
    "crossfade_clamped": (" ({asked} s is outside 0.1–2 s, so I used {xf} s.)", "（{asked}秒超出0.1–2秒的范围，已改用{xf}秒。）"),
    "crossfade_one": ("Crossfades go between clips, and the reel has only one clip, so nothing changed.",
                      "转场用在片段之间，而成片里只有一个片段，所以没有改动。"),
    "still_length": ("{name} now shows for {secs} s (the reel is {length} s).", "{name}现在停留{secs}秒（成片{length}秒）。"),
    "still_zoom": ("{name} now has a slow zoom.", "{name}现在有缓慢推近效果。"),
    "still_zoom_off": ("{name} no longer zooms.", "{name}已取消缩放效果。"),
    "still_none": ("There is no photo in the reel; a photo's length and slow zoom are set on photos.",
                   "成片里没有照片；停留时长和缓慢推近只用于照片。"),
    "still_video": ("{name} is a video clip: a length and a slow zoom are set on photos. To shorten a clip, say e.g. “cut the first 2 seconds”.",
                    "{name}是视频片段：停留时长和缓慢推近只用于照片。要剪短视频，可以说“剪掉前2秒”。"),
    "still_range": ("A photo can show from 0.5 to 60 s, so I left {name} as it is.", "照片可以停留0.5到60秒，所以{name}保持不变。"),
    # titles
    "title_added": ('Added the title "{text}" at the {position} ({span}).', "已添加标题“{text}”，位置：{position}（{span}）。"),
    "title_updated": ('Updated the title "{text}": {position}, {span}.', "已更新标题“{text}”：{position}，{span}。"),
    "title_styled": ('The title "{text}" is now {what}.', "标题“{text}”现在是{what}。"),
    "title_need_text": ('What should the title say? Put the words in quotes, e.g. add a title "Summer 2024".',
                        "标题要写什么？请把文字放在引号里，例如：加标题“夏日回忆”。"),
    "no_titles": ("There are no titles yet.", "还没有标题。"),
    "no_such_title": ('There is no title "{text}".', "没有“{text}”这个标题。"),
    "title_removed": ('Removed the title "{text}".', "已删除标题“{text}”。"),
    "titles_removed": ("Removed {count} titles.", "已删除{count}个标题。"),
    # shape, resolution, loudness
    "canvas": ("The video is now {aspect} {name} ({width}x{height}){fill}.", "画面已改为{aspect}{name}（{width}x{height}）{fill}。"),
    "fill": ("The clip now fills the frame with {fill}.", "画面填充方式：{fill}。"),
    "aspect_unknown": ("I can make it 9:16, 16:9, 1:1, 4:5 or 4:3.", "可选的画面比例：9:16、16:9、1:1、4:5、4:3。"),
    "resolution": ("The export will be {name} ({width}x{height}).", "导出分辨率：{name}（{width}x{height}）。"),
    "no_4k": ("The source is only {height}p, so 4K would just be upscaled; I left the resolution as it is.",
              "原视频只有{height}p，4K只是放大，所以分辨率保持不变。"),
    "loudness": ("The export will be mastered to {lufs} LUFS.", "导出时响度会标准化到{lufs} LUFS。"),
    # questions
    "help": ("I add music to your clip and shape it for where it's going.", "我可以给视频配乐，并按发布平台调整画面。"),
    "now": ("Right now: {summary}.", "现在：{summary}。"),
    "how_own_song": ("To use your own song, upload the audio file (mp3, wav, m4a or aac) like a clip, then say 'use my song'.",
                     "想用自己的歌，像上传视频一样上传音频文件（mp3、wav、m4a、aac），然后说“用我的歌”。"),
    "how_export": ("Send 'export' on its own and I'll render an MP4.", "单独发送“导出”，我会渲染一个MP4。"),
    "can_yes": ("Yes — just say it as an instruction, e.g. {example}.", "可以——直接说出来就行，例如：{example}。"),
    "cannot": ("I can't do that here; I work on music, titles, length, shape and sound.",
               "这个我做不到；我能处理音乐、标题、时长、画面比例和声音。"),
    # history
    "undone": ("Undid {what}.", "已撤销：{what}。"),
    "redone": ("Redid {what}.", "已重做：{what}。"),
    "nothing_to_undo": ("There is nothing to undo.", "没有可以撤销的操作。"),
    "nothing_to_redo": ("There is nothing to redo.", "没有可以重做的操作。"),
    "started_over": ("Started over: only your uploaded clips are left.", "已全部重来：只保留上传的视频片段。"),
    "no_such_step": ("I couldn't find an edit about {target} to go back before.", "找不到关于{target}的操作。"),
}

POSITION_NAMES = {"top": ("top", "顶部"), "bottom": ("bottom", "底部"), "center": ("center", "居中")}

# Things to try, named back when a clause was not understood or a question was asked.
EXAMPLES = {
    "en": ('"add upbeat music at 30%"', '"cut the first 3 seconds"', '"add a title \'Summer 2024\' at the top"',
           '"make it vertical for TikTok"', '"undo"'),
    "zh": ("“加欢快的背景音乐”", "“剪掉前3秒”", "“加标题‘夏日回忆’”", "“改成竖屏”", "“撤销”"),
}


def say(key: str, lang: str, **values: Any) -> str:
    en, zh = REPLIES[key]
    return (zh if lang == "zh" else en).format(**values)


def span(start_ms: int, end_ms: int) -> str:
    return f"{format_seconds(start_ms)}-{format_seconds(end_ms)}s"


def secs(ms: int) -> str:
    return format_seconds(ms)


def examples(lang: str, count: int = 3) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(EXAMPLES[lang][:count])


def position_name(pos: str, lang: str) -> str:
    return POSITION_NAMES.get(pos, (pos, pos))[lang == "zh"]
