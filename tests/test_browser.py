"""One real-browser test: Voilà serves the 月度汇总 notebook on 127.0.0.1, headless Chromium (Playwright) fills in the
inbox and register, selects the month, clicks 运行汇总 and reads the result; a screenshot is saved in the test's tmp dir.

Needs Debian ``chromium`` (/usr/bin/chromium) and ``fonts-noto-cjk`` (``make system-deps`` installs both)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from notebook_helpers import shared_county

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "月度汇总.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# Measures one .bx-table box in the page: its 说明 header either within the box or reachable by scrolling sideways,
# and cells whose text is wider than the cell (cut) — there must be none.
TABLE_LAYOUT_JS = """box => {
  const b = box.getBoundingClientRect();
  const th = [...box.querySelectorAll('th')].find(t => t.textContent.trim() === '说明');
  const t = th.getBoundingClientRect();
  const panel = (box.closest('.widget-tab, .jupyter-widget-tab, .lm-TabPanel') || document.body).getBoundingClientRect();
  const inside = b.right <= Math.min(panel.right, window.innerWidth) + 1;       // the box itself is not cut off
  const reachable = inside && (t.right <= b.right + 1 || box.scrollWidth > box.clientWidth);
  const cells = [...box.querySelectorAll('td')];
  const clipped = cells.filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.slice(0, 40));
  const long = cells.filter(td => td.textContent.length > 40).length;
  return {rows: box.querySelectorAll('tbody tr').length, long, header_reachable: reachable, clipped};
}"""
HEADER_IN_VIEW_JS = """box => {
  const b = box.getBoundingClientRect(), h = box.querySelector('th').getBoundingClientRect();
  return h.top >= b.top - 1 && h.bottom <= b.bottom + 1;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila(tmp_path):
    """Voilà serving the roll-up notebook on a free loopback port; always terminated (with its kernels)."""
    port = _free_port()
    log = open(tmp_path / "voila.log", "w", encoding="utf-8")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    voila_bin = Path(sys.executable).with_name("voila")
    proc = subprocess.Popen([str(voila_bin), str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
                             "--show_tracebacks=True"], cwd=str(tmp_path), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "voila.log").read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "Voilà did not start within 60 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()


def test_rollup_notebook_in_a_real_browser(tmp_path, tmp_path_factory, voila):
    county = shared_county(tmp_path_factory)
    shot = tmp_path / "月度汇总.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = None
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(voila, timeout=60_000)
            run = page.get_by_role("button", name="运行汇总")
            run.wait_for(timeout=90_000)
            page.locator(".widget-text:has(label:text-is('收件夹')) input").fill(str(county.inbox))
            page.locator(".widget-text:has(label:text-is('学校名录')) input").fill(str(county.register))
            page.locator(".widget-dropdown:has(label:text-is('报送月份')) select").select_option(county.month)
            run.click()
            status = page.get_by_text("汇总完成")
            status.wait_for(timeout=120_000)
            text = status.inner_text()
            page.get_by_role("tab", name="乡镇汇总").click()
            page.get_by_text("全县合计").wait_for(timeout=10_000)
            town_table = page.locator(".bx-table").filter(has_text="全县合计").inner_text()
            page.get_by_role("tab", name="问题清单").click()
            findings = page.locator(".bx-table:visible").filter(has_text="规则编号").first
            findings.wait_for(timeout=10_000)
            layout = findings.evaluate(TABLE_LAYOUT_JS)
            findings.evaluate("box => { box.scrollTop = box.scrollHeight; }")   # scrolled down: the header stays
            header_after_scroll = findings.evaluate(HEADER_IN_VIEW_JS)
            words = page.locator("body").inner_text()
            page.screenshot(path=str(shot), full_page=True)
        except Exception:
            if page is not None:  # keep what the browser showed, and say where it is
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            log = (tmp_path / "voila.log").read_text(encoding="utf-8")[-3000:]
            raise AssertionError(f"browser test failed; screenshot {tmp_path / 'failure.png'}; Voilà log:\n{log}")
        finally:
            browser.close()
    assert f"汇总完成：{county.month}" in text
    assert f"应报 {len(county.demo.schools)} 所" in text and "未报送 1 所" in text
    assert all(s.township in town_table for s in county.demo.schools)
    assert shot.exists() and shot.stat().st_size > 10_000
    # 问题清单: the 说明 header inside the box (reached by wrapping or by scrolling sideways), no cell cutting its text,
    # the header row still in view when scrolled down
    assert layout["rows"] > 0 and layout["long"] > 0, layout
    assert layout["header_reachable"], layout
    assert layout["clipped"] == [], layout
    assert header_after_scroll, "the header row scrolled out of view"
    # what the officer reads is Chinese: no English sentence (developer notes) on the page
    assert not re.findall(r"[A-Za-z]{2,}(?:[ ,.()/`'-]+[A-Za-z]{2,}){3,}", words), words[:2000]
