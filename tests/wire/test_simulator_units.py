"""Plain unit tests of the simulator's building blocks (no SSH): clock, election, config syntax, images, spec, shell, scp teardown."""

import threading
import time
from types import SimpleNamespace

import pytest
from lxml import etree

from vcsim import SpecError, inspect_image, load_spec, make_image
from vcsim.clock import Scheduler, SimClock
from vcsim.configdb import ConfigDB, ConfigError, merge, subtree_filter
from vcsim.configsyntax import apply_set_commands, diff_text, parse_text, render_set, render_text
from vcsim.election import Candidate, elect_backup, elect_master, takes_backup
from vcsim.faults import FaultError, validate_fault
from vcsim.filesystem import VCFilesystem
from vcsim.scp_sink import ScpSink
from vcsim.shell import execute, split_list
from vcsim.testing import vc4_spec
from vcsim.dhcp_client import DhcpAnswer
from vcsim.ztp import ZtpFailure, file_url, read_answer


def test_clock_scales_simulated_time():
    clock = SimClock(0.001)
    before = time.monotonic()
    start = clock.sim_now()
    time.sleep(0.05)
    elapsed = clock.sim_now() - start
    # Bounded by the real time around it, however long the sleep really took on a busy machine.
    assert 50 - 1e-3 <= elapsed <= (time.monotonic() - before) / 0.001 + 1e-3
    assert clock.real_seconds(300) == pytest.approx(0.3)
    cancel = threading.Event()
    cancel.set()
    assert clock.sleep(1000, cancel=cancel) is False


def test_scheduler_runs_in_due_order_and_cancels():
    scheduler = Scheduler(SimClock(0.001))
    scheduler.start()
    ran = []
    done = threading.Event()
    scheduler.call_later(20, ran.append, "second")
    scheduler.call_later(10, ran.append, "first")
    scheduler.call_later(15, ran.append, "cancelled").cancel()
    scheduler.call_later(30, done.set)
    try:
        assert done.wait(5)
    finally:
        scheduler.stop()
    assert ran == ["first", "second"]


def test_a_held_scheduler_runs_what_fell_due_once_released():
    scheduler = Scheduler(SimClock(0.001))
    scheduler.start()
    ran, done = [], threading.Event()
    try:
        with scheduler.held():
            scheduler.call_later(0, ran.append, "due at once")
            scheduler.call_later(5, done.set)
            # Not a timing assumption: nothing may run while held, however long this takes.
            time.sleep(0.05)
            assert ran == [] and not done.is_set()
        assert done.wait(30)
    finally:
        scheduler.stop()
    assert ran == ["due at once"]


def test_election_rules():
    members = [Candidate(0, 255), Candidate(1, 255), Candidate(2, 0), Candidate(3, 128)]
    assert elect_master(members) == 0
    assert elect_master(members, previous_master=1) == 1
    assert elect_backup(members, master=0) == 1
    assert elect_backup([Candidate(2, 0), Candidate(3, 0)], master=None) is None
    assert elect_master([Candidate(4, 128), Candidate(2, 128)]) == 2
    assert takes_backup(Candidate(0, 255), Candidate(3, 128)) is True
    assert takes_backup(Candidate(0, 100), Candidate(3, 128)) is False
    assert takes_backup(Candidate(2, 0), None) is False


def test_text_and_set_syntax_round_trip():
    tree = parse_text("""
        system { host-name "sw 1"; services { ssh; netconf { ssh; } } authentication-order [ password radius ]; }
        interfaces { ge-0/0/0 { unit 0 { family inet { address 10.0.0.1/24; } } } }
        virtual-chassis { member 2 { mastership-priority 0; } }
    """)
    assert tree.findtext("interfaces/interface/unit/family/inet/address/name") == "10.0.0.1/24"
    assert tree.find("system/services/ssh") is not None
    assert etree.tostring(parse_text(render_text(tree))) == etree.tostring(tree)
    rebuilt = parse_text("")
    apply_set_commands(rebuilt, render_set(tree))
    assert etree.tostring(rebuilt) == etree.tostring(tree)
    changed = parse_text(render_text(tree))
    apply_set_commands(changed, "set system host-name sw2\ndelete interfaces ge-0/0/0")
    assert diff_text(tree, changed).startswith('\n[edit]\n-  interfaces {')
    assert '-  host-name "sw 1";\n+  host-name sw2;' in diff_text(tree, changed)
    assert diff_text(tree, tree) == "\n"


def test_merge_operations_and_filter():
    config = parse_text("system { host-name a; domain-name x; services { ssh; telnet; } }")
    merge(config, etree.XML('<configuration><system><domain-name delete="delete"/><services replace="replace"><netconf/></services>'
                            '</system></configuration>'), honour_replace=True)
    assert config.find("system/domain-name") is None
    assert [e.tag for e in config.find("system/services")] == ["netconf"]
    picked = subtree_filter(config, etree.XML("<configuration><system><host-name/></system></configuration>"))
    assert etree.tostring(picked) == b"<configuration><system><host-name>a</host-name></system></configuration>"


