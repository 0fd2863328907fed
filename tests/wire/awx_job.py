"""Run a junos.ztp job the way AWX does: ansible-runner on an AWX-shaped private data directory.

The collection comes from the built tarball (the ``installed_collection`` fixture); the job template, its survey
defaults and its playbook come from the installed copy's extensions/awx/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

# ansible-runner answers this prompt of ansible-playbook --ask-pass from env/passwords, as AWX does.
SSH_PASSWORD_PROMPT = r'^SSH [pP]assword:\s*?$'


class _ControllerLoader(yaml.SafeLoader):
    """Reads the controller configuration's !unsafe strings (AWX injector templates) as plain strings."""


_ControllerLoader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


def controller_configuration(collection_root):
    with open(Path(collection_root) / 'extensions' / 'awx' / 'controller_configuration.yml') as stream:
        return yaml.load(stream, Loader=_ControllerLoader)  # noqa: S506 - a SafeLoader subclass


def job_template(collection_root, playbook):
    """The job template that runs ``playbook`` (a file of the AWX project)."""
    (template,) = [t for t in controller_configuration(collection_root)['controller_templates'] if t['playbook'] == playbook]
    return template


def survey_answers(template, answers=None):
    """The extra variables AWX sends for a survey: every default, overridden by ``answers``."""
    questions = template.get('survey_spec', {}).get('spec', [])
    unknown = set(answers or {}) - {q['variable'] for q in questions}
    assert not unknown, 'not survey questions of %s: %s' % (template['name'], unknown)
    return dict({q['variable']: q['default'] for q in questions if q.get('default') not in (None, '')}, **(answers or {}))


@dataclass
class Job:
    rc: int
    status: str
    stdout: str
    events: list
    artifacts: Path

    def results(self, task, host=None):
        """(event name, result) of every runner_on_* event of the named task (for one host)."""
        return [(e['event'], e['event_data']['res']) for e in self.events
                if e['event'] in ('runner_on_ok', 'runner_on_failed', 'runner_on_skipped', 'runner_on_unreachable')
                and e['event_data'].get('task') == task and (host is None or e['event_data'].get('host') == host)]

    def result(self, task, host=None):
        found = self.results(task, host)
        assert len(found) == 1, 'task %r host %r: %d results\n%s' % (task, host, len(found), self.stdout[-4000:])
        return found[0]

    def output_text(self):
        """What the job showed and recorded: its stdout and every event (task results included), for secrecy checks.

        ansible-runner's own record of the job's environment (artifacts/job/env, command) is not the collection's output.
        """
        return '\n'.join([self.stdout] + [json.dumps(event) for event in self.events])


def run_job(collection, workdir, playbook, inventory, extravars=None, envvars=None, cmdline=(), passwords=None, project_files=None):
    """Write the private data directory, run ``ansible-runner run`` on it, return the Job.

    ``inventory``: an inventory dict (written as inventory/hosts.yml) or a directory copied into inventory/;
    ``cmdline``: what AWX puts in env/cmdline (-u, --ask-pass, --check, --limit...);
    ``project_files``: extra files of the project (name -> text).
    """
    pdd = Path(workdir) / ('job-%s' % Path(playbook).stem)
    if pdd.exists():
        shutil.rmtree(pdd)
    project, env = pdd / 'project', pdd / 'env'
    shutil.copytree(collection.root / 'extensions' / 'awx' / 'project', project)
    for name, text in (project_files or {}).items():
        (project / name).write_text(text)
    if isinstance(inventory, dict):
        (pdd / 'inventory').mkdir(parents=True)
        (pdd / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    else:
        shutil.copytree(inventory, pdd / 'inventory')
    env.mkdir()
    (env / 'extravars').write_text(yaml.safe_dump(extravars or {}))
    (env / 'envvars').write_text(yaml.safe_dump(dict({'ANSIBLE_FORCE_COLOR': '0', 'ANSIBLE_NOCOLOR': '1'}, **(envvars or {}))))
    (env / 'passwords').write_text(yaml.safe_dump(passwords or {}))
    (env / 'cmdline').write_text(' '.join(cmdline))
    runner = Path(sys.executable).with_name('ansible-runner')
    completed = subprocess.run([str(runner), 'run', str(pdd), '-p', playbook, '--ident', 'job'], env=collection.env(),
                               capture_output=True, text=True, timeout=600, check=False)
    artifacts = pdd / 'artifacts' / 'job'
    assert artifacts.is_dir(), completed.stdout + completed.stderr
    event_files = sorted((artifacts / 'job_events').glob('*.json'), key=lambda p: int(p.name.split('-', 1)[0]))
    events = [json.loads(p.read_text()) for p in event_files]
    return Job(int((artifacts / 'rc').read_text()), (artifacts / 'status').read_text(), (artifacts / 'stdout').read_text(), events, artifacts)
