"""Whisper speech recognition through faster-whisper (CTranslate2), behind the SpeechEngine protocol.

Whisper is not a streaming recogniser, so live partial text comes from re-decoding the growing
utterance at most about once a second and committing the words two consecutive decodes agree on
(LocalAgreement-2, as in whisper_streaming, Machacek et al. 2023). Committed words never change;
words a later decode puts after the last committed word's end are the new hypothesis. The uncommitted
tail is what the UI shows greyed. finish() decodes the whole utterance once more, with word
timings and probabilities, and detects the language when asked to.

Whisper invents text out of silence ("Thank you."), so nothing is decoded unless the Silero VAD
that faster-whisper ships finds speech, and segments that look like hallucinations (high
no-speech probability with low confidence, very low average log-probability, or repetitive text)
are dropped.

The model loads from a local folder in the constructor; faster-whisper never downloads when given
a folder that holds tokenizer.json (checked here), and nothing is read from the environment.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from slm_desktop.audio.resample import int16_to_float
from slm_desktop.engines.base import PartialText, Transcript, Word
from slm_desktop.errors import ModelError
from slm_desktop.store.validate import is_whisper_folder

log = logging.getLogger(__name__)

SILENCE_DBFS = -55.0  # no 20 ms frame louder than this: digital or near-digital silence, skip the VAD too
WINDOW_S = 28.0  # long recordings are decoded in windows of at most this much audio (Whisper's is 30 s)
CUT_SEARCH_S = 4.0  # ... cut at the quietest 100 ms in the window's last seconds, not mid-word
ENCODER_MARGIN_S = 6.0  # WhisperConfig.encoder_margin_s: measured in docs/speech.md
_FRAME = 320  # 20 ms at 16 kHz: the frame of the level checks
# Whisper's tokens per second of speech stay under ~6 (4 words/s); a decode of a short stretch is capped
# at twice that plus a margin. With word times faster-whisper seeks to the last word and decodes the
# tail again, audio the segment already covered; with a prompt that tail decode ran to the 224-token
# limit on nothing (1.2 s of tiny.en on a 1.5 s preview, its text then dropped)
_TOKENS_PER_S, _TOKENS_MARGIN, _CAP_BELOW_S = 12, 10, 15.0
# in a window whose text is repetitive, a segment counts as surely speech below this share of the no-speech
# threshold (0.3 of 0.6: a passage read again scored 0.08, a loop on white noise 0.66)
SURE_SPEECH_SHARE = 0.5
# a prompted decode whose words cover less than this share of the speech Silero found skipped some of it;
# judged only on this much speech or more (a short command's segment may be tighter than Silero's padding)
HEARD_SHARE, MIN_JUDGED_SPEECH_S, MAX_WORD_S = 0.5, 4.0, 2.0
PROMPT_CHARS = 400  # Whisper's prompt holds ~224 tokens; the end of the context matters most
# a command vocabulary is all signal: up to ~180 tokens of plain English words (faster-whisper keeps
# the last 223 prompt tokens); the app's 60-odd words take ~540 characters
GRAMMAR_PROMPT_CHARS = 800
_NORMAL = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class WhisperConfig:
    model_path: Path
    compute_type: str = "int8"  # int8 | int8_float32 | float32 | float16 ...
    threads: int = 2  # CTranslate2 intra-op threads; 0 = its default (all cores)
    language: str = "auto"  # "auto" detects; else an ISO 639-1 code
    beam_size: int = 1
    # a command's final decode: on espeak-ng renderings of 120 command phrasings from the training
    # split, beam 5 got 103 and 106 right against 99 and 103 for greedy (two runs), at about +20 % of a
    # short decode; held out, 104 against 100 (docs/speech.md)
    command_beam_size: int = 5
    # readings of a command's final decode kept from that beam (at most command_beam_size): the intent
    # model weighs them (commands/intents.parse_heard); 1: the best reading only
    command_hypotheses: int = 5
    # a second, English Whisper model (tiny.en beside base) whose readings join a command's when the first
    # model's best reading is unsure (average log-probability per token below second_opinion_below):
    # the two err differently on the same audio, and parse_heard weighs all readings. On 250 spoken
    # training-split phrasings 175 -> 180 of 200 commands, out-of-scope kept out unchanged, a second
    # decode for 36 % of them (docs/speech.md)
    second_opinion_path: Path | None = None
    second_opinion_below: float = -0.7
    vad: bool = True  # Silero VAD: skip silence entirely, trim it before decoding
    vad_threshold: float = 0.5  # Silero speech probability
    vad_min_speech_ms: int = 120  # shorter blips (clicks, breaths) are not speech
    no_speech_threshold: float = 0.6  # with avg_logprob < log_prob_threshold: a silent segment
    log_prob_threshold: float = -1.0
    min_avg_logprob: float = -1.5  # below this a segment is dropped whatever no_speech_prob says
    compression_ratio_threshold: float = 2.4  # repetitive text ("you you you ...") is dropped
    partials: bool = True  # False: accept() only buffers (nobody shows partial text: files, --json)
    partial_interval_s: float = 1.0  # at most one partial decode per this much wall-clock time
    min_partial_audio_s: float = 0.5  # no partial decode before this much audio
    first_words_interval_s: float = 0.3  # until the first words, decode this often (onset -> first partial)
    # this much quiet after speech decodes at once; if the key is released before more speech, that
    # decode is the final text and the release costs no decode at all
    pause_s: float = 0.3
    quiet_below_peak_db: float = 30.0  # a 20 ms frame this far below the loudest so far is quiet
    max_window_s: float = 24.0  # partial decodes cover at most this much audio after the committed words
    # Whisper's encoder always runs over 30 s of (zero-padded) audio, the biggest cost of a short
    # utterance; encoding only the audio plus this margin (whisper.cpp's audio_ctx) is 2-3x faster.
    # Measured on 40 espeak-ng sentences (docs/speech.md): base WER +1.0 point without a prompt and
    # +1.6 with the text before them as the prompt, tiny.en none; so every decode is trimmed except a
    # final one under a command vocabulary prompt (100 -> 89 of 120 spoken commands). None: never.
    encoder_margin_s: float | None = ENCODER_MARGIN_S
    # per-word times for the final decode of an utterance (faster-whisper's cross-attention alignment,
    # +13 ms tiny.en / +32 ms base per 3 s at the release); dictation and commands use only the text,
    # so the app leaves it off and the words get their segment's times spread by length; files
    # (transcribe_chunks) and `transcribe --json/--srt/--vtt` always align
    final_word_times: bool = False
    sample_rate: int = 16000


@dataclass(frozen=True)
class _Decoded:
    words: tuple[Word, ...]
    language: str
    seconds: float
    hypotheses: tuple[tuple[str, float], ...] = ()


def _norm(word: str) -> str:
    return _NORMAL.sub("", word.lower())


def agreed_prefix(previous: Sequence[str], current: Sequence[str]) -> int:
    """How many leading words two hypotheses share (case and punctuation ignored)."""
    count = 0
    for a, b in zip(previous, current, strict=False):
        if _norm(a) != _norm(b) or not _norm(a):
            break
        count += 1
    return count


def _after_committed(committed: Sequence[Word], words: list[Word]) -> list[Word]:
    """The words of a new decode that come after what is committed (by time, then by overlap),
    as whisper_streaming's HypothesisBuffer does."""
    if not committed:
        return words
    last_end = committed[-1].end
    fresh = [w for w in words if w.start > last_end - 0.1]
    for n in range(min(5, len(committed), len(fresh)), 0, -1):  # a repeated n-gram at the seam
        if [_norm(w.word) for w in committed[-n:]] == [_norm(w.word) for w in fresh[:n]]:
            return fresh[n:]
    return fresh


