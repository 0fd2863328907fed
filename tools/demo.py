"""`make demo`: both routes of the job end to end on 127.0.0.1, for the example inventory's switches.

1. Starts one simulated VC per host of playbooks/inventory/example/ (tests/vcsim_fleet.py: the same serial numbers,
   models, member IDs and roles, every member on an older version so the upgrade really runs, time sped up 60 times),
   with test images (real md5, sha1 and sha256 replace the example's placeholders) served over HTTP by a file server.
2. Starts the phone-home server from its role's package (roles/phone_home_server/files) with a self-signed certificate.
3. Writes an overlay inventory, <workdir>/inventory/, that points each host at its simulated VC, the images at the file
   server and ztp_phone_home at the phone-home server; the hosts that get phone-home records form the group
   demo_phone_home, whose upgrade notifications go to that server.
4. Renders the phone-home records with the junos.ztp.phs_records role into the server's records directory.
5. Runs playbooks/provision_vc.yml on both inventories with its output live, and the simulated members' installs,
   reboots, role changes and commits shown as they happen.
   One VC (PHONE_HOME_ROUTE_HOST) takes the device-driven route instead: a redirect server (the same server with
   --redirect) stands in for Juniper's, the playbook tools/demo_playbooks/phone_home_route.yml zeroizes the VC with
   junos.ztp.zeroize, and the simulated VC's own phone-home client provisions it from the records while
   junos.ztp.phs_status waits for its bootstrap-complete; provision_vc.yml runs on the other hosts at the same time.
6. Checks with junos.ztp.phs_status that each VC reported every member's upgrade (tools/demo_playbooks/phs_check.yml),
   prints per host its route, what the simulated switches run now and what the phone-home server knows, and writes
   summary.json.
7. DHCP ZTP route (as root): renders the example's Kea DHCPv4 records with the junos.ztp.dhcp_records role
   (tools/demo_playbooks/dhcp_ztp.yml, which also publishes each dhcp-ztp switch's configuration), starts Kea on them and
   an HTTP file server at the records' file server address in a network namespace, and boots each dhcp-ztp switch of the
   example (ams1-sw1) factory-default in a second namespace: it runs DHCP ZTP (tests/vcsim/ztp.py) until it runs the
   target version with its configuration committed; the summary's dhcp_ztp says what it got and runs.
The simulator, the phone-home servers and the file server are always stopped: on success, on failure and on Ctrl-C.
Needs no terminal (CI runs it). <workdir> is .build/demo, or $JUNOS_ZTP_DEMO_WORKDIR (the tests use a temporary one).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))

from vcsim_fleet import OLD_VERSION, REPO, Fleet, ansible_env, terminate, write_private  # noqa: E402  pylint: disable=wrong-import-position
from vcsim.control import call  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(REPO / 'tests' / 'wire'))
from dhcp_lab import SERVER_INTERFACE, DhcpLab  # noqa: E402  pylint: disable=wrong-import-position
from vcsim import Simulator  # noqa: E402  pylint: disable=wrong-import-position
from vcsim.ztp import enter_netns  # noqa: E402  pylint: disable=wrong-import-position

INVENTORY = REPO / 'playbooks' / 'inventory' / 'example'
PLAYBOOK = REPO / 'playbooks' / 'provision_vc.yml'
RECORDS_PLAYBOOK = REPO / 'tools' / 'demo_playbooks' / 'phs_records.yml'
CHECK_PLAYBOOK = REPO / 'tools' / 'demo_playbooks' / 'phs_check.yml'
PHONE_HOME_ROUTE_PLAYBOOK = REPO / 'tools' / 'demo_playbooks' / 'phone_home_route.yml'
# The Virtual Chassis that provisions itself by phone-home (strict, full topology); the others go the controller route.
PHONE_HOME_ROUTE_HOST = 'ams1-vc1'
PHS_PACKAGE = REPO / 'roles' / 'phone_home_server' / 'files'
WORKDIR = Path(os.environ.get('JUNOS_ZTP_DEMO_WORKDIR') or REPO / '.build' / 'demo').resolve()
# The overlay's group of hosts the phone-home server has records for (tools/demo_playbooks/phs_check.yml checks them).
PHONE_HOME_GROUP = 'demo_phone_home'
# Where the phone-home client posts notifications, under the server's base URL (docs/phone-home.md, Endpoints).
NOTIFICATION_PATH = '/restconf/data/juniper-zerotouch-bootstrap-server:devices'
PHS_START_SECONDS = 30
RECORDS_LOAD_SECONDS = 10
# Simulator events worth a line of their own while the playbook runs.
SHOWN_EVENTS = {
    'install_start': lambda e: 'installing %s' % e.get('package', '').rsplit('/', 1)[-1],
    'install_end': lambda e: 'installed %s' % e.get('version'),
    'install_fail': lambda e: 'install FAILED: %s' % e.get('reason'),
    'reboot_start': lambda e: 'rebooting',
    'member_rejoin': lambda e: 'back in the VC, running %s' % e.get('version'),
    'role_change': lambda e: 'role %s -> %s' % (e.get('old'), e.get('new')),
    'config_commit': lambda e: 'configuration committed%s' % (' (confirmed)' if e.get('confirmed') else ''),
    # The phone-home client of a zeroized VC (docs/simulator.md, "The phone-home client").
    'phc_start': lambda e: 'phone-home client %s' % ('resumes on the new primary' if e.get('resumed') else 'starts on the primary'),
    'phc_redirect': lambda e: 'redirected to %s' % ', '.join(e['servers']) if e.get('ok') else 'redirect server: %s' % e.get('error'),
    'phc_record': lambda e: ('bootstrap record: topology %s, mode %s' % (e.get('topology'), e.get('mode')) if e.get('ok')
                             else 'bootstrap server: %s' % e.get('error')),
    'phc_image_verify': lambda e: 'image checksums %s' % ('verified' if e.get('ok') else 'do NOT match'),
    'phc_state_synced': lambda e: 'phone-home state synced here before the primary reboots',
    'phc_notify': lambda e: 'phone-home notification %s: %s' % (e.get('type'), e.get('message')),
    'phc_server_failed': lambda e: 'gave up on %s: %s' % (e.get('server'), e.get('reason')),
    'phc_complete': lambda e: 'phone-home provisioning complete',
}


def say(message):
    print('demo: %s' % message, flush=True)


def shown(path):
    """A path as the user would type it: relative to the repository when it is inside."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def free_port():
    """A TCP port nobody listens on now, on 127.0.0.1 (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def loopback_env(env):
    """Never send the demo's loopback requests through a proxy of the user's environment."""
    bypass = ','.join(filter(None, [env.get('no_proxy') or env.get('NO_PROXY'), '127.0.0.1', 'localhost']))
    return dict(env, no_proxy=bypass, NO_PROXY=bypass)


class FileServer:
    """The images directory over plain HTTP on 127.0.0.1 (or ``address``), in a thread; each request is shown (the switches fetch here)."""

    def __init__(self, directory, output_lock, address=('127.0.0.1', 0)):
        handler = functools.partial(_ShownRequestHandler, directory=str(directory), output_lock=output_lock)
        self.server = ThreadingHTTPServer(address, handler)
        self.url = 'http://%s:%d' % self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.server.shutdown()
        self.server.server_close()


class _ShownRequestHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args, output_lock, **kwargs):
        self.output_lock = output_lock
        super().__init__(*args, **kwargs)

    def log_request(self, code='-', size='-'):
        with self.output_lock:
            print('  [file server] %s %s -> %s' % (self.command, self.path, getattr(code, 'value', code)), flush=True)

    def log_error(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # the request line that follows says it


class PhoneHomeServer:
    """`python -m junos_ztp_phs` from the role's files, as a child process in a session of its own (like the simulator)."""

    def __init__(self, directory, records=None, redirect=False):
        self.directory = directory
        self.cert = directory / 'cert.pem'
        self.key = directory / 'key.pem'
        self.records = records or directory / 'records'
        self.redirect = redirect
        self.log = directory / 'server.log'
        self.port = None
        self.process = None
        self.env = dict(os.environ, PYTHONPATH=str(PHS_PACKAGE))

    @property
    def url(self):
        return 'https://127.0.0.1:%d' % self.port

    def start(self):
        """A certificate for 127.0.0.1, then the server on a free port; returns once its status API answers."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        tls = ['--cert', str(self.cert), '--key', str(self.key)]
        subprocess.run([sys.executable, '-m', 'junos_ztp_phs.tls', '--name', '127.0.0.1'] + tls, env=self.env, check=True)
        self.port = free_port()
        with open(self.log, 'w') as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'junos_ztp_phs', '--records', str(self.records), '--db', str(self.directory / 'notifications.db'),
                 '--listen', '127.0.0.1:%d' % self.port, '--reload-interval', '0.5'] + tls + (['--redirect'] if self.redirect else []),
                cwd=self.directory, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + PHS_START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                return self.get('/status')
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('the phone-home server did not start; see %s' % self.log)

    def get(self, path):
        """A status API answer, the certificate verified against the demo's own."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(self.cert))))
        with opener.open(self.url + path, timeout=5) as response:
            return json.load(response)

    def wait_for_records(self):
        """The records as the server has loaded them (it looks for a new version every half second)."""
        deadline = time.monotonic() + RECORDS_LOAD_SECONDS
        while time.monotonic() < deadline:
            status = self.get('/status')
            if status['records']:
                return status
            time.sleep(0.2)
        raise RuntimeError('the phone-home server did not load the records of %s; see %s' % (self.records, self.log))

    def stop(self):
        """SIGTERM (the server closes its store); safe to call more than once."""
        terminate(self.process)


