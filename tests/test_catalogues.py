"""The catalogues are complete: every string of the code in kk and ru, nothing fuzzy."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir

from bot.catalogues import LANGUAGES, LOCALES_DIR, po_path, read_catalogue, untranslated
from tools.i18n import KEYWORDS, SOURCES

KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def code_message_ids() -> set[str]:
    ids: set[str] = set()
    for source in SOURCES:
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            LOCALES_DIR.parent / source, keywords=KEYWORDS
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_missing_or_fuzzy_translation(language: str) -> None:
    assert untranslated(read_catalogue(po_path(language))) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_code_is_in_the_catalogue(language: str) -> None:
    catalogue = read_catalogue(po_path(language))
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    assert sorted(code_message_ids() - known) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    for message in read_catalogue(po_path(language)):
        if not message.id or not isinstance(message.id, str):
            continue
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(message.string)
        ), message.id


def test_kazakh_is_kazakh_not_russian() -> None:
    kk = {m.id: m.string for m in read_catalogue(po_path("kk")) if m.id and isinstance(m.id, str)}
    ru = {m.id: m.string for m in read_catalogue(po_path("ru")) if m.id and isinstance(m.id, str)}
    sentences = [msgid for msgid in kk if len(msgid.split()) >= 6]
    assert sentences, "no sentences to check"
    copied = [msgid for msgid in sentences if kk[msgid] == ru[msgid]]
    assert copied == []
    with_kazakh_letters = [msgid for msgid in sentences if KAZAKH_LETTERS.search(kk[msgid])]
    assert len(with_kazakh_letters) / len(sentences) > 0.9
    # Latin words (not commands, placeholders or names like eGov/IBAN) mean transliteration.
    allowed = re.compile(r"\{[a-z_]+\}|/[a-z]+|eGov|IBAN|PDF|Telegram|CSV|ALA-[\d-]+")
    latin = [kk[m] for m in sentences if re.search("[A-Za-z]{4,}", allowed.sub("", kk[m]))]
    assert latin == []