def _prompt(context: str) -> str | None:
    """The end of the context, cut at a word boundary: what Whisper should carry on from."""
    text = " ".join(context.split())
    if len(text) > PROMPT_CHARS:
        text = text[-PROMPT_CHARS:].split(" ", 1)[-1]
    return text or None


def grammar_prompt(phrases: Sequence[str]) -> str:
    """The phrases' distinct words, as Whisper's prompt: measured on espeak-ng renderings of 120
    held-out command phrasings, words lifted Whisper base -> intent from 83 to 103 right, whole
    phrases to 97 (docs/speech.md)."""
    words = " ".join(sorted(dict.fromkeys(w for phrase in phrases for w in phrase.lower().split())))
    if len(words) > GRAMMAR_PROMPT_CHARS:
        words = words[: GRAMMAR_PROMPT_CHARS + 1].rsplit(" ", 1)[0]
    return "Editor commands: " + words + "."


@dataclass
class _Stream:
    """LocalAgreement-2 state of one utterance."""

    committed: list[Word] = field(default_factory=list)
    tail: list[Word] = field(default_factory=list)  # the last decode's words after `committed`
    window_start: float = 0.0  # seconds; partial decodes start here (after trimmed, committed audio)
    frozen: int = 0  # committed words before window_start (their text goes into the prompt instead)


