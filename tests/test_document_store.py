"""Documents the Department keeps (issue 11 item 8): downloaded through the fake
Bot API (getFile + file URL), checked by content (PDF, JPEG, PNG; ≤ 20 MB), kept
under DOCUMENTS_DIR with their SHA-256 in the database — in the /apply wizard and
in the parent's answer to a documents request. kk and ru."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.data.models import Attachment, OutboxMessage
from tests.apply_support import LABELS, Person, begin, certificate_details, full_name, joined
from tests.chat import start_in
from tests.conftest import STAFF_CHAT_ID, RunningBot
from tests.staff_kit import (
    application,
    card_of,
    running_staffbot,
    staff,
    submit_application,
    wait_text,
)
from tests.tgfake.server import FakeTelegram

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(2000)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
NOT_ACCEPTED = {
    "ru": "Такой файл не принимается.",
    "kk": "Мұндай файл қабылданбайды.",
}
RECEIVED = {"ru": "Файл получен", "kk": "Файл алынды"}


def documents_dir(bot: RunningBot) -> Path:
    return Path(bot.settings.documents_dir)


def every_file(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def attachments(bot: RunningBot) -> list[Attachment]:
    async with bot.app.context.sessionmaker() as session:
        return list(await session.scalars(select(Attachment).order_by(Attachment.id)))


async def to_certificate_step(user: Any, language: str) -> None:
    """Everything up to the school certificate, which is not sent yet."""
    person = Person()
    labels = LABELS[language]
    for answer in (
        labels[person.relation],
        full_name(person),
        person.iin,
        person.phone,
        person.address,
        person.child_name,
        person.child_iin,
        person.disability_until,
        person.school,
        certificate_details(person),
    ):
        await user.send(answer)


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_the_wizard_checks_files_by_content_and_keeps_a_copy(
    running: RunningBot, tg: FakeTelegram, language: str
) -> None:
    user = tg.user(2601 if language == "ru" else 2602, language_code=language)
    await begin(user, language)
    await to_certificate_step(user, language)
    root = documents_dir(running)

    # an executable that calls itself a PDF: refused by its bytes, the step asked again
    replies = await user.send_document("справка.pdf", "application/pdf", content=EXE)
    text = joined(replies)
    assert NOT_ACCEPTED[language] in text and RECEIVED[language] not in text
    assert every_file(root) == []
    # a real PDF under a name that tries to leave the folder, and a PNG declared as a PDF
    replies = await user.send_document("../../../etc/cron.d/x.pdf", "application/pdf", content=PDF)
    assert RECEIVED[language] in joined(replies)
    replies = await user.send_document("scan.pdf", "application/pdf", content=PNG)
    assert RECEIVED[language] in joined(replies)
    drafts = every_file(root)
    assert [p.parent.relative_to(root).as_posix() for p in drafts] == [f"drafts/{user.id}"] * 2
    # downloaded through the Bot API, as Telegram serves files
    assert len(tg.calls_of("getFile")) >= 3

    await user.send(Person().iban)  # the next step: the files need no «Done»
    await user.press(LABELS[language]["send"])

    rows = await attachments(running)
    assert [(r.mime_type, r.file_size, r.sha256) for r in rows] == [
        ("application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
        ("image/png", len(PNG), hashlib.sha256(PNG).hexdigest()),  # the real type, not declared
    ]
    for row, content in zip(rows, (PDF, PNG), strict=True):
        assert row.storage_path is not None
        assert re.fullmatch(r"kept/[0-9a-f]{2}/[0-9a-f]{64}\.(pdf|png)", row.storage_path)
        assert (root / row.storage_path).read_bytes() == content  # the Department's own copy
    assert not (root / "drafts" / str(user.id)).exists()  # the draft's copies went with it
    assert not any(".." in p.as_posix() or "cron" in p.as_posix() for p in every_file(root))
    assert all(root in p.parents for p in every_file(root))


async def test_a_photo_is_checked_too(running: RunningBot, tg: FakeTelegram) -> None:
    user = tg.user(2603, language_code="ru")
    await begin(user, "ru")
    await to_certificate_step(user, "ru")
    replies = await user.send_photo(content=b"GIF89a" + bytes(500))  # not a JPEG
    assert NOT_ACCEPTED["ru"] in joined(replies)
    replies = await user.send_photo(size=300_000)  # what Telegram serves: a JPEG
    assert RECEIVED["ru"] in joined(replies)
    [kept] = every_file(documents_dir(running))
    assert kept.suffix == ".jpg" and kept.stat().st_size == 300_000
    # the draft's copies go with the draft: when the parent starts over…
    replies = await user.send(LABELS["ru"]["start_over"])
    assert "Прежние ответы удалены." in joined(replies)
    assert every_file(documents_dir(running)) == []
    await to_certificate_step(user, "ru")
    await user.send_photo(size=1000)
    assert len(every_file(documents_dir(running))) == 1
    # …and when the parent deletes the data
    await user.send("/deletedata")
    await user.press("✅ Да, удалить мои данные")
    assert every_file(documents_dir(running)) == []


async def test_a_reply_to_a_documents_request_is_checked_and_kept(
    tg: FakeTelegram, make_settings: Any
) -> None:
    async with running_staffbot(tg, make_settings) as bot:
        parent = tg.user(2604, language_code="kk")
        await start_in(parent, "kk")
        application_id = await submit_application(bot.app, tg, parent, "kk")
        card = await card_of(bot.app, tg, application_id)
        member = staff(tg)
        await member.press("🔎 Взять в работу", message=card)
        await member.press("📎 Запросить документы", message=card)
        prompt = tg.messages(STAFF_CHAT_ID)[-1]
        await member.reply(prompt, "Справканың түпнұсқасын жіберіңіз")
        await wait_text(tg, parent.id, "Справканың түпнұсқасын жіберіңіз")
        assert (await application(bot.app, application_id)).status == "documents_requested"
        before = len(await attachments(bot))

        # a disguised executable: refused, nothing relayed, nothing stored, status unchanged
        replies = await parent.send_document("анықтама.pdf", "application/pdf", content=EXE)
        assert NOT_ACCEPTED["kk"] in joined(replies)
        assert "Бөлімге ештеңе жіберілген жоқ" in joined(replies)
        assert (await application(bot.app, application_id)).status == "documents_requested"
        assert len(await attachments(bot)) == before
        async with bot.app.context.sessionmaker() as session:
            relayed = await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "parent_answer")
            )
            assert list(relayed) == []
        assert every_file(documents_dir(bot)) == []

        # a real PDF: kept with its hash, relayed, the application back in review
        await parent.send_document("анықтама.pdf", "application/pdf", content=PDF)
        assert (await application(bot.app, application_id)).status == "in_review"
        row = (await attachments(bot))[-1]
        assert row.sha256 == hashlib.sha256(PDF).hexdigest()
        assert row.storage_path is not None
        assert (documents_dir(bot) / row.storage_path).read_bytes() == PDF


async def test_the_store_never_takes_a_path_it_did_not_make(tmp_path: Path) -> None:
    from bot.data.documents import DocumentStore, Refused

    store = DocumentStore(tmp_path)
    for path in ("../x.pdf", "kept/../../x.pdf", "/etc/passwd", "kept/ab/cert.pdf", "drafts/1/x"):
        with pytest.raises(ValueError):
            store.absolute(path)
    with pytest.raises(Refused) as refused:
        await store.put(bytes(21 * 1024 * 1024))
    assert refused.value.code == "file_too_big"
    kept = await store.put(PDF, draft_of=7)
    assert kept.path == f"drafts/7/{hashlib.sha256(PDF).hexdigest()}.pdf"
    assert (await store.read(await store.keep_draft(kept.path))) == PDF
