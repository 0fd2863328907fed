"""The execution environment: ansible-builder finds junos.ztp's dependencies in the INSTALLED collection, and the
example EE definition (extensions/awx/execution-environment.yml) builds a context that installs junos.ztp from the
tarball and then introspects it. No container engine is needed: the context's own galaxy and introspection steps run
here, as the image build runs them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
PYTHON_DEPENDENCIES = ('junos-eznc', 'ncclient', 'netaddr', 'lxml', 'scp', 'paramiko')


def run(command, **kwargs):
    completed = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, timeout=300, **kwargs)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def dependencies(introspection):
    """{'python': [...], 'system': [...]} from `introspect` output (a comment line, then YAML)."""
    data = yaml.safe_load(introspection)
    return {kind: [line.split('#')[0].strip() for line in data.get(kind) or []] for kind in ('python', 'system')}


def test_ansible_builder_introspects_the_installed_collection(installed_collection):
    found = dependencies(run([BIN / 'ansible-builder', 'introspect', '--sanitize', installed_collection.collections_path]))
    requirements = (installed_collection.root / 'requirements.txt').read_text().splitlines()
    bindep = (installed_collection.root / 'bindep.txt').read_text().splitlines()
    assert found['python'] == [line for line in requirements if line and not line.startswith('#')]
    assert {line.split('>')[0] for line in found['python']} == set(PYTHON_DEPENDENCIES)
    assert found['system'] == [line for line in bindep if line and not line.startswith('#')]


def test_the_example_definition_installs_junos_ztp_and_its_dependencies(installed_collection, tmp_path):
    definition = tmp_path / 'execution-environment.yml'
    shutil.copy(installed_collection.root / 'extensions' / 'awx' / 'execution-environment.yml', definition)
    shutil.copy(installed_collection.tarball, tmp_path)
    context = tmp_path / 'context'
    run([BIN / 'ansible-builder', 'create', '-f', definition, '-c', context])
    # ansible-builder names the file after the container runtime it finds: Containerfile (podman) or Dockerfile.
    (containerfile,) = [context / name for name in ('Containerfile', 'Dockerfile') if (context / name).is_file()]
    steps = containerfile.read_text()
    assert 'ansible-galaxy collection install' in steps and 'introspect' in steps
    build = context / '_build'
    assert (build / 'collections' / installed_collection.tarball.name).is_file()
    # The image build's galaxy stage (in /build, the context's _build), then its introspection stage.
    collections = tmp_path / 'image-collections'
    run([BIN / 'ansible-galaxy', 'collection', 'install', '--offline', '-r', 'requirements.yml', '--collections-path', collections],
        cwd=build, env=installed_collection.env(ANSIBLE_COLLECTIONS_PATH=str(collections)))
    assert (collections / 'ansible_collections' / 'junos' / 'ztp' / 'MANIFEST.json').is_file()
    found = dependencies(run([sys.executable, build / 'scripts' / 'introspect.py', 'introspect', '--sanitize', collections]))
    assert {line.split('>')[0] for line in found['python']} == set(PYTHON_DEPENDENCIES)
    assert 'openssh-clients [platform:rpm]' in found['system']