class WhisperUtterance:
    def __init__(self, engine: WhisperEngine, prompt: str | None, *, vocabulary: bool = False):
        """vocabulary: the prompt is a command vocabulary; a decode that can become the final text then
        sees Whisper's whole window (trimmed, 89 of 120 spoken commands were right instead of 100)."""
        self._engine = engine
        self._prompt = prompt
        self._vocabulary = vocabulary
        self._chunks: list[bytes] = []
        self._samples = 0
        self._decoded_at_samples = 0
        self._next_decode_at = 0.0  # monotonic time
        self._stream = _Stream()
        self._language: str | None = None if engine.language == "auto" else engine.language
        self._peak_dbfs = -120.0
        self._loud_until = 0  # samples: the end of the last frame that was not quiet
        self._at_pause: tuple[int, _Decoded] | None = None  # a decode of the whole utterance at a pause
        self.partial_decodes = 0
        self.partial_seconds = 0.0
        self.final_reused = False  # finish() returned the decode made at the pause before the release

    # ------------------------------------------------------------ streaming

    def accept(self, pcm: bytes, *, preview: bool = True) -> PartialText:
        self._chunks.append(pcm)
        self._note_levels(pcm)
        self._samples += len(pcm) // 2
        if preview and (self._pause_due() or self._due()):
            self._partial_decode()
        return self.partial()

    def _note_levels(self, pcm: bytes) -> None:
        levels = _frame_dbfs(int16_to_float(pcm))
        if not levels.size:
            return
        self._peak_dbfs = max(self._peak_dbfs, float(levels.max()))
        floor = max(self._peak_dbfs - self._engine.config.quiet_below_peak_db, SILENCE_DBFS)
        loud = np.flatnonzero(levels > floor)
        if loud.size:
            self._loud_until = self._samples + (int(loud[-1]) + 1) * _FRAME

    def _in_pause(self) -> bool:
        """Speech, then at least pause_s of quiet, within the first window (so a decode here covers the
        whole utterance and can stand as the final text)."""
        pause = self._engine.config.pause_s * self._engine.sample_rate
        return self._loud_until > 0 and self._samples - self._loud_until >= pause and self._stream.window_start == 0.0

    def _pause_due(self) -> bool:
        """A pause that no decode has seen yet (decoding it early is what makes the release cheap)."""
        seen = self._decoded_at_samples >= self._loud_until + self._engine.config.pause_s * self._engine.sample_rate
        return self._engine.config.partials and self._in_pause() and not seen

    def partial(self) -> PartialText:
        return PartialText(_join(self._stream.committed), _join(self._stream.tail))

    def _due(self) -> bool:
        rate = self._engine.sample_rate
        cfg = self._engine.config
        if not cfg.partials:
            return False
        enough = self._samples >= cfg.min_partial_audio_s * rate
        # at most one decode per interval of audio too, so a file fed faster than real time (live
        # --fast, tests) does not decode after every chunk; never less than 0.3 s of new audio
        grown = self._samples - self._decoded_at_samples >= max(self._interval(), 0.3) * rate
        return enough and grown and time.monotonic() >= self._next_decode_at

    def _interval(self) -> float:
        cfg = self._engine.config
        nothing_yet = not self._stream.committed and not self._stream.tail
        return min(cfg.first_words_interval_s, cfg.partial_interval_s) if nothing_yet else cfg.partial_interval_s

    def _audio(self) -> np.ndarray:
        if len(self._chunks) > 1:
            self._chunks = [b"".join(self._chunks)]
        data = self._chunks[0] if self._chunks else b""
        return int16_to_float(data)

    def _partial_decode(self) -> None:
        """One LocalAgreement step: decode the window, commit the words two decodes in a row share.
        At a pause the whole utterance is decoded as finish() would (same prompt, the language
        detected afresh when asked), so it can stand as the final text."""
        started = time.perf_counter()
        self._decoded_at_samples = self._samples
        stream, rate = self._stream, self._engine.sample_rate
        self._trim_window()
        at_pause = self._in_pause()
        audio = self._audio()[int(stream.window_start * rate) :]
        frozen_text = _join(stream.committed[: stream.frozen])
        prompt = _prompt(" ".join(t for t in (self._prompt, frozen_text) if t))
        language = self._engine.fixed_language if at_pause else self._language
        options = self._final_options() if at_pause else {}  # a decode at a pause may become the final text
        decoded = self._engine.decode(audio, prompt=prompt, language=language, offset=stream.window_start, **options)
        if at_pause:
            self._at_pause = (self._samples, decoded)
        if decoded.language and self._language is None and decoded.words:
            self._language = decoded.language  # partials keep the first detection; finish() re-detects
        words = _after_committed(stream.committed, list(decoded.words))
        agreed = agreed_prefix([w.word for w in stream.tail], [w.word for w in words])
        stream.committed += words[:agreed]
        stream.tail = words[agreed:]
        self.partial_decodes += 1
        spent = time.perf_counter() - started
        self.partial_seconds += spent
        self._next_decode_at = time.monotonic() + max(self._engine.config.partial_interval_s - spent, 0.0)

    def _trim_window(self) -> None:
        """Keep partial decodes inside one Whisper window: drop audio up to the last committed word."""
        stream, cfg = self._stream, self._engine.config
        if self._samples / self._engine.sample_rate - stream.window_start <= cfg.max_window_s:
            return
        if len(stream.committed) > stream.frozen:
            stream.window_start = max(stream.window_start, stream.committed[-1].end)
            stream.frozen = len(stream.committed)
        else:  # nothing agreed for a whole window: move on without it
            stream.window_start = self._samples / self._engine.sample_rate - cfg.max_window_s / 2
            stream.tail = []

    # ------------------------------------------------------------ final

    def finish(self) -> Transcript:
        """The whole utterance, decoded once more; the language detected if asked. Nothing but quiet
        since the decode at the last pause: that decode is the final text."""
        audio = self._audio()
        seconds = audio.size / self._engine.sample_rate
        if self._at_pause is not None and self._loud_until <= self._at_pause[0]:
            self.final_reused = True
            return self._engine.transcript(self._at_pause[1], seconds)
        engine = self._engine
        decoded = engine.decode(
            audio,
            prompt=self._prompt,
            language=engine.fixed_language,
            word_times=engine.config.final_word_times,
            **self._final_options(),
        )
        return engine.transcript(decoded, seconds)

    def _final_options(self) -> dict:
        """How a decode that can become the final text is made: a command vocabulary's on Whisper's
        whole window with a beam, dictation's like a preview."""
        if self._vocabulary:
            cfg = self._engine.config
            return {"trim": False, "beam_size": cfg.command_beam_size, "hypotheses": cfg.command_hypotheses}
        return {}


