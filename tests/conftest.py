"""Make the collection importable as ansible_collections.junos.ztp and the simulator as vcsim."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for path in (REPO / 'tests', REPO / '.build' / 'collections'):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
