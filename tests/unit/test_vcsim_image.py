"""The simulator's container image runs the simulator's libraries at the versions the tests pin."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r'^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;]+)', re.MULTILINE)


def pins(path):
    return {name.lower().replace('_', '-'): version for name, version in PIN.findall(path.read_text(encoding='utf-8'))}


def test_image_pins_agree_with_the_development_pins():
    image = pins(REPO / 'tools' / 'vcsim-image' / 'requirements.txt')
    development = pins(REPO / 'requirements-dev.txt')
    assert {'paramiko', 'pyyaml', 'lxml'} <= set(image)
    shared = set(image) & set(development)
    assert {'paramiko', 'pyyaml', 'cryptography'} <= shared
    assert {name: image[name] for name in shared} == {name: development[name] for name in shared}