def _join(words: Sequence[Word]) -> str:
    return " ".join(w.word for w in words if w.word)


class WhisperEngine:
    """Loads a CTranslate2 Whisper folder once; each start() is one utterance."""

    name = "whisper"
    grammar_supported = False  # free phrasing: commands go Whisper -> the intent model
    grammar_prompts = True  # a command vocabulary becomes the prompt: it biases the decode, never restricts it

    def __init__(self, config: WhisperConfig):
        path = Path(config.model_path)
        if not is_whisper_folder(path):
            raise ModelError(
                f"{path} is not a Whisper model folder (model.bin, config.json, tokenizer.json, vocabulary); "
                "install one with `slm-desktop models install whisper-base`"
            )
        from faster_whisper import WhisperModel

        self.config = config
        self.sample_rate = config.sample_rate
        self.model = path.name
        self.language = config.language.lower() or "auto"
        try:
            self._model = _trimming_model(WhisperModel, config.encoder_margin_s)(
                str(path),
                device="cpu",
                compute_type=config.compute_type,
                cpu_threads=config.threads,
                num_workers=1,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"faster-whisper could not load {path.name}: {exc}") from exc
        self._readings = _Readings(self._model.model)
        self._model.model = self._readings
        self.multilingual = bool(self._readings.is_multilingual)
        self.loop_redecodes = 0  # decodes repeated without their prompt (see decode)
        self.skip_redecodes = 0  # ... because the prompted decode left most of the speech out
        self.second_opinions = 0  # command decodes the second model heard too
        self._second = self._load_second(config)
        if self.language not in ("auto", "en") and not self.multilingual:
            log.warning("%s is English-only; language %s becomes en", self.model, self.language)
            self.language = "en"

    @staticmethod
    def _load_second(config: WhisperConfig) -> WhisperEngine | None:
        """The second opinion is a help, never a requirement: a broken second model is a log line."""
        if config.second_opinion_path is None:
            return None
        second = replace(config, model_path=config.second_opinion_path, second_opinion_path=None, language="en")
        try:
            return WhisperEngine(second)
        except ModelError as exc:
            log.warning("whisper: no second opinion for commands: %s", exc)
            return None

    @property
    def fixed_language(self) -> str | None:
        return None if self.language == "auto" else self.language

    def start(self, *, grammar: Sequence[str] | None = None, context: str = "") -> WhisperUtterance:
        """A grammar (command mode) does not restrict Whisper; its words become the prompt, which
        biases recognition towards them ("paste" rather than "based") while any phrasing still
        reaches the intent model."""
        if grammar:
            return WhisperUtterance(self, grammar_prompt(grammar), vocabulary=True)
        return WhisperUtterance(self, _prompt(context))

    # ------------------------------------------------------------ decoding

    def _speech_chunks(self, audio: np.ndarray) -> list[dict]:
        """Silero's speech regions in samples (the whole audio when the VAD is off); none for silence."""
        if not self.config.vad:
            return [{"start": 0, "end": audio.size}] if audio.size else []
        from faster_whisper.vad import get_speech_timestamps

        return get_speech_timestamps(audio, self._vad_options())

    def _vad_options(self):
        from faster_whisper.vad import VadOptions

        return VadOptions(
            threshold=self.config.vad_threshold,
            min_speech_duration_ms=self.config.vad_min_speech_ms,
            min_silence_duration_ms=500,
            speech_pad_ms=300,
        )

    def decode(
        self,
        audio: np.ndarray,
        *,
        prompt: str | None = None,
        language: str | None = None,
        offset: float = 0.0,
        trim: bool = True,
        beam_size: int | None = None,
        word_times: bool = True,
        hypotheses: int = 1,
    ) -> _Decoded:
        """One faster-whisper pass: speech-gated, hallucination-filtered words with absolute times.
        trim: encode only the audio plus the margin (when the engine has one).
        beam_size: None is the config's.
        word_times: align each word (else a segment's words share its span, spread by length).
        hypotheses: > 1 keeps that many readings of the beam (one 30 s window only: a command).
        Silero runs once: its regions both gate the decode and cut the silence out of it (faster-
        whisper's own vad_filter would run it a second time)."""
        started = time.perf_counter()
        loud = audio.size >= self.sample_rate // 10 and _loudest_dbfs(audio) >= SILENCE_DBFS
        speech = self._speech_chunks(audio) if loud else []
        if not speech:
            return _Decoded((), language or "", time.perf_counter() - started)
        from faster_whisper.vad import collect_chunks

        self._model.trim = trim
        cut = np.concatenate(collect_chunks(audio, speech, self.sample_rate)[0]) if self.config.vad else audio
        options = {"language": language, "beam_size": beam_size or self.config.beam_size, "word_times": word_times}
        self._readings.wanted = min(hypotheses, options["beam_size"])
        segments, info = self._segments(cut, speech, prompt=prompt, **options)
        if prompt and any(self._repetitive(s, before) for s, before in _with_previous_text(segments)):
            # a prompt can pull Whisper into repeating the utterance until the token cap ("open a previous
            # note open a previous note ..."), which is then dropped whole: the speech was there, so the same
            # audio is decoded once more without the prompt (1 % of spoken training commands under the vocabulary)
            self.loop_redecodes += 1
            log.debug("whisper: a loop under the prompt; decoding again without it")
            segments, info = self._segments(cut, speech, prompt=None, **options)
        elif prompt and (heard := _heard_share(segments, speech, self.sample_rate)) < HEARD_SHARE:
            # a prompt that already holds what is said can make Whisper skip it: a passage read again came out
            # as its last sentence only (base, 25 s of speech under the previous window's words); the audio is
            # decoded once more without the prompt, and the reading that covers more of the speech is kept
            self.skip_redecodes += 1
            log.debug("whisper: the prompted decode skipped speech; decoding again without the prompt")
            again, info_again = self._segments(cut, speech, prompt=None, **options)
            if _heard_share(again, speech, self.sample_rate) > heard:
                segments, info = again, info_again
        spell = _segment_words if word_times else _spread_words
        kept = [segment for segment, before in _with_previous_text(segments) if self._keep(segment, before)]
        words = [w for segment in kept for w in spell(segment, offset)]
        readings = self._readings.texts(self._model.hf_tokenizer) if words and len(segments) == 1 else ()
        if self._unsure(readings, info.language or language):
            beam = options["beam_size"]
            readings += self._second_readings(audio, prompt=prompt, beam_size=beam, hypotheses=hypotheses)
        return _Decoded(tuple(words), info.language or (language or ""), time.perf_counter() - started, readings)

    def _unsure(self, readings: tuple[tuple[str, float], ...], language: str | None) -> bool:
        """A command whose best reading scores low, in English: worth asking the second model."""
        if self._second is None or not readings or language not in ("en", None, ""):
            return False
        return readings[0][1] < self.config.second_opinion_below

    def _second_readings(self, audio: np.ndarray, **options) -> tuple[tuple[str, float], ...]:
        """The second model's n-best of the same audio; they follow the first model's, whose best
        reading stays the best (parse_heard takes a sure best reading as it is). Its encoder window is
        trimmed: as a second opinion tiny.en helps as much (training split 180 of 200 either way) at
        about a third of the time of the whole window (docs/speech.md)."""
        self.second_opinions += 1
        decoded = self._second.decode(audio, language="en", word_times=False, trim=True, **options)
        return decoded.hypotheses

    def _segments(self, cut: np.ndarray, speech: list[dict], *, prompt, language, beam_size, word_times):
        """faster-whisper on the speech `cut` out of the audio; segments with times in the uncut audio."""
        from faster_whisper.transcribe import restore_speech_timestamps

        cfg = self.config
        self._readings.results = []
        segments, info = self._model.transcribe(
            cut,
            language=language,
            beam_size=beam_size,
            best_of=1,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=prompt,
            word_timestamps=word_times,
            vad_filter=False,
            no_speech_threshold=cfg.no_speech_threshold,
            log_prob_threshold=cfg.log_prob_threshold,
            compression_ratio_threshold=cfg.compression_ratio_threshold,
            # without the VAD a loop on noise must run long enough for the compression-ratio check
            max_new_tokens=_token_cap(cut.size / self.sample_rate) if cfg.vad else None,
        )
        if cfg.vad:
            segments = restore_speech_timestamps(segments, speech, self.sample_rate)
        return list(segments), info

    def _repetitive(self, segment, before: str) -> bool:
        """faster-whisper gives every segment of a 30 s window the window's compression ratio, so a recording
        that really says the same thing twice (a refrain, a sentence read again) looked like a loop, and every
        segment of the window was dropped (61 s of a 15 s passage read four times came out as 2.3 readings).
        The window's ratio only raises the question. A loop on noise comes with doubt that it is speech at all
        ("1.5g of sugar" three times over white noise: no-speech probability 0.66, against 0.08 for the
        passage); so a segment of such a window is kept only where Whisper is sure it heard speech and the
        segment neither repeats itself nor copies the one before it."""
        cfg = self.config
        if segment.compression_ratio <= cfg.compression_ratio_threshold:
            return False
        if segment.no_speech_prob > cfg.no_speech_threshold * SURE_SPEECH_SHARE:
            return True
        from faster_whisper.transcribe import get_compression_ratio

        text = segment.text.strip()
        return get_compression_ratio(text) > cfg.compression_ratio_threshold or (bool(text) and text == before)

    def _keep(self, segment, before: str = "") -> bool:
        cfg = self.config
        silent = segment.no_speech_prob > cfg.no_speech_threshold and segment.avg_logprob < cfg.log_prob_threshold
        if silent or segment.avg_logprob < cfg.min_avg_logprob:
            log.debug("whisper: dropped a low-confidence segment %r", segment.text)
            return False
        if self._repetitive(segment, before):
            log.debug("whisper: dropped a repetitive segment %r", segment.text)
            return False
        return True

    def transcript(self, decoded: _Decoded, audio_seconds: float) -> Transcript:
        return Transcript(
            text=" ".join(w.word for w in decoded.words),
            words=decoded.words,
            engine=self.name,
            model=self.model,
            audio_seconds=audio_seconds,
            decode_seconds=decoded.seconds,
            language=decoded.language if decoded.words else (self.fixed_language or ""),
            hypotheses=decoded.hypotheses,
        )

    def transcribe_array(self, audio: np.ndarray) -> Transcript:
        """A whole recording (float32, 16 kHz) in one call: the CLI and the benchmark's raw path."""
        decoded = self.decode(audio, language=self.fixed_language)
        return self.transcript(decoded, audio.size / self.sample_rate)

    def transcribe_chunks(
        self, chunks: Iterable[bytes], *, on_audio: Callable[[float], None] | None = None
    ) -> Transcript:
        """A recording of any length, streamed: windows of <= WINDOW_S cut at quiet points, each
        decoded with the previous window's text as its prompt, so memory stays bounded."""
        rate = self.sample_rate
        words: list[Word] = []
        languages: list[str] = []
        parts: list[np.ndarray] = []
        held = 0  # samples in parts
        offset = decode_s = 0.0
        for pcm in chunks:
            parts.append(int16_to_float(pcm))
            held += parts[-1].size
            if held < WINDOW_S * rate:
                continue
            pending = np.concatenate(parts)
            while pending.size >= WINDOW_S * rate:
                cut = _quiet_cut(pending, rate)
                decoded = self.decode(pending[:cut], prompt=_prompt(_join(words[-40:])), offset=offset)
                words += decoded.words
                languages += [decoded.language] if decoded.words else []
                decode_s += decoded.seconds
                offset += cut / rate
                pending = pending[cut:]
                if on_audio is not None:
                    on_audio(offset)
            parts, held = [pending], pending.size
        pending = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        decoded = self.decode(pending, prompt=_prompt(_join(words[-40:])), offset=offset)
        words += decoded.words
        languages += [decoded.language] if decoded.words else []
        total = offset + pending.size / rate
        if on_audio is not None:
            on_audio(total)
        language = max(set(languages), key=languages.count) if languages else (self.fixed_language or "")
        return Transcript(
            " ".join(w.word for w in words),
            tuple(words),
            self.name,
            self.model,
            total,
            decode_s + decoded.seconds,
            language,
        )

    def close(self) -> None:
        self._model = None
        if self._second is not None:
            self._second.close()
            self._second = None


