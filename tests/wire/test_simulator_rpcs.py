"""The simulator's file-copy (the switch fetching a URL), script execution and switchover RPCs, through real PyEZ."""

import contextlib
import hashlib

import pytest
from jnpr.junos.exception import ConnectClosedError, RpcError
from jnpr.junos.utils.fs import FS
from scp import SCPClient

from loopback import reserve_port
from vcsim import make_image
from vcsim.testing import vc4_spec

SECRET = "s3cr3t-pw"


def _rpc_error(call, **kwargs):
    with pytest.raises(RpcError) as caught:
        call(**kwargs)
    return caught.value.rpc_error["message"]


@contextlib.contextmanager
def _closed_port():
    """A loopback port that refuses connections (and that no other process can take meanwhile)."""
    with reserve_port() as sock:
        yield sock.getsockname()[1]


# -- file-copy ---------------------------------------------------------------------------------

def test_file_copy_fetches_over_http_into_the_flash(vc4, pyez_device, url_server, tmp_path):
    image = make_image(tmp_path, "22.4R3-S2.11", "ex-4300", 300_000)
    size = image.stat().st_size
    server = url_server(tmp_path, credentials="ztp:" + SECRET)
    device = pyez_device(vc4)
    device.rpc.file_copy(source=server.url(image.name, auth="ztp:" + SECRET), destination="/var/tmp/")
    assert FS(device).cp(server.url(image.name, auth="ztp:" + SECRET), "/var/tmp/renamed.tgz") is True
    assert vc4.fs.checksum("/var/tmp/" + image.name, "sha256") == hashlib.sha256(image.read_bytes()).hexdigest()
    assert sorted(vc4.files()) == [image.name, "renamed.tgz"]
    assert vc4.bytes_fetched == 2 * size and vc4.bytes_received == 0
    first = vc4.events("file_copy")[0]
    assert (first["source"], first["destination"], first["bytes"], first["ok"]) == (server.url(image.name), "/var/tmp/" + image.name, size, True)

    missing = _rpc_error(device.rpc.file_copy, source=server.url("gone.tgz", auth="ztp:" + SECRET), destination="/var/tmp/")
    assert missing == "fetch: %s: Not Found" % server.url("gone.tgz")
    assert _rpc_error(device.rpc.file_copy, source=server.url(image.name), destination="/var/tmp/") == \
        "fetch: %s: Unauthorized" % server.url(image.name)
    with _closed_port() as port:
        refused = "http://127.0.0.1:%d/x.tgz" % port
        assert _rpc_error(device.rpc.file_copy, source=refused, destination="/var/tmp/") == "fetch: %s: Connection refused" % refused
    assert "No such file or directory" in _rpc_error(device.rpc.file_copy, source=server.url(image.name), destination="/var/tmp/no/x")
    # A local copy on the flash works too (bytes_fetched counts network bytes only).
    device.rpc.file_copy(source="/var/tmp/renamed.tgz", destination="/var/tmp/copy.tgz")
    assert vc4.bytes_fetched == 2 * size and vc4.fs.stat("/var/tmp/copy.tgz").st_size == size
    assert [e["ok"] for e in vc4.events("file_copy")] == [True, True, False, False, False, False, True]
    assert SECRET not in (vc4.directory / "events.jsonl").read_text()


def test_file_copy_honours_disk_full_and_removes_the_partial_file(vc4, pyez_device, url_server, tmp_path):
    blob = tmp_path / "big.bin"
    blob.write_bytes(b"x" * 200_000)
    server = url_server(tmp_path)
    device = pyez_device(vc4)
    vc4.inject_fault("disk_full", bytes_available=50_000)
    assert _rpc_error(device.rpc.file_copy, source=server.url("big.bin"), destination="/var/tmp/") == \
        "fetch: /var/tmp/big.bin: No space left on device"
    assert vc4.files() == []
    event = vc4.events("file_copy")[-1]
    assert not event["ok"] and 50_000 < event["bytes"] <= 200_000 and event["bytes"] == vc4.bytes_fetched


