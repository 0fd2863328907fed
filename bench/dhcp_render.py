#!/usr/bin/env python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: junos.ztp.dhcp_config (one task per file) against per-host ansible.builtin.template, 1,000 and 10,000 devices.

Run from the repository root after `make setup`:

    .venv/bin/python bench/dhcp_render.py                      # 300 naive hosts: about 8 minutes on a 2-core machine
    .venv/bin/python bench/dhcp_render.py --naive-hosts 100 --repeat 1   # quicker

What it measures, with real ansible-playbook runs (wall-clock and CPU seconds):

1. Inventory formats for 10,000 hosts: Ansible start-up and inventory loading with the same data as a
   static YAML file, a static JSON file and an executable (script) inventory printing JSON.
2. For 1,000 and 10,000 hosts (script inventory): start-up and inventory loading, then the render task itself
   for an ISC dhcpd file and a Kea file: wall and CPU time without the server's own check (validate: false; the least
   of --repeat runs, alternating with the run that renders nothing), and wall time with it (dhcpd -t / kea-dhcp4 -t,
   the default).
3. The same fleet in-process, split into the action's phases (read variables, validate_fleet, DHCP plan, render isc4 / kea4).
4. The naive approach: one ansible.builtin.template task per host plus ansible.builtin.assemble, measured at
   --naive-hosts hosts, against our task measured at the same size in the same run (no extrapolation).

The fleet: 80 % standalone EX2300 under dhcp-ztp, 20 % four-member EX4300 Virtual Chassis under phone-home;
shared values are group variables, as a real inventory has them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _playbook_run import NOOP, REPO, run_playbook

sys.path[:0] = [str(REPO / 'tests'), str(REPO / '.build' / 'collections')]

GROUP_VARS = {
    'ansible_connection': 'local',
    'ansible_python_interpreter': sys.executable,
    'ztp_software': {'version': '21.4R3-S5.4', 'images': [
        {'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'sha256': 'a' * 64,
         'url': 'http://192.0.2.10/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz'},
        {'models': ['ex2300-*'], 'file': 'junos-arm-32-21.4R3-S5.4.tgz', 'sha256': 'b' * 64,
         'url': 'http://192.0.2.10/images/junos-arm-32-21.4R3-S5.4.tgz'}]},
    'ztp_file_server': {'address': '192.0.2.10', 'image_path': '/images', 'config_path': '/configs'},
    'ztp_dhcp_options': {'ntp_servers': ['192.0.2.1', '192.0.2.2'], 'syslog_servers': ['192.0.2.20'], 'proxy': '192.0.2.30:3128'},
    'ztp_phone_home': {'server_url': 'https://192.0.2.40:8443'},
    'ztp_configuration': {'template': '/srv/ztp/templates/site-config.xml.j2'},
}
SUBNETS = [{'subnet': '10.16.0.0/12', 'pools': ['10.31.255.1 - 10.31.255.250']}]

NAIVE_TEMPLATE = """# {{ inventory_hostname }}
group {
  option host-name "{{ ztp_management.hostname }}";
  option ntp-servers {{ ztp_dhcp_options.ntp_servers | join(', ') }};
  option junos-ztp.proxy-server "{{ ztp_dhcp_options.proxy }}";
{% if ztp_bootstrap_method == 'dhcp-ztp' %}
  option junos-ztp-file-server {{ ztp_file_server.address }};
  option junos-ztp.config-file-name "{{ ztp_file_server.config_path }}/{{ inventory_hostname }}.conf";
  option junos-ztp.transfer-mode "http";
{% endif %}
{% for member in ztp_members %}
  host ztp-{{ member.serial_number }} { hardware ethernet {{ member.mac_address }}; fixed-address {{ ztp_management.ipv4_address }}; }
{% endfor %}
}
"""