def write_overlay(directory, endpoints, phs):
    """An inventory that points each host at its simulated VC and the phone-home server; layered over the example with a second -i."""
    shutil.rmtree(directory, ignore_errors=True)
    (directory / 'host_vars').mkdir(parents=True)
    (directory / 'group_vars').mkdir(exist_ok=True)
    write_hosts(directory, endpoints['hosts'], [])
    overlay = {
        'ztp_software': endpoints['ztp_software'],
        'ztp_phone_home': {'server_url': phs.url, 'trust_anchor': str(phs.cert)},
        # The switches fetch the images from the file server, the URL the phone-home records carry.
        'provision_vc_image_source': 'url',
    }
    (directory / 'group_vars' / 'all.yml').write_text('---\n' + yaml.safe_dump(overlay, sort_keys=False))
    notifications = {'provision_vc_notification_url': phs.url + NOTIFICATION_PATH, 'provision_vc_notification_ca_path': str(phs.cert)}
    (directory / 'group_vars' / ('%s.yml' % PHONE_HOME_GROUP)).write_text('---\n' + yaml.safe_dump(notifications, sort_keys=False))
    for host, variables in endpoints['hosts'].items():
        write_private(directory / 'host_vars' / ('%s.yml' % host), '---\n' + yaml.safe_dump(variables, sort_keys=False))


