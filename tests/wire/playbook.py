"""Run a real ansible-playbook from a wire test and read back every task result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CALLBACKS = Path(__file__).resolve().parent / 'callback_plugins'


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    results: list = field(default_factory=list)

    def task(self, name, host=None):
        """The result of the named task (for one host), failing loudly when it is missing."""
        matches = [r for r in self.results if r['task'] == name and (host is None or r['host'] == host)]
        assert matches, 'no result for task %r (host %r) in:\n%s' % (name, host, self.output[-4000:])
        return matches[-1]


def vc_host_vars(vc, user, password, **extra):
    """Host variables that point ansible at a simulated VC, host key checking on, on the persistent connection."""
    return dict({'ansible_connection': 'junos.ztp.pyez', 'ansible_python_interpreter': sys.executable,
                 'ansible_host': vc.host, 'ansible_port': vc.port, 'ansible_user': user,
                 'ansible_password': password, 'ztp_known_hosts_file': str(vc.known_hosts_file)}, **extra)


def run_playbook(tmp_path, tasks, hosts, check=False, diff=False, extra_args=(), env=None, timeout=900, play=None, cwd=None):
    """Write an inventory and a one-play playbook into tmp_path, run it, return a PlaybookRun.

    ``hosts`` maps inventory host name -> host variables; ``tasks`` is the play's task list; ``cwd`` the working
    directory of ansible-playbook (default: tmp_path, where the playbook is).
    """
    tmp_path = Path(tmp_path)
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': hosts}}))
    playbook = tmp_path / 'playbook.yml'
    playbook.write_text(yaml.safe_dump([dict({'name': 'Wire test', 'hosts': 'all', 'gather_facts': False, 'tasks': tasks}, **(play or {}))]))
    results_file = tmp_path / 'results.jsonl'
    results_file.unlink(missing_ok=True)
    run_env = dict(os.environ, JUNOS_ZTP_RESULTS=str(results_file), ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
                   ANSIBLE_CALLBACKS_ENABLED='record_results', ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0',
                   ANSIBLE_COLLECTIONS_PATH=str(REPO / '.build' / 'collections'), ANSIBLE_FORCE_COLOR='0')
    run_env.update(env or {})
    command = [str(Path(sys.executable).with_name('ansible-playbook')), '-i', str(inventory), str(playbook)]
    command += (['--check'] if check else []) + (['--diff'] if diff else []) + list(extra_args)
    completed = subprocess.run(command, cwd=cwd or tmp_path, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
    results = [json.loads(line) for line in results_file.read_text().splitlines()] if results_file.exists() else []
    return PlaybookRun(completed.returncode, completed.stdout + completed.stderr, results)


def run_dhcp_records_role(tmp_path, inventory, outputs_file, extra_args_tail=(), **kwargs):
    """Run the junos.ztp.dhcp_records role on an inventory, rendering every output of outputs_file
    (a dhcp_records_outputs list whose dest are bare file names) into tmp_path/out; return (run, out)."""
    out = Path(tmp_path) / 'out'
    out.mkdir(exist_ok=True)
    outputs = yaml.safe_load(Path(outputs_file).read_text())
    for output in outputs:
        output['dest'] = str(out / output['dest'])
    role_vars = Path(tmp_path) / 'role-vars.yml'
    role_vars.write_text(yaml.safe_dump({'dhcp_records_outputs': outputs, 'dhcp_records_reload': False}))
    run = run_playbook(tmp_path, tasks=[], hosts={}, play={'roles': ['junos.ztp.dhcp_records']},
                       extra_args=['-i', str(inventory), '-e', '@%s' % role_vars] + list(extra_args_tail), **kwargs)
    return run, out
