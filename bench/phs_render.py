"""Rendering phone-home records for a large fleet: validation, both encodings, and the directory swap.

    .venv/bin/python bench/phs_render.py [--devices 10000]

Builds a synthetic fleet shaped like the example inventory (4-member EX4300 Virtual Chassis, so
10,000 devices = 2,500 hosts x 4 member serials), then times each step the junos.ztp.phs_records
action runs on the controller (templates excluded: content is given) and the module's write.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / '.build' / 'collections'))

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_fleet  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import render_records  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import compare, read_tree, write_version  # noqa: E402

SOFTWARE = {'version': '21.4R3-S5.4', 'images': [{
    'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz',
    'url': 'http://192.0.2.10/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz',
    'sha256': '6f1f3f3d6c1b0c4f1f4b8a1b5a2d7c9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8',
    'md5': '0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'sha1': '00112233445566778899aabbccddeeff00112233'}]}
CONFIGURATION = ('<configuration><system><host-name>{host}</host-name><autoinstallation delete="delete"/>'
                 '<services><netconf><ssh/></netconf></services></system></configuration>')


def fleet(devices):
    hosts = {}
    for number in range(devices // 4):
        host = 'vc%05d' % number
        hosts[host] = {
            'ztp_topology': 'full', 'ztp_provisioning_mode': 'strict', 'ztp_software': SOFTWARE,
            'ztp_members': [{'serial_number': 'PE%06d%02d' % (number, m), 'member_id': m, 'model': 'ex4300-48p',
                             'role': 'routing-engine' if m < 2 else 'line-card', 'mastership_priority': 255 if m < 2 else 0} for m in range(4)],
            'ztp_configuration': {'content': CONFIGURATION.format(host=host)},
            'ztp_phone_home': {'server_url': 'https://192.0.2.40:8443'},
        }
    return hosts


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--devices', type=int, default=10000)
    args = parser.parse_args()
    hosts = fleet(args.devices)
    models, validate = timed(validate_fleet, hosts)
    inputs = {h: {'configuration': m['ztp_configuration']['content']} for h, m in models.items()}
    files, render = timed(render_records, models, inputs)
    with tempfile.TemporaryDirectory(dir=REPO / '.build') as workdir:
        dest = str(Path(workdir) / 'records')
        _result, write = timed(write_version, dest, files)
        unchanged, compare_time = timed(lambda: compare(read_tree(dest), files))
        assert not any(unchanged.values())
    total = validate + render + write
    size = sum(len(c) for c in files.values())
    print('phone-home records for %d devices (%d hosts, %d files, %.1f MB)' % (args.devices, len(hosts), len(files), size / 1e6))
    print('%-44s %9s %14s' % ('step', 'seconds', 'devices/s'))
    for name, seconds in (('validate_fleet (data model)', validate), ('render both encodings + index', render),
                          ('write new version + swap link', write), ('total (target < 5 s for 10,000)', total),
                          ('re-run compare, nothing changed', compare_time)):
        print('%-44s %9.2f %14.0f' % (name, seconds, args.devices / seconds))


if __name__ == '__main__':
    main()