def write_hosts(directory, hosts, phone_home_hosts):
    """The overlay's hosts.yml; the hosts the phone-home server has records for form PHONE_HOME_GROUP."""
    inventory = {'all': {'hosts': {host: None for host in hosts},
                         'children': {PHONE_HOME_GROUP: {'hosts': {host: None for host in phone_home_hosts}}}}}
    (directory / 'hosts.yml').write_text('---\n' + yaml.safe_dump(inventory))


class EventPrinter(threading.Thread):
    """Polls the simulator's control channel and prints member events as they happen."""

    def __init__(self, address, output_lock):
        super().__init__(daemon=True)
        self.address = address
        self.output_lock = output_lock
        self.since = {}
        self.stopping = threading.Event()

    def skip_history(self):
        """Start from now: the members' first election at start-up is not news."""
        for name, events in call(self.address, {'op': 'events'}).items():
            self.since[name] = events[-1]['seq'] + 1 if events else 0

    def poll(self):
        for name, events in sorted(call(self.address, {'op': 'events'}).items()):
            fresh = [e for e in events if e['seq'] >= self.since.get(name, 0)]
            if fresh:
                self.since[name] = fresh[-1]['seq'] + 1
            for event in fresh:
                describe = SHOWN_EVENTS.get(event['event'])
                if describe:
                    member = '' if event.get('member') is None else ' member %s' % event['member']
                    with self.output_lock:
                        print('  [simulated %s%s] %s' % (name, member, describe(event)), flush=True)

    def run(self):
        while not self.stopping.wait(1.0):
            try:
                self.poll()
            except (OSError, RuntimeError, ValueError):
                return


