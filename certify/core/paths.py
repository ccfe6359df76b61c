"""Where certify finds its data and keeps its last results."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """``$CERTIFY_DATA`` if set; else the data installed with the package (``certify/data`` in a wheel);
    else ``data/`` at the top of the source tree (an editable install or a checkout)."""
    env = os.environ.get("CERTIFY_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[1]  # the package folder, certify/
    installed = here / "data"
    if installed.is_dir():
        return installed
    return here.parent / "data"


def instances_dir() -> Path:
    return data_dir() / "instances"


def results_dir() -> Path:
    """Last evidence of each claim: ``$CERTIFY_RESULTS`` or ``.certify/`` in the working directory."""
    env = os.environ.get("CERTIFY_RESULTS")
    return Path(env) if env else Path.cwd() / ".certify" / "results"
