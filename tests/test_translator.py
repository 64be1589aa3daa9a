"""bot.i18n.Tr: the one translator of the bot (issue 9 item 1, views part)."""

from __future__ import annotations

import pytest

from bot.i18n import Tr, _, create_i18n, current, using
from bot.views.ui import CANCEL, YES


def test_translates_into_its_language_and_formats_parameters() -> None:
    i18n = create_i18n()
    kk, ru = Tr(i18n, "kk"), Tr(i18n, "ru")
    assert (kk(YES), ru(YES)) == ("Иә", "Да")
    assert kk.language == "kk" and ru.gettext(CANCEL) == ru(CANCEL) != kk(CANCEL)
    assert ru("Application {number}", number="ALA-1") == "Заявление № ALA-1"


def test_plural_forms_fall_back_to_the_message_by_number() -> None:
    tr = Tr(create_i18n(), "ru")
    assert tr.ngettext("{n} file", "{n} files", 1) == "1 file"
    assert tr.ngettext("{n} file of {who}", "{n} files of {who}", 3, who="x") == "3 files of x"


def test_the_current_translator_is_the_one_of_the_update() -> None:
    tr = Tr(create_i18n(), "kk")
    with pytest.raises(LookupError):
        current()  # outside an update there is none: build a Tr for the language
    with using(tr):
        assert current() is tr
        assert _(YES) == "Иә"
    with pytest.raises(LookupError):
        _(YES)