class Playbooks:
    """ansible-playbook -i example -i overlay, output live; keeps each run's exit status and seconds for the summary."""

    def __init__(self, overlay, output_lock):
        self.overlay = overlay
        self.output_lock = output_lock
        self.runs = {}

    def run(self, name, playbook, extra_vars=None, diff=False, live=True):
        """Returns the exit status. Paths are absolute on the command line (ansible-playbook resolves some relative to
        the playbook's directory) and shown relative to the repository. With live=False (a playbook that runs beside
        another) the output is printed in one piece when the playbook ends, so the two do not interleave."""
        command = [str(Path(sys.executable).with_name('ansible-playbook')), '-i', str(INVENTORY), '-i', str(self.overlay), str(playbook)]
        command += ['--diff'] if diff else []
        for variable, value in (extra_vars or {}).items():
            command += ['-e', '%s=%s' % (variable, value)]
        say('running ansible-playbook %s' % ' '.join(command[1:]).replace(str(REPO) + os.sep, ''))
        began = time.monotonic()
        with subprocess.Popen(command, cwd=REPO, env=loopback_env(ansible_env()), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, bufsize=1) as process:
            held = []
            for line in process.stdout:
                if not live:
                    held.append(line)
                    continue
                with self.output_lock:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            returncode = process.wait()
        if held:
            with self.output_lock:
                print('demo: output of %s (it ran beside the other playbook):' % playbook.name, flush=True)
                sys.stdout.write(''.join(held))
                sys.stdout.flush()
        self.runs[name] = {'exit_status': returncode, 'seconds': round(time.monotonic() - began, 1)}
        return returncode


def phone_home_view(phs, host, since):
    """What the phone-home server knows about one host since the demo began: state, stage, last event, count, per member."""
    status = phs.get('/status/vcs/%s?since=%f' % (host, since))
    return {'state': status['state'], 'stage': status['stage'], 'last_event': status['last_event'],
            'notifications': len(status['history']), 'members': {serial: member['stage'] for serial, member in status['members'].items()}}


def report(address, phs, phone_home_hosts, since, routes):
    """Print the switches (from the simulator) next to the phone-home server's view (its status API); returns both per host."""
    say('per host: its route, what the simulated switches run now (from the simulator) and what the phone-home server heard:')
    hosts = {}
    for name, vc in sorted(call(address, {'op': 'status'}).items()):
        view = phone_home_view(phs, name, since) if name in phone_home_hosts else None
        members = [{key: member[key] for key in ('id', 'serial', 'model', 'role', 'version')} for member in vc['members']]
        hosts[name] = {'route': routes.get(name), 'hostname': vc['hostname'], 'members': members, 'phone_home': view}
        print('  %s  route: %s, committed host-name: %s' % (name, routes.get(name) or 'none', vc['hostname']))
        if view is None:
            print('  %s  (no phone-home record: not provisioned by phone-home, so no notifications)' % name)
        else:
            last = view['last_event'] or {}
            print('  %s  phone-home server: %d notifications, state %s, last %s: %s'
                  % (name, view['notifications'], view['state'], view['stage'], last.get('message', '-')))
        for member in members:
            stage = view['members'].get(member['serial']) if view else None
            row = (member['id'], member['serial'], member['model'], member['role'] or '-', member['version'], stage or '')
            print(('    member %d  %-13s %-11s %-9s %-13s %s' % row).rstrip())
    return hosts