def test_config_db_locks_and_rollbacks():
    db = ConfigDB(parse_text("system { host-name a; }"), "admin")
    db.lock(1)
    with pytest.raises(ConfigError):
        db.load(2, "merge", "system { host-name b; }", "text")
    db.load(1, "merge", "system { host-name b; }", "text")
    db.commit(1, "admin", "b")
    assert db.rollback(1).findtext("system/host-name") == "a"
    db.load(1, "merge", "system { host-name c; }", "text")
    db.release(1)   # the session went away: its uncommitted change is gone
    assert db.candidate(2).findtext("system/host-name") == "b"


def test_images_detect_corruption(tmp_path):
    image = make_image(tmp_path, "22.4R3.25", "ex-4300", 200_000)
    assert image.name == "jinstall-ex-4300-22.4R3.25-signed.tgz" and image.stat().st_size == 200_000
    info = inspect_image(image)
    assert (info.version, info.family, info.intact) == ("22.4R3.25", "ex-4300", True)
    data = bytearray(image.read_bytes())
    data[100_000] ^= 0xFF
    broken = tmp_path / "broken.tgz"
    broken.write_bytes(bytes(data))
    assert inspect_image(broken).intact is False
    other = tmp_path / "plain.txt"
    other.write_text("not a package")
    assert inspect_image(other) is None


def test_spec_defaults_and_errors(tmp_path):
    spec = load_spec(vc4_spec())
    vc = spec.vcs[0]
    assert vc.cabling == [(0, "vcp-255/1/1", 1, "vcp-255/1/0"), (1, "vcp-255/1/1", 2, "vcp-255/1/0"),
                          (2, "vcp-255/1/1", 3, "vcp-255/1/0"), (3, "vcp-255/1/1", 0, "vcp-255/1/0")]
    assert vc.durations["reboot"] == 300.0
    path = tmp_path / "spec.yml"
    path.write_text("vcs:\n  - name: a\n    members: [{id: 0}]\n")
    assert load_spec(str(path)).vcs[0].members[0].model == "ex4300-48p"
    broken = vc4_spec()
    broken["vcs"][0]["members"][1]["priority"] = 300
    with pytest.raises(SpecError, match=r"vcs\[0\]\.members\[1\]\.priority"):
        load_spec(broken)
    with pytest.raises(SpecError, match="unknown key"):
        load_spec(vc4_spec(colour="red"))
    with pytest.raises(SpecError, match="cabled twice"):
        load_spec(vc4_spec(cabling=[[0, "vcp-255/1/0", 1, "vcp-255/1/0"], [0, "vcp-255/1/0", 2, "vcp-255/1/0"]]))
    with pytest.raises(SpecError, match="faults"):
        load_spec(vc4_spec(faults=[{"type": "meteor_strike"}]))
    with pytest.raises(SpecError, match=r"vcs\[0\]\.ca_file: no such file"):
        load_spec(vc4_spec(ca_file=str(tmp_path / "missing-ca.pem")))
    with pytest.raises(FaultError, match="required"):
        validate_fault("slow_rpc", {"rpc": "get-foo"})


def test_shell_emulation(tmp_path):
    fs = VCFilesystem(tmp_path, 1 << 30, 1 << 20, "/var/home/admin")
    fs.host_path("/var/tmp/run.sh").write_text("#!/bin/sh\necho one; echo two && false || echo 'three $?' \"$?\"\n")
    fs.host_path("/var/home/admin/x.py").write_text("print('a', 1)\nprint(f'{x}')\nsys.exit('bad input')\n")
    result = execute(fs, "/var/tmp/run.sh")
    assert (result.output, result.status) == ("one\ntwo\nthree $? 1\n", 0)
    assert result.scripts[0].interpreter == "/bin/sh"   # from the #! line
    result = execute(fs, "python x.py 2>/dev/null; echo $?")
    assert result.output == "a 1\nf'{x}'\n1\n" and result.scripts[0].path == "/var/home/admin/x.py"
    assert execute(fs, "sh -c 'exit 4'; echo $?; exit 9; echo not reached").output == "4\n"
    assert execute(fs, "echo -n 'no newline'; echo 'unterminated").status == 2
    assert split_list("a;b&&'c;d'||e") == [(";", "a"), (";", "b"), ("&&", "'c;d'"), ("||", "e")]


class _DeadChannel:
    """A channel whose connection the client has dropped: reads see EOF, writes and close fail like paramiko's."""

    def __init__(self):
        self.close_attempts = 0

    def recv(self, size):
        return b""

    def sendall(self, data):
        raise OSError("Socket is closed")

    def send_exit_status(self, status):
        raise EOFError()

    def close(self):
        self.close_attempts += 1
        raise EOFError()


