"""Fixtures for tests that talk to the Virtual Chassis simulator (tests/vcsim) over real SSH.

- ``vcsim``: factory ``vcsim(spec_dict) -> Simulator``, started in tmp_path, stopped at teardown;
- ``vc4``: a ready 4-member EX4300 ring VC (0/1 routing-engine priority 255, 2/3 line-card);
- ``pyez_device``: factory ``pyez_device(vc) -> opened jnpr.junos.Device`` with host key checking on;
- ``url_server``: factory ``url_server(directory, tls=False) -> FileServer`` serving a directory on loopback
  over http, or https with a certificate from a throw-away CA (``server.ca_file``).
"""

import base64
import datetime
import functools
import http.server
import ipaddress
import os
import ssl
import sys
import threading
import time

import pytest

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from vcsim import Simulator  # noqa: E402  pylint: disable=wrong-import-position
from vcsim.testing import PASSWORD, USER, vc4_spec  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def vcsim(tmp_path):
    started = []

    def factory(spec):
        sim = Simulator(spec, tmp_path / ("sim%d" % len(started)))
        started.append(sim)
        return sim.start()

    yield factory
    for sim in started:
        sim.stop()
    # Every simulator thread must be gone, or a later test (or pytest itself) could hang (a generous bound: they end at once).
    deadline = time.monotonic() + 30
    while any(t.name.startswith("vcsim-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("vcsim-")]


@pytest.fixture
def vc4(vcsim):
    return vcsim(vc4_spec()).vc("vc4")


@pytest.fixture
def pyez_device():
    from jnpr.junos import Device

    opened = []

    def factory(vc, user=USER, password=PASSWORD, **kwargs):
        device = Device(host=vc.host, port=vc.port, user=user, passwd=password, hostkey_verify=True,
                        ssh_config=vc.ssh_config_file, gather_facts=False, **kwargs)
        device.open()
        opened.append(device)
        return device

    yield factory
    for device in opened:
        if device.connected:
            try:
                device.close()
            except Exception:
                # A device whose session the simulator dropped (reboot tests) cannot close cleanly.
                pass


class _FileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        if server.credentials is not None and self.headers.get("Authorization") != "Basic " + server.credentials:
            self.send_error(401)
            return
        super().do_GET()


class FileServer:
    """A directory served on 127.0.0.1; ``url(name, auth="user:password")`` builds URLs to it."""

    def __init__(self, directory, tls, credentials, tmp_path):
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_FileHandler, directory=str(directory)))
        self._server.credentials = base64.b64encode(credentials.encode()).decode() if credentials else None
        self.ca_file = None
        if tls:
            self.ca_file, cert_file, key_file = _throwaway_ca_and_server_cert(tmp_path)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def url(self, name, auth=None):
        return "%s://%s127.0.0.1:%d/%s" % (self.scheme, auth + "@" if auth else "", self._server.server_address[1], name)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _throwaway_ca_and_server_cert(directory, address="127.0.0.1"):
    """(ca.pem, server.pem, server.key) for ``address``, signed by a CA made up on the spot."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vcsim test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
              .issuer_name(ca_name).public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(str(directory), name) for name in ("ca.pem", "server.pem", "server.key")]
    for path, data in zip(paths, (ca.public_bytes(serialization.Encoding.PEM), server.public_bytes(serialization.Encoding.PEM),
                                  server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))):
        with open(path, "wb") as handle:
            handle.write(data)
    return paths


@pytest.fixture
def url_server(tmp_path):
    started = []

    def factory(directory, tls=False, credentials=None):
        server = FileServer(directory, tls, credentials, tmp_path)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


class InstalledCollection:
    """junos.ztp as a user gets it: ``tarball`` built by ansible-galaxy, installed into the empty ``collections_path``."""

    def __init__(self, tarball, collections_path):
        self.tarball = tarball
        self.collections_path = collections_path
        self.root = collections_path / "ansible_collections" / "junos" / "ztp"

    def env(self, **extra):
        """An environment that finds this copy of the collection and no other."""
        repo = os.path.dirname(TESTS_DIR)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
        env.update(ANSIBLE_COLLECTIONS_PATH=str(self.collections_path), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                   PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]))
        assert repo not in env["PATH"].split(os.pathsep)
        env.update(extra)
        return env


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory):
    """Build the collection tarball from this checkout once per session and install it into an empty collections path."""
    import subprocess

    repo = os.path.dirname(TESTS_DIR)
    workdir = tmp_path_factory.mktemp("built-collection")
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    built = subprocess.run([galaxy, "collection", "build", "--output-path", str(workdir), repo],
                           capture_output=True, text=True, check=False, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = workdir.glob("junos-ztp-*.tar.gz")
    collections_path = workdir / "collections"
    installed = subprocess.run([galaxy, "collection", "install", "--offline", "-p", str(collections_path), str(tarball)],
                               capture_output=True, text=True, check=False, timeout=300,
                               env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path)))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return InstalledCollection(tarball, collections_path)


# The DHCP lab (tests/wire/dhcp_lab.py): real ISC dhcpd / Kea and the device-like client in network namespaces.
from dhcp_lab import dhcp_lab  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
