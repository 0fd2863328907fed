"""The collection a user gets from `ansible-galaxy collection build` + `install`: what it holds, its docs and metadata.

Running playbooks from it: tests/wire/test_awx_jobs.py; its molecule scenario: tests/wire/test_molecule.py;
its execution environment: tests/wire/test_execution_environment.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

DEVELOPMENT_FILES = ('Makefile', 'requirements-dev.txt', '.ansible-lint', '.gitignore', '.ci/', 'bench/', 'tools/', '.venv/',
                     '.build/', 'tests/output/', '.pytest_cache/', '__pycache__/')
# A path outside the collection: the machine's directories, or up out of the collection root.
OUTSIDE = re.compile(r'/work/|\.\./shared|shared/reference|protocols\.md|anchors\.md')


def test_the_tarball_leaves_development_files_out(installed_collection):
    with tarfile.open(installed_collection.tarball) as tar:
        names = tar.getnames()
    for development in DEVELOPMENT_FILES:
        assert not [n for n in names if n == development.rstrip('/') or n.startswith(development) or '/' + development in n], development
    for shipped in ('README.md', 'requirements.txt', 'bindep.txt', 'meta/runtime.yml', 'meta/execution-environment.yml',
                    'extensions/molecule/default/molecule.yml', 'extensions/awx/controller_configuration.yml', 'tests/vcsim_fleet.py'):
        assert shipped in names, shipped


def test_docs_stand_alone(installed_collection):
    root = installed_collection.root
    pages = [root / 'README.md'] + sorted((root / 'docs').glob('*.md')) + sorted((root / 'extensions').rglob('*.md')) \
        + sorted((root / 'tests').rglob('*.md'))
    for page in pages:
        text = page.read_text()
        assert not OUTSIDE.search(text), '%s: %s' % (page.name, OUTSIDE.search(text).group(0))
        # Every file a page names in backquotes under a shipped top-level directory is in the collection.
        for path in re.findall(r'`((?:docs|plugins|roles|playbooks|meta|extensions)/[\w./-]+\.\w+)`', text):
            assert (root / path).exists(), '%s names %s, which the collection does not hold' % (page.name, path)


def test_metadata_is_real_and_every_plugin_is_new_in_this_version(installed_collection):
    root = installed_collection.root
    manifest = json.loads((root / 'MANIFEST.json').read_text())['collection_info']
    for field in ('repository', 'documentation', 'homepage', 'issues'):
        assert 'example.invalid' not in str(manifest.get(field)), field
    version = manifest['version']
    for module in sorted((root / 'plugins' / 'modules').glob('*.py')):
        documentation = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', module.read_text(), re.S).group(1))
        # antsibull-changelog lists a module under "New Modules" of the release its version_added names.
        assert documentation['version_added'] == version, module.name


def test_ansible_doc_reads_every_module_from_the_installed_copy(installed_collection):
    modules = sorted(p.stem for p in (installed_collection.root / 'plugins' / 'modules').glob('*.py'))
    completed = subprocess.run([str(Path(sys.executable).with_name('ansible-doc')), '--json'] + ['junos.ztp.' + m for m in modules],
                               env=installed_collection.env(), capture_output=True, text=True, check=False, timeout=300)
    assert completed.returncode == 0, completed.stderr
    docs = json.loads(completed.stdout)
    assert sorted(docs) == ['junos.ztp.' + m for m in modules]
    for name, doc in docs.items():
        assert doc['doc']['collection'] == 'junos.ztp' and str(installed_collection.root) in doc['doc']['filename'], name


def test_one_module_defaults_group_covers_every_module_that_opens_a_netconf_session(installed_collection):
    root = installed_collection.root
    runtime = yaml.safe_load((root / 'meta' / 'runtime.yml').read_text())
    netconf_modules = sorted(p.stem for p in (root / 'plugins' / 'modules').glob('*.py') if 'junos.ztp.connection' in p.read_text())
    assert sorted(runtime['action_groups']['netconf']) == netconf_modules
