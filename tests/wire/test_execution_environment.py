"""The AWX execution environment definition builds a context with ansible-builder (no container engine needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_ansible_builder_creates_the_build_context(tmp_path):
    builder = Path(sys.executable).with_name('ansible-builder')
    completed = subprocess.run([str(builder), 'create', '-f', str(REPO / 'meta' / 'execution-environment.yml'), '-c', str(tmp_path)],
                               capture_output=True, text=True, check=False, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (tmp_path / 'Dockerfile').is_file()
    requirements = (tmp_path / '_build' / 'requirements.txt').read_text()
    for package in ('junos-eznc', 'ncclient', 'netaddr'):
        assert package in requirements
