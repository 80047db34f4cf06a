"""Real-browser tests: Voilà serves a notebook on 127.0.0.1 and headless Chromium (Playwright) uses it as an officer
does — 月度汇总: fills in the inbox and register, selects the month, clicks 运行汇总 and reads the result; 双线比对: fills
in the household lists, the 学籍 export, the inbox, the register and a returns folder, clicks 运行比对 and reads the
汇总 / 待核查 / 问题清单 tabs. Screenshots are saved in each test's tmp dir.

Needs Debian ``chromium`` (/usr/bin/chromium) and ``fonts-noto-cjk`` (``make system-deps`` installs both)."""
from __future__ import annotations

import contextlib
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

from notebook_helpers import HOUSEHOLD_MONTH, html_rows, shared_county, shared_line

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "月度汇总.ipynb"
MATCH_NOTEBOOK = NOTEBOOK.with_name("双线比对.ipynb")
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


def _image_size(image) -> list:
    """[natural width, natural height, shown width] of an ipywidgets Image, once its current PNG has loaded (each
    refresh gives the image a new blob URL)."""
    image.scroll_into_view_if_needed(timeout=10_000)
    image.evaluate("img => new Promise(ok => { const t0 = Date.now(); (function poll() { "
                   "if ((img.complete && img.naturalWidth) || Date.now() - t0 > 10000) ok(); "
                   "else setTimeout(poll, 100); })(); })")
    return image.evaluate("img => [img.naturalWidth, img.naturalHeight, img.getBoundingClientRect().width]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(notebook: Path, tmp_path: Path):
    """Voilà serving ``notebook`` on a free loopback port; always terminated (with its kernels). Yields the URL."""
    port = _free_port()
    log = open(tmp_path / "voila.log", "w", encoding="utf-8")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    voila_bin = Path(sys.executable).with_name("voila")
    proc = subprocess.Popen([str(voila_bin), str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
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


@pytest.fixture
def voila(tmp_path):
    """Voilà serving the roll-up notebook."""
    with serve(NOTEBOOK, tmp_path) as url:
        yield url


@pytest.fixture
def voila_match(tmp_path):
    """Voilà serving the 双线比对 notebook."""
    with serve(MATCH_NOTEBOOK, tmp_path) as url:
        yield url


@contextlib.contextmanager
def notebook_page(url: str, tmp_path: Path, width: int):
    """Headless Chromium showing the served notebook at ``url``; when anything inside fails, the page's screenshot
    (``failure.png``) and the end of the Voilà log are kept and named in the failure."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = None
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto(url, timeout=60_000)
            yield page
        except Exception:
            if page is not None:  # keep what the browser showed, and say where it is
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            log = (tmp_path / "voila.log").read_text(encoding="utf-8")[-3000:]
            raise AssertionError(f"browser test failed; screenshot {tmp_path / 'failure.png'}; Voilà log:\n{log}")
        finally:
            browser.close()


def test_rollup_notebook_in_a_real_browser(tmp_path, tmp_path_factory, voila):
    county = shared_county(tmp_path_factory)
    shot = tmp_path / "月度汇总.png"
    with notebook_page(voila, tmp_path, width=1300) as page:
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
        page.get_by_role("tab", name="趋势").click()
        trend_size = _image_size(page.locator("img.widget-image:visible").first)
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
    # the trend chart at its own size: not stretched (blurred) to the panel's width
    assert trend_size[0] > 300 and trend_size[2] <= trend_size[0] + 1, trend_size
    # what the officer reads is Chinese: no English sentence (developer notes) on the page
    assert not re.findall(r"[A-Za-z]{2,}(?:[ ,.()/`'-]+[A-Za-z]{2,}){3,}", words), words[:2000]


def _household_returns(folder: Path, demo) -> tuple[str, str]:
    """A township's returned 核查清单, as it types it: one listed 待核查 child verified 县外就读, and one child found
    door-to-door who is in no 户籍名单 (H010). Returns (the verified child's ID, the new child's ID)."""
    from baoxue import model
    from household_helpers import person_id, write_list
    header = [c.name for c in model.CHECKLIST.columns]
    town = demo.township_of[demo.key_group_child]   # the key-group child stays 待核查, first in its township's list
    verified = next(pid for pid in demo.hidden if pid != demo.key_group_child and demo.township_of[pid] == town)
    assert demo.status[verified] == demo.status[demo.key_group_child] == "待核查"
    new_child = person_id(977, age=9)
    assert new_child not in demo.status

    def row(**cells):
        return [cells.get(h) for h in header]

    write_list(folder / town / "核查清单_交回.xlsx", header, [
        row(身份证号=verified, 户籍乡镇=town, 核查结果="县外就读已核实", 就读学校="昆明市第一小学", 就读地区="云南省昆明市",
            证明材料="有", 核查人="李干事", 核查日期=f"{HOUSEHOLD_MONTH}-20"),
        row(姓名="田新苗", 身份证号=new_child, 户籍乡镇=town, 核查结果="失学辍学", 核查日期=f"{HOUSEHOLD_MONTH}-21"),
    ], title="适龄儿童入户核查清单", note="内部资料")
    return verified, new_child


def test_match_notebook_in_a_real_browser(tmp_path, tmp_path_factory, voila_match):
    line = shared_line(tmp_path_factory)
    demo = line.demo
    verified, new_child = _household_returns(tmp_path / "核查清单返回", demo)
    town = demo.township_of[verified]
    shots = {name: tmp_path / f"双线比对_{name}.png" for name in ("汇总", "待核查", "问题清单")}
    fields = {"学籍名单": line.paths["xueji"], "收件夹": line.inbox, "学校名录": line.register,
              "异地就读名单": line.paths["elsewhere"], "核查清单返回": tmp_path / "核查清单返回",
              "历史库": tmp_path / "baoxue-store"}
    with notebook_page(voila_match, tmp_path, width=1400) as page:
        run = page.get_by_role("button", name="运行比对")
        run.wait_for(timeout=90_000)
        page.locator(".widget-textarea:has(label:text-is('户籍名单')) textarea").fill(
            "\n".join(str(x) for x in line.paths["household"]))
        page.locator(".widget-textarea:has(label:text-is('重点人群名单')) textarea").fill(str(line.paths["key_groups"]))
        for label, path in fields.items():
            page.locator(f".widget-text:has(label:text-is('{label}')) input").fill(str(path))
        page.locator(".widget-dropdown:has(label:text-is('报送月份')) select").select_option(HOUSEHOLD_MONTH)
        run.click()
        status = page.get_by_text("比对完成")
        status.wait_for(timeout=180_000)
        text = status.inner_text()
        # 汇总: the township / village table and the 入学率 chart
        page.get_by_role("tab", name="汇总").click()
        summary = page.locator(".bx-table:visible").filter(has_text="全县合计").first
        summary.wait_for(timeout=10_000)
        summary_rows = html_rows(summary.inner_html())
        chart_size = _image_size(page.locator("img.widget-image:visible").first)
        tabs = page.locator(".widget-tab:visible, .jupyter-widget-tab:visible").first
        tabs.screenshot(path=str(shots["汇总"]))        # the tab panel itself: the page scrolls inside Voilà
        # 待核查: every township, then filtered to one
        page.get_by_role("tab", name="待核查").click()
        waiting = page.locator(".bx-table:visible").first
        waiting.wait_for(timeout=10_000)
        all_rows = html_rows(waiting.inner_html())
        page.locator(".widget-dropdown:has(label:text-is('乡镇')) select").select_option(town)
        page.wait_for_function("t => [...document.querySelectorAll('.bx-table')].some(b => b.offsetParent "
                               "&& [...b.querySelectorAll('tbody tr')].every(r => r.textContent.includes(t)))",
                               arg=town, timeout=10_000)
        town_rows = html_rows(page.locator(".bx-table:visible").first.inner_html())
        tabs.screenshot(path=str(shots["待核查"]))
        # 问题清单: the door-to-door child outside the lists is there, with its file and row
        page.get_by_role("tab", name="问题清单").click()
        findings = page.locator(".bx-table:visible").filter(has_text="规则编号").first
        findings.wait_for(timeout=10_000)
        finding_rows = html_rows(findings.inner_html())
        layout = findings.evaluate(TABLE_LAYOUT_JS)
        findings.locator("tr", has_text="H010").scroll_into_view_if_needed(timeout=10_000)
        tabs.screenshot(path=str(shots["问题清单"]))
        page.screenshot(path=str(tmp_path / "双线比对_页面.png"))
        words = page.locator("body").inner_text()
    # the figures on screen are the generator's ground truth, with the one return applied
    truth = {t: demo.counts(t) for t in {demo.township_of[k] for k in demo.status}}
    truth[town]["待核查"] -= 1
    truth[town]["县外就读"] += 1
    waiting_total = sum(c["待核查"] for c in truth.values())
    assert f"比对完成：{HOUSEHOLD_MONTH}" in text and f"待核查 {waiting_total} 人" in text, text
    assert "对不上户籍名单中的儿童（H010）" in text, text
    by_town = {r["乡镇"]: r for r in summary_rows if r["村(社区)"] == "（乡镇合计）"}
    assert set(by_town) == set(truth)
    for t, counts in truth.items():
        assert int(by_town[t]["适龄儿童少年数"]) == sum(counts.values())
        assert int(by_town[t]["待核查"]) == counts["待核查"] and int(by_town[t]["县外就读"]) == counts["县外就读"]
    total = next(r for r in summary_rows if r["乡镇"] == "全县合计")
    assert int(total["适龄儿童少年数"]) == len(demo.status) and int(total["待核查"]) == waiting_total
    assert chart_size[0] > 300 and chart_size[1] > 200, chart_size
    assert chart_size[2] <= chart_size[0] + 1, f"the chart is stretched (blurred): {chart_size}"
    assert len(all_rows) == waiting_total
    assert len(town_rows) == truth[town]["待核查"] and {r["户籍乡镇"] for r in town_rows} == {town}
    assert town_rows[0]["重点人群"] and not any(r["重点人群"] for r in town_rows[1:])   # key-group children first
    [h010] = [r for r in finding_rows if r["规则编号"] == "H010"]
    assert h010["文件"] == "核查清单_交回.xlsx" and h010["行号"] == "5", h010   # title, note, header, then row 4, 5
    assert layout["clipped"] == [], layout
    for shot in shots.values():
        assert shot.stat().st_size > 10_000
    # masked on screen: no full ID, not the new child's name
    assert not [pid for pid in (*demo.status, new_child) if pid in words]
    assert "田新苗" not in words
    assert "重点人群（已隐去）儿童" in words and "（（" not in words          # a key group hidden, bracketed once
    # what the officer reads is Chinese: no English sentence (developer notes) on the page (the input files' paths,
    # which messages quote, are not sentences)
    prose = re.sub(r"[^\s“”（）]*/[^\s“”（）]*", "", words)
    assert not re.findall(r"[A-Za-z]{2,}(?:[ ,.()/`'-]+[A-Za-z]{2,}){3,}", prose), prose[:2000]