def fleet(count):
    """{group: {host: host variables}} for count devices."""
    groups = {'standalone': {}, 'virtual_chassis': {}}
    for index in range(count):
        name = 'site%03d-sw%05d' % (index // 100, index)
        management = {'ipv4_address': '10.%d.%d.%d' % (16 + index // 62500, index // 250 % 250, index % 250 + 1), 'hostname': name}
        if index % 5 == 4:
            members = [{'member_id': m, 'serial_number': 'PE%08d%d' % (index, m), 'model': 'ex4300-48p',
                        'mac_address': '84:b5:%02x:%02x:%02x:%02x' % (index >> 16 & 255, index >> 8 & 255, index & 255, m * 4)} for m in range(4)]
            groups['virtual_chassis'][name] = {'ztp_management': management, 'ztp_members': members}
        else:
            members = [{'serial_number': 'HW%010d' % index, 'model': 'ex2300-24p',
                        'mac_address': 'f4:cc:%02x:%02x:%02x:00' % (index >> 16 & 255, index >> 8 & 255, index & 255)}]
            groups['standalone'][name] = {'ztp_management': management, 'ztp_members': members}
    return groups


GROUP_OVERRIDES = {'standalone': {'ztp_bootstrap_method': 'dhcp-ztp'},
                   'virtual_chassis': {'ztp_topology': 'full', 'ztp_bootstrap_method': 'phone-home'}}


def write_inventories(directory, count):
    """The same fleet three ways; returns {format: path}."""
    groups = fleet(count)
    static = {'all': {'vars': GROUP_VARS, 'children': {g: {'vars': GROUP_OVERRIDES[g], 'hosts': hosts} for g, hosts in groups.items()}}}
    paths = {'yaml': directory / ('fleet%d.yml' % count), 'json': directory / ('fleet%d.json' % count), 'script': directory / ('fleet%d.py' % count)}
    paths['yaml'].write_text(yaml.safe_dump(static, default_flow_style=False))
    paths['json'].write_text(json.dumps(static))
    dynamic = {'all': {'vars': GROUP_VARS, 'children': list(groups)},
               '_meta': {'hostvars': {host: variables for hosts in groups.values() for host, variables in hosts.items()}}}
    dynamic.update({g: {'vars': GROUP_OVERRIDES[g], 'hosts': list(hosts)} for g, hosts in groups.items()})
    data = directory / ('fleet%d-script.json' % count)
    data.write_text(json.dumps(dynamic))
    paths['script'].write_text('#!/bin/sh\n# Script inventory: prints the whole fleet as JSON, _meta.hostvars included.\nexec cat %s\n' % data)
    paths['script'].chmod(0o755)
    return paths


def render_task(name, output, dest, validate=True):
    return {'name': name, 'junos.ztp.dhcp_config': {'output': output, 'dest': str(dest), 'subnets': SUBNETS, 'validate': validate}, 'run_once': True}


def measure_formats(directory, paths):
    return {fmt: run_playbook(directory, path, NOOP).startup for fmt, path in paths.items()}


def measure_render(directory, paths, repeat):
    """Start-up, and each output's render task: wall time and CPU time (beyond a run that renders nothing) without the server's
    own check (validate: false), and the wall time with it. The runs without the check are repeated, alternating with the
    run that renders nothing, and the least of each is kept: other load on the machine only ever adds time."""
    outputs = (('isc4', 'dhcpd-junos-ztp.conf'), ('kea4', 'kea-dhcp4.conf'))
    baselines, runs = [], {output: [] for output, _dest in outputs}
    for _round in range(repeat):
        baselines.append(run_playbook(directory, paths['script'], NOOP))
        for output, dest in outputs:
            runs[output].append(run_playbook(directory, paths['script'], [render_task(output, output, directory / dest, validate=False)]))
    baseline_cpu = min(run.cpu for run in baselines)
    figures = {'startup': min(run.startup for run in baselines), 'startup cpu': baseline_cpu}
    for output, dest in outputs:
        figures[output] = min(run.tasks[output] for run in runs[output])
        figures[output + ' cpu'] = min(run.cpu for run in runs[output]) - baseline_cpu
        checked = run_playbook(directory, paths['script'], [render_task(output, output, directory / dest)])
        figures[output + ' checked'] = checked.tasks[output]
    return figures


def measure_phases(paths):
    """The action's phases in this process, on the same inventory (CPU seconds, like the task itself)."""
    # pylint: disable=import-outside-toplevel
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    from ansible_collections.junos.ztp.plugins.module_utils import _dhcp
    from ansible_collections.junos.ztp.plugins.module_utils._data_model import HOST_VARIABLES, VARIABLE_PREFIX, validate_fleet
    from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render
    from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables

    loader = DataLoader()
    inventory = InventoryManager(loader, sources=[str(paths['script'])])
    hostvars = HostVars(inventory, VariableManager(loader, inventory), loader)
    hosts = sorted(inventory.hosts)
    gc.freeze()  # as the action does in its worker process
    gc.disable()
    phases = {}
    clock = time.process_time
    started = clock()
    variables = fleet_variables(hostvars, hosts, HOST_VARIABLES, Templar(loader), prefix=VARIABLE_PREFIX)
    phases['read variables'] = clock() - started
    started = clock()
    validate_fleet(variables)
    phases['validate_fleet (data model)'] = clock() - started
    started = clock()
    plan = _dhcp.build_plan(variables, _dhcp.Settings('isc4', subnets=SUBNETS))
    phases['DHCP plan, validate_fleet included'] = clock() - started
    started = clock()
    render(plan)
    phases['render isc4'] = clock() - started
    plan = _dhcp.build_plan(variables, _dhcp.Settings('kea4', subnets=SUBNETS))
    started = clock()
    render(plan)
    phases['render kea4'] = clock() - started
    gc.enable()
    return phases


def measure_naive(directory, paths):
    fragments = directory / 'fragments'
    fragments.mkdir(exist_ok=True)
    (directory / 'record.j2').write_text(NAIVE_TEMPLATE)
    tasks = [
        {'name': 'template', 'ansible.builtin.template': {'src': str(directory / 'record.j2'), 'dest': '%s/{{ inventory_hostname }}.conf' % fragments,
                                                          'mode': '0644'}},
        {'name': 'assemble', 'ansible.builtin.assemble': {'src': str(fragments), 'dest': str(directory / 'naive-dhcpd.conf'), 'mode': '0644'},
         'run_once': True},
    ]
    baseline = run_playbook(directory, paths['script'], NOOP)
    run = run_playbook(directory, paths['script'], tasks)
    return {'startup': run.startup, 'template': run.tasks['template'], 'assemble': run.tasks['assemble'], 'cpu': run.cpu - baseline.cpu}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--naive-hosts', type=int, default=300, help='hosts to run the per-host template approach on (default 300)')
    parser.add_argument('--repeat', type=int, default=3, help='runs of each render task without the check, least kept (default 3)')
    args = parser.parse_args()
    began = time.time()
    print('Load average at the start: %.2f' % os.getloadavg()[0])
    sizes = sorted({1000, 10000, args.naive_hosts})
    with tempfile.TemporaryDirectory(prefix='junos-ztp-bench-') as tmp:
        directory = Path(tmp)
        paths = {count: write_inventories(directory, count) for count in sizes}
        print('Inventory format, 10,000 hosts: Ansible start-up + inventory loading (s)')
        formats = measure_formats(directory, paths[10000])
        for fmt, seconds in formats.items():
            print('  %-8s %6.1f' % (fmt, seconds))
        ours = {count: measure_render(directory, paths[count], args.repeat) for count in sizes}
        phases = measure_phases(paths[10000])
        naive = measure_naive(directory, paths[args.naive_hosts])
    print('\nThe action\'s phases, 10,000 hosts, in-process (CPU s)')
    for phase, seconds in phases.items():
        print('  %-38s %6.2f' % (phase, seconds))
    print('\n%-7s %9s %9s %9s %9s %12s %9s %9s %12s' % (
        'hosts', 'start+inv', 'start cpu', 'isc4 task', 'isc4 cpu', 'isc4 +dhcpd', 'kea4 task', 'kea4 cpu', 'kea4 +kea -t'))
    for count in sizes:
        run = ours[count]
        print('%-7d %9.2f %9.2f %9.2f %9.2f %12.2f %9.2f %9.2f %12.2f' % (
            count, run['startup'], run['startup cpu'], run['isc4'], run['isc4 cpu'], run['isc4 checked'], run['kea4'], run['kea4 cpu'],
            run['kea4 checked']))
    small = ours[args.naive_hosts]
    naive_task = naive['template'] + naive['assemble']
    print('\nNaive, measured at %d hosts in this run: template %.1f s + assemble %.1f s wall, %.1f s CPU (start-up %.1f s)'
          % (args.naive_hosts, naive['template'], naive['assemble'], naive['cpu'], naive['startup']))
    print('Against the isc4 task at %d hosts: wall %.0fx (checked by dhcpd: %.0fx), CPU %.0fx; whole run (start-up included, checked) %.0fx'
          % (args.naive_hosts, naive_task / small['isc4'], naive_task / small['isc4 checked'], naive['cpu'] / small['isc4 cpu'],
             (naive['startup'] + naive_task) / (small['startup'] + small['isc4 checked'])))
    print('\nSeconds. "task" = wall time of the render task with validate: false (fleet read, validated, rendered, written);'
          ' "cpu" = CPU time of that run beyond a run that renders nothing (least of %d runs each); "+dhcpd" / "+kea -t" = the'
          ' task\'s wall time with the server\'s own check (the default, one run).' % args.repeat)
    largest = ours[max(sizes)]
    print('Target, %d hosts: isc4 %.2f s CPU, kea4 %.2f s CPU against 3 s: %s' % (
        max(sizes), largest['isc4 cpu'], largest['kea4 cpu'], 'met' if max(largest['isc4 cpu'], largest['kea4 cpu']) < 3 else 'NOT met'))
    print('Load average at the end: %.2f (1 min), %.2f (5 min); bench run time %.0f s' % (os.getloadavg()[0], os.getloadavg()[1], time.time() - began))


if __name__ == '__main__':
    main()
