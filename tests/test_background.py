"""``baoxue.background.start``: work run meanwhile in a forked process (a thread where there is no fork) gives back
its value or its exception, and a child that dies says so."""
from __future__ import annotations

import os
import sys

import pytest

from baoxue import background
from baoxue.atomic import FileLocked


@pytest.fixture(params=["fork", "thread"])
def mode(request, monkeypatch):
    if request.param == "thread":
        monkeypatch.setattr(sys, "platform", "win32")
    elif not sys.platform.startswith("linux"):
        pytest.skip("fork is used on Linux only")
    return request.param


def test_value_comes_back(mode, tmp_path):
    data = {"rows": list(range(1000))}   # seen by the child as it was at the call
    wait = background.start(lambda: (tmp_path / "r.txt").write_text("x") and sum(data["rows"]))
    assert wait() == 499500 and (tmp_path / "r.txt").read_text() == "x"
    assert wait() == 499500   # asked twice: the same answer


def test_the_work_runs_elsewhere_in_a_forked_process(mode):
    pid = background.start(os.getpid)()
    assert (pid != os.getpid()) == (mode == "fork")


def test_exception_comes_back_with_its_type_and_message(mode):
    def locked():
        raise FileLocked("文件 月报表.xlsx 正在被其他程序（Excel/WPS）打开，请先关闭该文件再重试。")
    wait = background.start(locked)
    with pytest.raises(FileLocked, match="正在被其他程序"):
        wait()


def test_a_child_that_dies_is_reported():
    if not sys.platform.startswith("linux"):
        pytest.skip("fork is used on Linux only")
    wait = background.start(lambda: os._exit(9))
    with pytest.raises(background.BackgroundDied):
        wait()
