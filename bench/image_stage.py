"""Image staging: junos.ztp.image_stage against PyEZ's SW.safe_copy, side by side on the simulator.

    .venv/bin/python bench/image_stage.py [--sizes 64,512] [--rounds 3]

For each image size, every round stages the image on fresh simulated 4-member EX4300 Virtual Chassis
(one per tool, in one simulator), then stages it again (the re-run). Both tools do the same work:
open a NETCONF session, hash the local file (sha256), ask the device for its checksum, send the file
over SCP, have the device checksum the copy. Timed from opening the session to closing it; the
simulator (a separate process, as `python -m vcsim`) counts the bytes each VC received over SCP.
Prints the median of the rounds as a markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / '.build' / 'collections'))
sys.path.insert(0, str(REPO / 'tests'))

from jnpr.junos import Device  # noqa: E402
from jnpr.junos.utils.sw import SW  # noqa: E402

from ansible_collections.junos.ztp.plugins.module_utils._connection import open_device  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._image_stage import ImageStager  # noqa: E402
from vcsim import control, make_image  # noqa: E402
from vcsim.testing import PASSWORD, USER, vc4_spec  # noqa: E402

MIB = 1 << 20
VERSION = '22.4R3-S2.3'
STORAGE_BYTES = 4 << 30  # room for the 512 MiB image (a real EX4300's /var/tmp has about 440 MiB free)


def stage_ours(vc, software):
    params = {'host': vc.host, 'port': vc.port, 'user': USER, 'password': PASSWORD, 'private_key_file': None,
              'host_key_checking': True, 'known_hosts_file': vc.known_hosts_file, 'timeout': 60}
    result = ImageStager(lambda: open_device(params), transfer_timeout=600).run(software)
    assert result['images'][0]['status'] in ('sent', 'present'), result


def stage_pyez(vc, software):
    """PyEZ's SCP helper opens a second SSH connection that reads only ~/.ssh/known_hosts (HOME is the simulator's ssh-home)."""
    image = software['images'][0]
    device = Device(host=vc.host, port=vc.port, user=USER, passwd=PASSWORD, hostkey_verify=True,
                    ssh_config=vc.ssh_config_file, gather_facts=False)
    device.open()
    try:
        assert SW(device).safe_copy(image['local_path'], remote_path='/var/tmp', cleanfs=False,
                                    checksum_algorithm='sha256', checksum_timeout=600)
    finally:
        device.close()


TOOLS = {'junos.ztp.image_stage': stage_ours, 'PyEZ SW.safe_copy': stage_pyez}


class Simulators:
    """The simulator in its own process (as `python -m vcsim`), so it does not share the GIL with the tools measured."""

    def __init__(self, spec, workdir):
        self.workdir = workdir
        workdir.mkdir(parents=True)
        (workdir / 'spec.json').write_text(json.dumps(spec))
        # Its stderr goes to a file: paramiko logs every connection the tools close, which is noise here.
        with open(workdir / 'vcsim.log', 'w', encoding='utf-8') as log:
            self.process = subprocess.Popen(
                [sys.executable, '-m', 'vcsim', '--spec', str(workdir / 'spec.json'), '--workdir', str(workdir / 'sim'),
                 '--state', str(workdir / 'state.json')],
                cwd=REPO / 'tests', stdout=subprocess.PIPE, stderr=log, text=True)
        if not any(json.loads(line).get('ready') for line in self.process.stdout):
            sys.exit('the simulator did not start:\n' + (workdir / 'vcsim.log').read_text(encoding='utf-8'))
        self.state = json.loads((workdir / 'state.json').read_text(encoding='utf-8'))

    def vc(self, name):
        endpoint = next(vc for vc in self.state['vcs'] if vc['name'] == name)
        return SimpleNamespace(**endpoint)

    def bytes_received(self, name):
        events = control.call(self.state['control'], {'op': 'events', 'vc': name})[name]
        return sum(event['bytes'] for event in events if event['event'] == 'upload')

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(sim, name, stage, software):
    before = sim.bytes_received(name)
    started = time.perf_counter()
    stage(sim.vc(name), software)
    return time.perf_counter() - started, sim.bytes_received(name) - before


def run(sizes, rounds, workdir):
    rows = []
    for size_mib in sizes:
        image = make_image(workdir, VERSION, 'ex-4300', size_mib * MIB)
        software = {'version': VERSION, 'images': [{
            'models': ['ex4300-*'], 'file': image.name, 'local_path': str(image), 'url': None,
            'sha256': hashlib.sha256(image.read_bytes()).hexdigest(), 'sha1': None, 'md5': None}]}
        figures = {tool: [] for tool in TOOLS}
        for number in range(rounds):
            names = {tool: 'r%d-%d-%d' % (size_mib, number, index) for index, tool in enumerate(TOOLS)}
            spec = vc4_spec()
            spec['vcs'] = [vc4_spec(name, storage_bytes=STORAGE_BYTES)['vcs'][0] for name in names.values()]
            sim = Simulators(spec, workdir / ('sim-%d-%d' % (size_mib, number)))
            os.environ['HOME'] = sim.state['ssh_home']
            try:
                # Alternate which tool goes first, so neither always meets a cold page cache or a busy machine.
                for tool in list(TOOLS)[::1 if number % 2 == 0 else -1]:
                    stage = TOOLS[tool]
                    figures[tool].append(measure(sim, names[tool], stage, software) + measure(sim, names[tool], stage, software))
            finally:
                sim.close()
            shutil.rmtree(sim.workdir)
        for tool in TOOLS:
            fresh, sent, rerun, resent = (statistics.median(column) for column in zip(*figures[tool]))
            rows.append({'size': size_mib, 'tool': tool, 'fresh': fresh, 'rate': size_mib / fresh, 'bytes': sent / (size_mib * MIB),
                         'rerun': rerun, 'rerun_bytes': resent})
        image.unlink()
    return rows


def table(rows):
    lines = ['| image | tool | staging s | MiB/s | bytes per VC (x image) | re-run s | re-run bytes per VC | time vs safe_copy |',
             '|---|---|---|---|---|---|---|---|']
    baseline = {row['size']: row['fresh'] for row in rows if row['tool'] == 'PyEZ SW.safe_copy'}
    for row in rows:
        lines.append('| %d MiB | %s | %.2f | %.1f | %.2f | %.2f | %d | %.2fx |' % (
            row['size'], row['tool'], row['fresh'], row['rate'], row['bytes'], row['rerun'], row['rerun_bytes'],
            row['fresh'] / baseline[row['size']]))
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='64,512', help='image sizes in MiB, comma separated')
    parser.add_argument('--rounds', type=int, default=3, help='fresh simulators per size and tool; the median is shown')
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='bench-image-stage-') as workdir:
        print(table(run([int(size) for size in options.sizes.split(',')], options.rounds, Path(workdir))))


if __name__ == '__main__':
    main()