# --- the device-driven route (phone-home) ---------------------------------------------------------------------------

def start_redirect_server(directory, phs):
    """The phone-home server in --redirect mode over the same records: it sends each device to its phone-home server."""
    redirect = PhoneHomeServer(directory, records=phs.records, redirect=True)
    redirect.start()
    say('redirect server (the same server, --redirect) on %s stands in for Juniper\'s redirector' % redirect.url)
    return redirect


def enable_phone_home_client(fleet, host, redirect):
    """Give the host's simulated VC its phone-home client: after a zeroize it asks the redirect server (legacy encoding)."""
    for vc in fleet.spec['vcs']:
        if vc['name'] == host:
            vc['phone_home'] = {'redirect_url': redirect.url, 'ca_file': str(redirect.cert), 'encoding': 'legacy'}
            return
    raise SystemExit('demo: %s is not a simulated host' % host)


def start_phone_home_route(playbooks, host):
    """In a thread: zeroize the host with junos.ztp.zeroize and wait with junos.ztp.phs_status until its own phone-home
    client reports bootstrap-complete. Returns a function that waits for the playbook and returns its exit status."""
    say('device-driven route for %s: zeroize it, then its phone-home client provisions it while phs_status waits '
        '(the playbook\'s output follows when it ends; the switch\'s own steps show as they happen)' % host)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(exit_status=playbooks.run(
        'phone_home_route', PHONE_HOME_ROUTE_PLAYBOOK, extra_vars={'demo_phone_home_route_host': host}, live=False)), daemon=True)
    thread.start()

    def finished():
        thread.join()
        return outcome.get('exit_status', 1)
    return finished


def write_summary(path, summary):
    temporary = path.with_name(path.name + '.tmp')
    temporary.write_text(json.dumps(summary, indent=2) + '\n')
    os.replace(temporary, path)


# -- the DHCP ZTP route: the example's dhcp-ztp switch provisions itself from the rendered DHCP records ----------

DHCP_ZTP_PLAYBOOK = REPO / 'tools' / 'demo_playbooks' / 'dhcp_ztp.yml'
DHCP_ZTP_WORKDIR = WORKDIR / 'dhcp-ztp'
# The example's DHCP subnet; the DHCP server's namespace holds its router address and the example's file server address.
DHCP_ZTP_ROUTER = '10.10.0.1/24'
DHCP_ZTP_TIME_SCALE = 1.0 / 120    # an install (600 s) takes 5 s, a reboot (300 s) 2.5 s
DHCP_ZTP_SECONDS = 120
# The ZTP events worth a line of their own (docs/simulator.md, DHCP ZTP).
SHOWN_ZTP_EVENTS = {
    'ztp_start': lambda e: 'ZTP attempt %d: DHCP on %s' % (e['attempt'], e['interface']),
    'ztp_dhcp_bound': lambda e: 'bound %s from %s; file server %s over %s, image %s, configuration %s'
                                % (e['address'], e['dhcp_server'], e['file_server'], e['transfer_mode'], e['image'], e['config']),
    'ztp_fetch': lambda e: 'fetched %s (%d bytes)' % (e['source'], e['bytes']) if e['ok'] else 'fetch FAILED: %s' % e['error'],
    'ztp_install_skipped': lambda e: 'image is the running version %s: not installed' % e['version'],
    'ztp_commit_failed': lambda e: 'configuration does not commit: %s' % e['error'],
    'ztp_restart': lambda e: 'ZTP restarts: %s' % e['reason'],
    'ztp_done': lambda e: 'ZTP done%s' % (', rebooting into %s' % e['version'] if e['reboot'] else ''),
    'ztp_gave_up': lambda e: 'ZTP gave up after %s attempts' % e['attempts'],
    'script_run': lambda e: 'ran %s: exit %s' % (e['path'], e['exit_status']),
}


