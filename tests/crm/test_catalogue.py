"""The compiled English catalogue (django.mo, committed: a fresh clone runs without gettext's tools) says what
django.po says. A merge keeps one side's binary file while the .po files are merged line by line, so a stale .mo
would show Chinese to English readers without any other test knowing why."""

import gettext
import subprocess
from pathlib import Path

from django.conf import settings

MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def _catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_the_committed_mo_is_the_po_compiled(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(MESSAGES / "django.po")], check=True)  # noqa: S603, S607
    committed, compiled = _catalog(MESSAGES / "django.mo"), _catalog(fresh)
    stale = sorted(str(key)[:80] for key in compiled.keys() ^ committed.keys())
    stale += sorted(
        str(key)[:80] for key in compiled.keys() & committed.keys() if compiled[key] != committed[key]
    )
    assert stale == [], (
        f"run `manage.py compilemessages -l en`: {len(stale)} messages differ, e.g. {stale[:5]}"
    )