class _Readings:
    """CTranslate2's Whisper behind faster-whisper, asked for the beam's n-best when `wanted` > 1.
    faster-whisper reads only the best sequence of a generate() result; the others are kept here.
    Everything else passes through to the model."""

    def __init__(self, model) -> None:
        self._inner = model
        self.wanted = 1
        self.results: list = []  # generate() results since the last transcribe()

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def generate(self, features, prompts, **options):
        if self.wanted > 1 and options.get("beam_size", 1) >= self.wanted:
            options["num_hypotheses"] = self.wanted
        results = self._inner.generate(features, prompts, **options)
        self.results.append(results[0])
        return results

    def texts(self, tokenizer) -> tuple[tuple[str, float], ...]:
        """The readings of the one generate() call that heard words in a short utterance (with word times
        faster-whisper decodes the empty tail after the last word again); none for more, or for one."""
        end = tokenizer.token_to_id("<|endoftext|>")

        def text(ids) -> str:
            return tokenizer.decode([t for t in ids if t < end]).strip()

        heard = [r for r in self.results if text(r.sequences_ids[0])]
        if len(heard) != 1 or len(heard[0].sequences_ids) < 2:
            return ()
        result = heard[0]
        return tuple(
            (text(ids), round(float(score), 4)) for ids, score in zip(result.sequences_ids, result.scores, strict=True)
        )