def test_scp_sink_teardown_survives_a_dropped_connection(tmp_path):
    vc = SimpleNamespace(name="vc", fs=VCFilesystem(tmp_path, 1 << 30, 1 << 20, "/var/home/admin"))
    channel = _DeadChannel()
    sink = ScpSink(vc, channel, ["scp", "-t", "/var/tmp"])
    sink.run()       # in its own thread this raised EOFError ("Exception in thread vcsim-vc-scp")
    sink.abort()     # what drop_all() calls when the master leaves or the simulator stops
    assert channel.close_attempts == 2


def _standalone(**dhcp_ztp):
    return {"vcs": [{"name": "sw", "initial_config": "factory-default", "members": [{"id": 0}], "dhcp_ztp": dhcp_ztp}]}


def test_dhcp_ztp_spec_defaults_and_errors():
    settings = load_spec(_standalone(interface="me0", netns="ns1", family="both")).vcs[0].dhcp_ztp
    assert (settings.interface, settings.netns, settings.families, settings.mac, settings.member, settings.max_attempts) == \
        ("me0", "ns1", (4, 6), None, 0, 3)
    assert load_spec(_standalone(interface="me0")).vcs[0].dhcp_ztp.families == (4,)
    with pytest.raises(SpecError, match=r"vcs\[0\]\.dhcp_ztp: DHCP ZTP runs on a standalone switch"):
        load_spec(vc4_spec(dhcp_ztp={"interface": "me0"}))
    for bad, message in (({}, r"dhcp_ztp\.interface: the interface"), ({"interface": "me0", "family": 5}, r"dhcp_ztp\.family: expected 4, 6 or both"),
                         ({"interface": "me0", "mac": "zz"}, r"dhcp_ztp\.mac"), ({"interface": "me0", "max_attempts": 0}, r"dhcp_ztp\.max_attempts"),
                         ({"interface": "me0", "colour": "red"}, "unknown key")):
        with pytest.raises(SpecError, match=message):
            load_spec(_standalone(**bad))


def _vendor_v6(**suboptions):
    """DHCPv6 option 17: enterprise 2636, then 2-octet code and length per suboption."""
    value = (2636).to_bytes(4, "big")
    for code, text in suboptions.items():
        value += int(code[1:]).to_bytes(2, "big") + len(text).to_bytes(2, "big") + text.encode()
    return value


def test_ztp_reads_an_answer_the_way_the_device_does():
    def sub(code, text):
        return bytes([code, len(text)]) + text.encode()

    # 150 over 66, 00 over 04, :port for http(s), symlink image type.
    option43 = sub(0, "/i/a.tgz:8080") + sub(4, "/i/b.tgz") + sub(1, "/c/x.conf:8081") + sub(2, "symlink") + sub(3, "http")
    answer = read_answer(DhcpAnswer(4, "", "", {150: bytes([10, 0, 0, 1]), 66: b"10.0.0.2", 43: option43}))
    assert (answer.file_server, answer.transfer_mode, answer.image, answer.image_port, answer.config, answer.config_port,
            answer.image_is_symlink) == ("10.0.0.1", "http", "/i/a.tgz", 8080, "/c/x.conf", 8081, True)
    assert file_url(answer, answer.image, answer.image_port) == "http://10.0.0.1:8080/i/a.tgz"
    # No 03: tftp, where a :port is ignored; 66 when there is no 150; 04 when there is no 00.
    answer = read_answer(DhcpAnswer(4, "", "", {66: b"10.0.0.2", 43: sub(4, "/i/b.tgz:69") + sub(1, "/c/x.conf")}))
    assert (answer.file_server, answer.transfer_mode, answer.image_port, answer.image) == ("10.0.0.2", "tftp", None, "/i/b.tgz")
    # No file server at all.
    assert read_answer(DhcpAnswer(4, "", "", {43: sub(1, "/c/x.conf")})).file_server is None
    # DHCPv6: option 59's URL, option 17 (enterprise 2636) winning for the image and the port.
    answer = read_answer(DhcpAnswer(6, "", "", {59: b"https://[2001:db8::10]:8443/i/a.tgz", 17: _vendor_v6(s00="/i/b.tgz", s01="/c/x.conf", s05="9443")}))
    assert (answer.file_server, answer.transfer_mode, answer.image_port, answer.config_port, answer.image, answer.config) == \
        ("2001:db8::10", "https", 9443, 9443, "/i/b.tgz", "/c/x.conf")
    assert file_url(answer, answer.config, answer.config_port) == "https://[2001:db8::10]:9443/c/x.conf"
    answer = read_answer(DhcpAnswer(6, "", "", {59: b"http://[2001:db8::10]/i/a.tgz", 17: (9).to_bytes(4, "big") + b"\x00\x00\x00\x03abc"}))
    assert (answer.image, answer.image_port, answer.config) == ("/i/a.tgz", None, None)   # another enterprise's suboptions are not Juniper's
    with pytest.raises(ZtpFailure, match="does not have valid ZTP parameters"):
        read_answer(DhcpAnswer(4, "", "", {150: bytes([10, 0, 0, 1]), 43: bytes([1, 40]) + b"/c"}))   # a truncated suboption
