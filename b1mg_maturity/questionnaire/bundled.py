"""Where the bundled questionnaires are.  Imports nothing heavy: the command line's ``--help`` shows the path."""

from __future__ import annotations

from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parent.parent.parent / "questionnaires"
BUNDLED_MLM = BUNDLED_DIR / "b1mg-mlm.yaml"

__all__ = ["BUNDLED_DIR", "BUNDLED_MLM"]
