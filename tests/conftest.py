"""Shared fixtures. LibreOffice (headless) is the independent spreadsheet client of the test suite."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # test-only: xlwings' key for noncommercial use


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory) -> str:
    """A private LibreOffice user profile, so parallel or stale soffice processes never interfere."""
    return "-env:UserInstallation=" + tmp_path_factory.mktemp("lo-profile").as_uri()


@pytest.fixture(scope="session")
def lo_convert(lo_profile, tmp_path_factory):
    """``lo_convert(src, "xlsx") -> Path``: open ``src`` in headless LibreOffice and save it again (recalculating)."""
    def convert(src: Path, fmt: str = "xlsx", outdir: Path | None = None) -> Path:
        outdir = Path(outdir or tmp_path_factory.mktemp("lo-out"))
        subprocess.run(["soffice", lo_profile, "--headless", "--norestore", "--convert-to", fmt, "--outdir",
                        str(outdir), str(src)], check=True, capture_output=True, timeout=300)
        out = outdir / (Path(src).stem + "." + fmt.split(":")[0])
        assert out.exists(), f"LibreOffice did not write {out}"
        return out
    return convert
