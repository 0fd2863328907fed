# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench-only callback: writes when the playbook, each play and each task started and ended (JSON, to JUNOS_ZTP_BENCH_TIMES)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Record playbook, play and task times (junos.ztp benchmarks)
description:
  - Used by C(bench/dhcp_render.py) to split a run into start-up and inventory loading, and each task.
options: {}
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._times = {'tasks': []}

    def v2_playbook_on_start(self, playbook):
        self._times['playbook_start'] = time.time()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._times['tasks'].append({'name': task.get_name(), 'start': time.time(), 'end': None})

    def _task_done(self, result, *args, **kwargs):
        self._times['tasks'][-1]['end'] = time.time()

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = _task_done

    def v2_playbook_on_stats(self, stats):
        self._times['end'] = time.time()
        with open(os.environ['JUNOS_ZTP_BENCH_TIMES'], 'w', encoding='utf-8') as stream:
            json.dump(self._times, stream)