def _trimming_model(base: type, margin_s: float | None) -> type:
    """faster-whisper's WhisperModel, encoding only the audio (plus a margin) of a padded window."""
    if margin_s is None:
        return base

    class TrimmingWhisperModel(base):
        trim = True  # set before each transcribe() (one utterance at a time per engine)

        def encode(self, features: np.ndarray):
            if self.trim:
                features = trim_padding(features, margin_frames=int(margin_s * 100))
            return super().encode(features)

    return TrimmingWhisperModel


def trim_padding(features: np.ndarray, *, margin_frames: int, step: int = 100) -> np.ndarray:
    """Cut the zero columns pad_or_trim adds after the audio (a real log-mel column is never all
    zero), keeping `margin_frames` of them, rounded up to `step`; a full window is kept as it is."""
    frames = features.shape[-1]
    audible = np.flatnonzero(np.abs(features).reshape(-1, frames).max(axis=0) > 0)
    content = int(audible[-1]) + 1 if audible.size else 1
    keep = min(frames, -(-(content + margin_frames) // step) * step)
    return features if keep >= frames else np.ascontiguousarray(features[..., :keep])


def _segment_words(segment, offset: float) -> list[Word]:
    """A segment's words with absolute times; a piece Whisper writes without a leading space
    ("ill" + "-disposed", "don" + "'t") is joined to the word before it."""
    words: list[Word] = []
    for index, w in enumerate(segment.words or ()):
        text = w.word.strip()
        if not text:
            continue
        start, end, conf = (
            round(float(w.start) + offset, 3),
            round(float(w.end) + offset, 3),
            round(float(w.probability), 4),
        )
        if index and words and not w.word.startswith(" "):
            last = words[-1]
            words[-1] = Word(last.word + text, last.start, end, min(last.conf, conf))
        else:
            words.append(Word(text, start, end, conf))
    return words


def _token_cap(seconds: float) -> int | None:
    """At most this many tokens per decode window of a short stretch (None: Whisper's own limit)."""
    return int(_TOKENS_MARGIN + _TOKENS_PER_S * seconds) if seconds < _CAP_BELOW_S else None


def _spread_words(segment, offset: float) -> list[Word]:
    """A segment's words without alignment: its span shared out by length, its mean token
    probability as each word's confidence."""
    texts = segment.text.split()
    total = sum(len(t) for t in texts) or 1
    span, conf = float(segment.end) - float(segment.start), round(math.exp(segment.avg_logprob), 4)
    words, at = [], float(segment.start) + offset
    for text in texts:
        end = at + span * len(text) / total
        words.append(Word(text, round(at, 3), round(end, 3), conf))
        at = end
    return words


def _frame_dbfs(audio: np.ndarray, frame: int = _FRAME) -> np.ndarray:
    usable = audio[: audio.size - audio.size % frame].reshape(-1, frame)
    rms = np.sqrt(np.mean(np.square(usable, dtype=np.float64), axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def _loudest_dbfs(audio: np.ndarray) -> float:
    levels = _frame_dbfs(audio)
    return float(levels.max()) if levels.size else -120.0


def _heard_share(segments: list, speech: list[dict], rate: int) -> float:
    """How much of the speech Silero found the aligned words cover, each word at most MAX_WORD_S (a decode that
    skipped speech stretches its few words over it: "might" aligned to 17 s). 1.0 when it cannot be judged:
    too little speech, or no word times (partials and dictation decode without them)."""
    spoken = sum(c["end"] - c["start"] for c in speech) / rate
    words = [w for segment in segments for w in (segment.words or ())]
    if spoken < MIN_JUDGED_SPEECH_S or not words:
        return 1.0
    return sum(min(w.end - w.start, MAX_WORD_S) for w in words) / spoken


def _with_previous_text(segments: list) -> Iterator[tuple[Any, str]]:
    """Each segment with the text of the one before it ("" for the first)."""
    before = ""
    for segment in segments:
        yield segment, before
        before = segment.text.strip()


def _quiet_cut(audio: np.ndarray, rate: int) -> int:
    """Where to end a window: the start of the quietest 100 ms within its last CUT_SEARCH_S."""
    end = int(WINDOW_S * rate)
    start = end - int(CUT_SEARCH_S * rate)
    frame = rate // 10
    levels = _frame_dbfs(audio[start:end], frame)
    return start + int(np.argmin(levels)) * frame if levels.size else end
