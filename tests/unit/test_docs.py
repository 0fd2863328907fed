"""Generated documentation stays in step with its source."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_data_model_page_is_current():
    spec = importlib.util.spec_from_file_location('render_data_model_docs', REPO / 'tools' / 'render_data_model_docs.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / 'docs' / 'data-model.md').read_text(encoding='utf-8') == module.render(), 'run `make docs`'