def test_file_copy_over_https_needs_the_ca(vcsim, pyez_device, url_server, tmp_path):
    (tmp_path / "config.txt").write_text("system { host-name sw1; }\n")
    server = url_server(tmp_path, tls=True)
    spec = vc4_spec("trusting", ca_file=server.ca_file)
    spec["vcs"].append(vc4_spec("untrusting")["vcs"][0])
    sim = vcsim(spec)
    pyez_device(sim.vc("trusting")).rpc.file_copy(source=server.url("config.txt"), destination="/var/tmp/")
    assert sim.vc("trusting").fs.read("/var/tmp/config.txt") == b"system { host-name sw1; }\n"
    message = _rpc_error(pyez_device(sim.vc("untrusting")).rpc.file_copy, source=server.url("config.txt"), destination="/var/tmp/")
    assert message == "fetch: %s: certificate verify failed" % server.url("config.txt")


# -- scripts -----------------------------------------------------------------------------------

SCRIPTS = {
    "pre.sh": "#!/bin/sh\necho pre-configuration ran\nexit 0\n",
    "post.py": '#!/usr/bin/python3\nimport sys\nprint("post-configuration", "ran")\nsys.exit(0)\n',
    "failing.sh": "#!/bin/sh\necho 'about to fail'\nexit 3\necho never printed\n",
    "marked.sh": "#!/bin/sh\ncli -c 'show version'\necho \"marked\"\n# vcsim-exit: 5\n",
}


def test_scripts_run_as_emulated_shell_commands(vc4, pyez_device, tmp_path):
    device = pyez_device(vc4)
    for name, content in SCRIPTS.items():
        (tmp_path / name).write_text(content)
    with SCPClient(device._conn._session._transport) as client:
        client.put([str(tmp_path / name) for name in SCRIPTS], "/var/tmp")

    def run(command):
        return device.rpc.request_shell_execute(command=command).text

    # How a caller gets the exit status: the shell prints it (the reply itself carries none).
    assert run("/bin/sh -c '/bin/sh /var/tmp/pre.sh 2>&1; echo status=$?'") == "pre-configuration ran\nstatus=0\n"
    assert run("python3 /var/tmp/post.py; echo status=$?") == "post-configuration ran\nstatus=0\n"
    assert run("sh /var/tmp/failing.sh; echo status=$?") == "about to fail\nstatus=3\n"
    assert run("sh /var/tmp/marked.sh >/dev/null || echo failed with $?") == "failed with 5\n"
    assert run("/bin/sh /var/tmp/absent.sh; echo status=$?") == "sh: cannot open /var/tmp/absent.sh: No such file or directory\nstatus=2\n"
    assert run("sysctl -n hw.re.vmhost_mode") == "sysctl: unknown oid 'hw.re.vmhost_mode'"
    assert run("ls /var/tmp") is None   # other commands: no output
    runs = [(e["path"], e["interpreter"], e["exit_status"]) for e in vc4.events("script_run")]
    assert runs == [("/var/tmp/pre.sh", "/bin/sh", 0), ("/var/tmp/post.py", "python3", 0), ("/var/tmp/failing.sh", "sh", 3),
                    ("/var/tmp/marked.sh", "sh", 5), ("/var/tmp/absent.sh", "/bin/sh", 2)]


# -- switchover --------------------------------------------------------------------------------

def test_master_switch_makes_the_backup_primary_and_drops_sessions(vc4, pyez_device, vcsim):
    device = pyez_device(vc4)
    since = vc4.log.next_seq()
    reply = device.rpc.request_chassis_routing_engine_master_switch()
    assert "The other routing engine becomes the master" in reply.text
    # The roles change hands, then the old master's sessions close: wait for both.
    vc4.wait_until(lambda v: v.master_id == 1 and v.events("session_close", since=since))
    with pytest.raises((ConnectClosedError, RpcError)):
        device.rpc.get_software_information()
    assert vc4.roles() == {0: "Backup", 1: "Master", 2: "Linecard", 3: "Linecard"}
    assert all(m.present for m in vc4.members)
    changes = [(e["member"], e["old"], e["new"]) for e in vc4.events("role_change", since=since)]
    assert changes == [(0, "Master", "Backup"), (1, "Backup", "Master")]
    assert vc4.events("switchover")[0]["old_master"] == 0
    assert vc4.events("session_close", since=since)[0]["reason"] == "connection lost"
    assert dict(pyez_device(vc4).facts)["vc_master"] == "1"
    # And back, through the CLI command.
    pyez_device(vc4).cli("request chassis routing-engine master switch no-confirm", warning=False)
    vc4.wait_until(lambda v: v.master_id == 0)

    single = vcsim({"vcs": [{"name": "ex1", "members": [{"id": 0}]}]}).vc("ex1")
    assert "no Backup member" in _rpc_error(pyez_device(single).rpc.request_chassis_routing_engine_master_switch)