def dhcp_ztp_skip_reason():
    """Why the DHCP ZTP route cannot run here (it needs network namespaces and the real DHCP server), or None."""
    if os.geteuid() != 0:
        return 'network namespaces need root'
    missing = [tool for tool in ('ip', 'kea-dhcp4') if shutil.which(tool) is None]
    return 'not installed: %s (make setup installs them)' % ', '.join(missing) if missing else None


def in_namespace(namespace, make):
    """``make()`` run by a thread that entered the namespace: the sockets it binds stay there."""
    made = {}

    def run():
        enter_netns(namespace)
        made['value'] = make()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return made['value']


def dhcp_ztp_spec(host, variables, lab):
    """A factory-default simulated switch for ``host`` (the example's serial, model and MAC) that runs DHCP ZTP in the lab."""
    member = variables['ztp_members'][0]
    return {'time_scale': DHCP_ZTP_TIME_SCALE, 'vcs': [{
        'name': host, 'initial_config': 'factory-default',
        'members': [{'id': 0, 'serial': member['serial_number'], 'model': member['model'], 'mac': member['mac_address'], 'version': OLD_VERSION}],
        'dhcp_ztp': {'netns': lab.client_namespace, 'interface': lab.client_interface}}]}


def show_ztp_events(vc, since, output_lock):
    """Print the switch's new ZTP and install events; returns the next seq."""
    for event in vc.events(since=since):
        describe = SHOWN_ZTP_EVENTS.get(event['event']) or SHOWN_EVENTS.get(event['event'])
        if describe:
            with output_lock:
                print('  [simulated %s] %s' % (vc.name, describe(event)), flush=True)
        since = event['seq'] + 1
    return since


def provision_by_dhcp_ztp(host, variables, lab, output_lock):
    """Boot ``host`` factory-default in the lab and let it run DHCP ZTP to its end; returns what it got and runs."""
    with Simulator(dhcp_ztp_spec(host, variables, lab), DHCP_ZTP_WORKDIR / 'vcsim') as sim:
        vc, since = sim.vc(host), 0
        deadline = time.monotonic() + DHCP_ZTP_SECONDS
        while not vc.events(('member_rejoin', 'ztp_gave_up')) and not (vc.events('ztp_done') and not vc.events('reboot_start')):
            if time.monotonic() > deadline:
                break
            since = show_ztp_events(vc, since, output_lock)
            time.sleep(0.2)
        show_ztp_events(vc, since, output_lock)
        bound = vc.events('ztp_dhcp_bound')
        return {'answer': {key: bound[-1][key] for key in ('address', 'file_server', 'transfer_mode', 'image', 'config')} if bound else None,
                'version': vc.member(0).version, 'hostname': vc.committed_config().findtext('system/host-name'),
                'committed': bool(vc.events('config_commit')), 'events': [event['event'] for event in vc.events() if event['event'].startswith('ztp_')]}


