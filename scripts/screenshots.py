"""Screenshots of the main pages for review, on a desktop and a phone.

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 --out artifacts/screens

Logs in through the real login form as a demo customer manager and a demo supervisor (seed_demo data) and
saves, for each at 1280×900 and 390×844: the home dashboard, the retailer list, a retailer portrait (with the
mobile number revealed), a portrait with an expired licence, and the edit form showing a validation error;
plus the login page once per size. A page much taller than the screen also gets `-fold.png`, the first screen
as the user sees it. Nothing is saved to the database: the edit form is only submitted with a bad licence number.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {"desktop": (1280, 900), "mobile": (390, 844)}
DEMO_PASSWORD = "crm-demo-2026"  # noqa: S105 - the published demo password printed by seed_demo
BAD_LICENCE = "41030210001"  # 11 digits
# In a full-page capture, sticky and fixed bars would be drawn over the middle of the page; lay them out in
# the flow instead, where a user who scrolls to the end sees them.
UNSTICK = ".form-actions, .tabbar, .app-navbar { position: static !important; }"


class PageError(SystemExit):
    pass


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    if response is None or response.status >= 400:
        status = response.status if response else "no response"
        raise PageError(f"{url} answered {status}: is the server up, migrated and seeded (seed_demo)?")


def login(page: Page, base_url: str, username: str, password: str) -> None:
    visit(page, f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("#login-form button[type=submit]").click()
    try:
        page.wait_for_url(f"{base_url}/")
    except Exception as exc:
        raise PageError(
            f"Could not log in as {username}: run `manage.py seed_demo` for the demo logins"
        ) from exc


def snap(page: Page, out: Path, name: str) -> Path:
    """The whole page; for a page much taller than the screen, also the first screen as seen (`-fold`)."""
    path = out / f"{name}.png"
    if page.evaluate("document.documentElement.scrollHeight") > 2 * page.viewport_size["height"]:
        page.screenshot(path=str(out / f"{name}-fold.png"))
    style = page.add_style_tag(content=UNSTICK)
    page.screenshot(path=str(path), full_page=True)
    style.evaluate("node => node.remove()")
    print(path)  # noqa: T201 - the script reports what it wrote
    return path


def first_retailer(page: Page, base_url: str, *queries: str) -> str | None:
    """The portrait URL of the first retailer listed for the first query that lists any."""
    for query in queries:
        visit(page, f"{base_url}/retailers/{query}")
        links = page.locator("#results a.retailer-link")
        if links.count():
            return links.first.get_attribute("href")
    return None


def capture(browser, base_url: str, out: Path, username: str, password: str) -> None:
    for label, (width, height) in VIEWPORTS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            is_mobile=label == "mobile",
            has_touch=label == "mobile",
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        prefix = f"{username}-{label}"
        if not (out / f"login-{label}.png").exists():
            visit(page, f"{base_url}/login/")
            snap(page, out, f"login-{label}")
        login(page, base_url, username, password)
        snap(page, out, f"{prefix}-1-home")

        visit(page, f"{base_url}/retailers/")
        expect(page.locator("#results")).to_be_visible()
        snap(page, out, f"{prefix}-2-list")

        # A licence that expires soon shows the most of the portrait; any retailer will do.
        url = first_retailer(page, base_url, "?status=active&expiring_within=60", "")
        if url is None:
            raise PageError(f"{username} sees no retailers: run `manage.py seed_demo` first.")
        visit(page, f"{base_url}{url}")
        reveal = page.locator("#mobile-value button")
        if reveal.count():
            reveal.click()
            expect(page.locator("#mobile-value a[href^='tel:']")).to_be_visible()
        snap(page, out, f"{prefix}-3-portrait")
        expired = first_retailer(page, base_url, "?status=active&expiring_within=0")
        if expired:
            visit(page, f"{base_url}{expired}")
            snap(page, out, f"{prefix}-3b-portrait-expired")

        visit(page, f"{base_url}{url}edit/")
        page.fill("#id_licence_no", BAD_LICENCE)
        page.locator("#save-retailer").click()
        expect(page.locator("#form-errors")).to_be_visible()
        snap(page, out, f"{prefix}-4-edit-error")
        context.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="artifacts/screens", type=Path)
    parser.add_argument("--users", nargs="+", default=["cm001", "sup01"], help="demo logins to capture")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    for prefix in ("login", *args.users):  # last run's pictures, so none is left stale
        for old in args.out.glob(f"{prefix}-*.png"):
            old.unlink()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for username in args.users:
                capture(browser, base_url, args.out, username, args.password)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
