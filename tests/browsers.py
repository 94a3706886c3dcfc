"""What the browser tests share: Debian's Chromium, its flags, and how a missing browser is reported."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# As the machine's own probe starts it: headless, no sandbox (root), no background connections (the
# closed network refuses them).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def unavailable(reason: str):
    """Fail on CI, where the browser tests must run; skip with the reason on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)
