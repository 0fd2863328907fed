# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the benchmarks: one real ansible-playbook run, timed per task (wall) and as a whole (CPU of the process tree)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.build' / 'collections'), ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'bench' / 'callback_plugins'),
           ANSIBLE_CALLBACKS_ENABLED='bench_timer', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_HOST_KEY_CHECKING='0')
NOOP = [{'name': 'noop', 'ansible.builtin.debug': {'msg': 'loaded'}, 'run_once': True}]


class Run:
    """One ansible-playbook run: wall seconds of start-up and of each task, the CPU seconds of the whole process tree, its output."""

    def __init__(self, cpu, wall, startup, tasks, output):
        self.cpu = cpu
        self.wall = wall
        self.startup = startup
        self.tasks = tasks
        self.output = output


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(directory, inventory, tasks=None, plays=None):
    """Run a playbook (one play on all hosts with these tasks, or the plays given) and time it."""
    playbook = directory / 'bench-playbook.yml'
    playbook.write_text(yaml.safe_dump(plays or [{'name': 'Bench', 'hosts': 'all', 'gather_facts': False, 'tasks': tasks}]))
    times_file = directory / 'times.json'
    cpu_before, started = _children_cpu(), time.time()
    completed = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)], cwd=directory, capture_output=True, text=True,
                               env=dict(ENV, JUNOS_ZTP_BENCH_TIMES=str(times_file)), check=False)
    wall, cpu = time.time() - started, _children_cpu() - cpu_before
    if completed.returncode != 0:
        raise SystemExit('ansible-playbook failed:\n%s' % (completed.stdout + completed.stderr)[-3000:])
    times = json.loads(times_file.read_text())
    return Run(cpu, wall, times['playbook_start'] - started, {task['name']: task['end'] - task['start'] for task in times['tasks']}, completed.stdout)