def dhcp_ztp_route(fleet, playbooks, output_lock):
    """Render the example's DHCP records (Kea), serve them and the files they name in network namespaces, and let the
    example's dhcp-ztp switch provision itself; returns the summary's dhcp_ztp entry (``ok`` says whether it worked)."""
    began = time.monotonic()
    reason = dhcp_ztp_skip_reason()
    if reason:
        say('DHCP ZTP route skipped: %s' % reason)
        return {'ok': None, 'skipped': reason}
    shutil.rmtree(DHCP_ZTP_WORKDIR, ignore_errors=True)
    dhcp_dir, file_root = DHCP_ZTP_WORKDIR / 'dhcp', DHCP_ZTP_WORKDIR / 'files'
    hosts = {host: v for host, v in fleet.hostvars.items() if v.get('ztp_bootstrap_method') == 'dhcp-ztp'}
    for variables in hosts.values():
        for path in (variables['ztp_file_server']['image_path'], variables['ztp_file_server']['config_path']):
            (file_root / path.strip('/')).mkdir(parents=True, exist_ok=True)
    dhcp_dir.mkdir(parents=True)
    rendered = playbooks.run('dhcp_ztp_records', DHCP_ZTP_PLAYBOOK, extra_vars={'demo_dhcp_dir': dhcp_dir, 'demo_file_root': file_root})
    if rendered:
        say('rendering the DHCP records failed (exit status %d)' % rendered)
        return {'ok': False}
    ztp_files = json.loads((dhcp_dir / 'ztp_files.json').read_text())
    for files in ztp_files.values():
        if files['image']:   # the test image the simulated fleet already has for that file name
            shutil.copyfile(fleet.images_dir / files['image'].rsplit('/', 1)[-1], file_root / files['image'].lstrip('/'))
    lab = DhcpLab(DHCP_ZTP_WORKDIR, DHCP_ZTP_ROUTER, '2001:db8:10::1/64')
    files_server, results = None, {}
    try:
        lab.create()
        addresses = sorted({files['file_server'] for files in ztp_files.values()})
        for address in addresses:   # the example's file server address, on the DHCP server's side of the link
            subprocess.run(['ip', '-n', lab.server_namespace, 'addr', 'add', address + '/32', 'dev', SERVER_INTERFACE], check=True)
        lab.start('kea4', (dhcp_dir / 'kea4.json').read_text())
        files_server = in_namespace(lab.server_namespace, lambda: FileServer(file_root, output_lock, address=('', 80)))
        files_server.start()
        say('Kea serves %s in network namespace %s; the file server listens on %s port 80 there'
            % (shown(dhcp_dir / 'kea4.json'), lab.server_namespace, ', '.join(addresses)))
        results = {}
        for host in sorted(ztp_files):
            say('%s boots factory-default in namespace %s and runs DHCP ZTP' % (host, lab.client_namespace))
            results[host] = provision_by_dhcp_ztp(host, hosts[host], lab, output_lock)
    except (OSError, subprocess.CalledProcessError, AssertionError) as err:   # the lab or Kea did not come up
        say('DHCP ZTP route failed: %s' % err)
    finally:
        if files_server is not None:
            files_server.stop()
        lab.destroy()
    target = {host: (hosts[host].get('ztp_software') or {}).get('version') for host in ztp_files}
    ok = bool(results) and len(results) == len(ztp_files) and all(
        result['version'] == (target[host] or OLD_VERSION) and result['committed'] for host, result in results.items())
    for host, result in sorted(results.items()):
        say('DHCP ZTP: %s got %s, runs %s, host-name %s: %s' % (
            host, (result['answer'] or {}).get('address'), result['version'], result['hostname'], 'provisioned' if ok else 'NOT provisioned'))
    say('DHCP ZTP route: Kea, file server and namespaces stopped')
    return {'ok': ok, 'output': 'kea4', 'target_versions': target, 'hosts': results, 'seconds': round(time.monotonic() - began, 1)}


