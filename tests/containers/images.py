"""What the container tests share: the project's podman (tools/vcsim-podman.sh) and its images, built when missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools'))

# pylint: disable-next=wrong-import-position
from vcsim_containers import PODMAN  # noqa: E402

# A first build takes about a minute on a quiet machine, up to four under heavy load.
BUILD_SECONDS = 900


def podman(*args):
    return subprocess.run([PODMAN, *args], check=True, capture_output=True, text=True, timeout=120).stdout


def build_image(script, image):
    """The image of the current inputs of tools/<script>, built unless it exists; returns its name."""
    built = subprocess.run(['bash', str(REPO / 'tools' / script), '--if-missing'], cwd=REPO,
                           capture_output=True, text=True, timeout=BUILD_SECONDS, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    return image
