"""Per-run SSH host key plus the files clients need to verify it.

- ``known_hosts``: one ``[127.0.0.1]:PORT ecdsa-sha2-nistp256 ...`` line per VC (ncclient/paramiko look up
  ``[host]:port`` for non-22 ports);
- ``ssh_config``: ``Host *`` + ``UserKnownHostsFile``, for ``Device(ssh_config=...)``;
- ``ssh-home/.ssh/{known_hosts,config}``: for tools that only read ``~/.ssh`` (PyEZ's SCP helper
  loads ``~/.ssh/known_hosts`` when hostkey_verify is on) - point HOME there.
"""

import base64
import os

import paramiko

from .spec import SpecError


def generate_host_key(path):
    # Not RSA: ncclient 0.7 asks for the key type named in known_hosts ("ssh-rsa", i.e. SHA-1
    # signatures), which paramiko 5 no longer offers. ECDSA names match on both sides, and
    # paramiko can generate it itself (ed25519 generation would need another library).
    key = paramiko.ECDSAKey.generate()
    key.write_private_key_file(str(path))
    os.chmod(path, 0o600)
    return key


def known_hosts_line(host, port, key):
    return "[%s]:%d %s %s\n" % (host, port, key.get_name(), key.get_base64())


def write_client_files(workdir, key, endpoints):
    """Write known_hosts, ssh_config and ssh-home/.ssh/; return (known_hosts, ssh_config, ssh_home) paths."""
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text("".join(known_hosts_line(host, port, key) for host, port in endpoints))
    ssh_config = workdir / "ssh_config"
    ssh_config.write_text("Host *\n    UserKnownHostsFile %s\n    StrictHostKeyChecking yes\n" % known_hosts)
    ssh_home = workdir / "ssh-home"
    dot_ssh = ssh_home / ".ssh"
    dot_ssh.mkdir(parents=True, exist_ok=True)
    (dot_ssh / "known_hosts").write_text(known_hosts.read_text())
    (dot_ssh / "config").write_text(ssh_config.read_text())
    return known_hosts, ssh_config, ssh_home


def parse_authorized_keys(lines):
    """Base64 blobs of the public keys in OpenSSH authorized_keys lines."""
    keys = set()
    for index, line in enumerate(lines):
        parts = line.split()
        try:
            key = paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1]))
        except (paramiko.SSHException, ValueError, IndexError) as err:
            raise SpecError("authorized_keys[%d]: not a usable public key: %s" % (index, err))
        keys.add(key.get_base64())
    return keys