def main():
    started, since = time.monotonic(), time.time()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    output_lock = threading.Lock()
    fleet = Fleet([INVENTORY], WORKDIR / 'vcsim')
    files = FileServer(fleet.images_dir, output_lock)
    phs = PhoneHomeServer(WORKDIR / 'phs')
    redirect = None
    summary_file = WORKDIR / 'summary.json'
    summary_file.unlink(missing_ok=True)
    printer = None
    try:
        say('starting %d simulated switches on 127.0.0.1, every member on %s, time 60 times faster; images at %s'
            % (len(fleet.spec['vcs']), fleet.spec['vcs'][0]['members'][0]['version'], files.url))
        files.start()
        phs.start()
        say('phone-home server (roles/phone_home_server/files) listening on %s, log %s' % (phs.url, shown(phs.log)))
        redirect = start_redirect_server(WORKDIR / 'redirect', phs)
        enable_phone_home_client(fleet, PHONE_HOME_ROUTE_HOST, redirect)
        endpoints = fleet.start(image_base_url=files.url)
        overlay = WORKDIR / 'inventory'
        write_overlay(overlay, endpoints, phs)

        playbooks = Playbooks(overlay, output_lock)
        rendered = playbooks.run('phs_records', RECORDS_PLAYBOOK, extra_vars={'demo_phs_records': phs.records})
        if rendered:
            say('rendering the phone-home records failed (exit status %d)' % rendered)
            return rendered
        loaded = phs.wait_for_records()
        phone_home_hosts = sorted(loaded['hosts'])
        write_hosts(overlay, endpoints['hosts'], phone_home_hosts)
        say('the phone-home server serves %d records (%s); their upgrade notifications go to it'
            % (loaded['records'], ', '.join(phone_home_hosts)))

        address = json.loads(fleet.state_file.read_text())['control']
        printer = EventPrinter(address, output_lock)
        printer.skip_history()
        printer.start()
        # Both routes at once: one VC provisions itself by phone-home while the controller provisions the others.
        routes = {PHONE_HOME_ROUTE_HOST: 'phone-home'}
        phone_home_route = start_phone_home_route(playbooks, PHONE_HOME_ROUTE_HOST)
        controller_hosts = sorted(set(endpoints['hosts']) - set(routes))
        provisioned = playbooks.run('provision_vc', PLAYBOOK, diff=True, extra_vars={'provision_vc_hosts': ':'.join(controller_hosts)})
        routes.update((host, 'controller') for host in controller_hosts)
        device_driven = phone_home_route()
        printer.stopping.set()
        printer.join(timeout=5)
        printer.poll()
        # After a failed provisioning the check could only fail too; the report below still shows what the server heard.
        checked = 0 if provisioned or device_driven else playbooks.run('phs_check', CHECK_PLAYBOOK, extra_vars={'demo_since': since})
        dhcp_ztp = dhcp_ztp_route(fleet, playbooks, output_lock)

        hosts = report(address, phs, phone_home_hosts, since, routes)
        returncode = device_driven or provisioned or checked or int(dhcp_ztp['ok'] is False)
        seconds = round(time.monotonic() - started, 1)
        write_summary(summary_file, {
            'exit_status': returncode, 'seconds': seconds, 'playbooks': playbooks.runs,
            'target_version': endpoints['ztp_software']['version'], 'hosts': hosts,
            'phone_home_server': {'url': phs.url, 'pid': phs.process.pid, 'records': loaded['records']},
            'redirect_server': {'url': redirect.url, 'pid': redirect.process.pid},
            'simulator': {'pid': fleet.process.pid}, 'file_server': files.url,
            'dhcp_ztp': dhcp_ztp,
        })
        say('finished in %.0f s; summary in %s' % (seconds, shown(summary_file)))
        if device_driven:
            say('the device-driven route failed (exit status %d); the simulator log is %s' % (device_driven, shown(fleet.workdir / 'simulator.log')))
        elif provisioned:
            say('the playbook failed (exit status %d); the simulator log is %s' % (provisioned, shown(fleet.workdir / 'simulator.log')))
        elif checked:
            say('the phone-home server did not hear every upgrade (exit status %d); its log is %s' % (checked, shown(phs.log)))
        return returncode
    except KeyboardInterrupt:
        say('interrupted')
        return 130
    finally:
        if printer is not None:
            printer.stopping.set()
        fleet.stop()
        phs.stop()
        if redirect is not None:
            redirect.stop()
        files.stop()
        say('simulator, phone-home servers and file server stopped')


if __name__ == '__main__':
    sys.exit(main())
