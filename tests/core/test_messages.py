"""core.messages: every system-written line the apps register has its English words, a stored line is worded in
the active language, and a line the code no longer knows still shows rather than breaking a page."""

import re

import pytest
from django.utils import translation

from core.messages import SYSTEM_MESSAGES, system_message, system_message_text

FIELD = re.compile(r"%\((\w+)\)s")
# templates with no words of their own (a choice label, worded by the choice's own translation)
NO_WORDS = {"complaint.received_by"}


def test_every_registered_line_has_english_words():
    assert len(SYSTEM_MESSAGES) >= 30  # the apps registered theirs at start-up
    untranslated = []
    for code, entry in SYSTEM_MESSAGES.items():
        if code in NO_WORDS:
            continue
        params = dict.fromkeys(FIELD.findall(str(entry.template)), "7")
        with translation.override("zh-hans"):
            chinese = system_message_text(system_message(code, **params))
        with translation.override("en"):
            english = system_message_text(system_message(code, **params))
        if english == chinese or re.search(r"[\u4e00-\u9fff]", english):
            untranslated.append(code)
    assert untranslated == []


def test_a_stored_line_is_worded_when_read_with_its_choices_and_lists_in_the_readers_words():
    stored = system_message("complaint.deadlines_provisional", years=[2027, 2028])
    with translation.override("zh-hans"):
        assert system_message_text(stored).startswith("暂定截止时间：2027、2028 年调休安排未发布")
    with translation.override("en"):
        assert "make-up working days of 2027, 2028" in system_message_text(stored)
        assert (
            system_message_text(system_message("complaint.received_by", channel="12313")) == "12313 hotline"
        )


def test_what_cannot_be_stored_or_worded_is_refused_or_falls_back():
    with pytest.raises(ValueError, match="unregistered"):
        system_message("complaint.no_such_line")
    with pytest.raises(ValueError, match="JSON"):
        system_message("complaint.assigned_by_rule", name=object())
    # a row written before the codes, a code since removed, params that no longer fit: the words as stored
    assert system_message_text(None, text="按规则分派给 李艳") == "按规则分派给 李艳"
    assert system_message_text({"code": "gone.line", "params": {}}, text="旧的说明") == "旧的说明"
    assert system_message_text({"code": "complaint.assigned_by_rule", "params": {}}, text="") == (
        "complaint.assigned_by_rule"
    )
