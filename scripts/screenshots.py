"""Screenshots of the main pages for review, on a desktop and a phone.

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 --out artifacts/screens

Logs in through the real login form as a demo customer manager and a demo supervisor (seed_demo data) and
saves, for each at 1280×900 and 390×844: the home dashboard, the retailer list, a retailer portrait (with the
mobile number revealed), the edit form showing a validation error, plus the login page once per viewport.
Nothing is saved to the database: the edit form is submitted with an invalid licence number only.
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


def login(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def snap(page: Page, out: Path, name: str) -> Path:
    """The whole page; for a page much taller than the screen, also the first screen (`-fold`)."""
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(path)  # noqa: T201 - the script reports what it wrote
    if page.evaluate("document.documentElement.scrollHeight") > 2 * page.viewport_size["height"]:
        page.screenshot(path=str(out / f"{name}-fold.png"))
    return path


def portrait_url(page: Page, base_url: str) -> str:
    """A retailer whose licence expires soon shows the most of the portrait; any retailer will do."""
    for query in ("?status=active&expiring_within=60", ""):
        page.goto(f"{base_url}/retailers/{query}")
        links = page.locator("#results td.shop a, #results a.retailer-card")
        if links.count():
            return links.first.get_attribute("href")
    raise SystemExit("No retailers visible: run `manage.py seed_demo` first.")


def capture_user(browser, base_url: str, out: Path, username: str, password: str) -> None:
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
        if username.startswith("cm"):
            page.goto(f"{base_url}/login/")
            snap(page, out, f"login-{label}")
        login(page, base_url, username, password)
        snap(page, out, f"{prefix}-1-home")

        page.goto(f"{base_url}/retailers/")
        expect(page.locator("#results")).to_be_visible()
        snap(page, out, f"{prefix}-2-list")

        url = portrait_url(page, base_url)
        page.goto(f"{base_url}{url}")
        reveal = page.locator("#mobile-value button")
        if reveal.count():
            reveal.click()
            expect(page.locator("#mobile-value a[href^='tel:']")).to_be_visible()
        snap(page, out, f"{prefix}-3-portrait")

        page.goto(f"{base_url}{url}edit/")
        page.fill("#id_licence_no", BAD_LICENCE)
        page.click("main button[type=submit]")
        expect(page.locator("#form-errors")).to_be_visible()
        snap(page, out, f"{prefix}-4-edit-error")
        context.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="artifacts/screens", type=Path)
    parser.add_argument("--users", nargs="+", default=["cm001", "sup01"], help="demo logins to capture")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for username in args.users:
                capture_user(browser, base_url, args.out, username, args.password)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
