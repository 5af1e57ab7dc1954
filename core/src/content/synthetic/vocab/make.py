#!/usr/bin/env python3
"""Writes the benchmark corpus's vocabularies (`LANG.txt`, one word a line,
most frequent first) from wordfreq's frequency lists (PyPI `wordfreq`,
3.1; its data is CC BY-SA 4.0 by Robyn Speer and contributors:
https://github.com/rspeer/wordfreq). Run once; the lists are committed so
that the benchmark needs no network and stays the same from run to run.

    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    /tmp/wf/bin/python core/src/content/synthetic/vocab/make.py
"""
import pathlib
import unicodedata

import wordfreq

WORDS = 6000
HERE = pathlib.Path(__file__).parent


def is_word(w: str) -> bool:
    # Letters (and, in Arabic script, the marks between them) only: no
    # digits, apostrophes, hyphens or stray symbols.
    return len(w) >= 2 and all(
        unicodedata.category(c).startswith("L") or unicodedata.category(c) == "Mn" for c in w
    )


for lang in ["en", "fr", "es", "ar", "fa", "uk"]:
    words = [w for w in wordfreq.top_n_list(lang, WORDS * 2) if is_word(w)][:WORDS]
    (HERE / f"{lang}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    print(lang, len(words), sum(len(w.encode()) + 1 for w in words), "bytes")
