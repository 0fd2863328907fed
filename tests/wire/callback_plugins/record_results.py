# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: appends every task result to the JSON-lines file in JUNOS_ZTP_RESULTS."""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Write every task result to a JSON-lines file (junos.ztp tests)
description:
  - Used by the junos.ztp wire tests to assert on real ansible-playbook results.
options: {}
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record_results'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        entry = {'host': result._host.get_name(), 'task': result._task.get_name(),
                 'action': result._task.action, 'status': status, 'result': result._result}
        with open(os.environ['JUNOS_ZTP_RESULTS'], 'a', encoding='utf-8') as stream:
            stream.write(json.dumps(entry, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
