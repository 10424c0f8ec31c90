"""The fonts charts are drawn with: DejaVu Sans for Latin text, a CJK font for Chinese.

matplotlib lists the fonts it found when it first built its font cache; a CJK font installed
after that (the Makefile installs `fonts-wqy-zenhei` with Chromium) is not in it, and Chinese
labels would come out as empty boxes. So the usual font folders are searched once and a CJK
font found there is added.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
CJK_FILES = ("NotoSansCJK*", "SourceHanSans*", "wqy-zenhei*", "simhei*")


def _names() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _add_installed() -> None:
    """Add the CJK font files under the usual folders (not in a stale font cache)."""
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for pattern in CJK_FILES:
            for path in sorted(root.rglob(pattern)):
                try:
                    font_manager.fontManager.addfont(str(path))
                except (OSError, RuntimeError, ValueError):
                    continue  # not a font matplotlib reads: the next one may be


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font that renders Chinese, if one is installed."""
    found = next((n for n in CJK_FONTS if n in _names()), None)
    if found is None:
        _add_installed()
        found = next((n for n in CJK_FONTS if n in _names()), None)
    if found:
        # CJK fonts often ship one weight (WenQuanYi: 500): matplotlib would log a substitution
        # warning for every normal and bold text of every chart.
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return found


def font_family() -> list[str]:
    """DejaVu for Latin text, the CJK font (if any) as per-glyph fallback for Chinese names."""
    cjk = cjk_font()
    return ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]
