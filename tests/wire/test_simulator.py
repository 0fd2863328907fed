"""The Virtual Chassis simulator seen through real PyEZ/ncclient over SSH on loopback.

Every test verifies host keys (known_hosts written by the simulator); nothing uses AutoAddPolicy.
"""

import hashlib

import pytest
from jnpr.junos import Device
from jnpr.junos.exception import ConnectClosedError, ConnectError, RpcError
from jnpr.junos.utils.config import Config
from jnpr.junos.utils.scp import SCP
from jnpr.junos.utils.sw import SW
from lxml import etree
from scp import SCPClient, SCPException

from vcsim import make_image
from vcsim.testing import FAST_TIME_SCALE, vc4_spec

NEW_VERSION = "22.4R3-S2.11"


def _vc_members(device):
    """{member id: element} from get-virtual-chassis-information."""
    reply = device.rpc.get_virtual_chassis_information()
    return {int(m.findtext("member-id")): m for m in reply.findall(".//member")}


def _image(tmp_path, version=NEW_VERSION, family="ex-4300", size=256 * 1024):
    return make_image(tmp_path, version, family, size)


def _upload(device, local, remote="/var/tmp"):
    """scp over the NETCONF session's own SSH transport (an exec channel next to the netconf one)."""
    with SCPClient(device._conn._session._transport) as client:
        client.put(str(local), remote)


def _wait_rejoined(vc, member_id, since, timeout=60):
    """Wait until the member has left and come back (after event ``since``) and settled."""
    vc.wait_until(lambda v: v.events("member_rejoin", member=member_id, since=since) and v.member(member_id).state == "present",
                  timeout=timeout)


# -- facts and show commands -------------------------------------------------------------------

def test_full_pyez_facts_on_a_four_member_vc(vc4, pyez_device):
    facts = dict(pyez_device(vc4).facts)
    assert facts["serialnumber"] == "PE3714100218"
    assert facts["model"] == "EX4300-48P"
    assert facts["hostname"] == "vc4"
    assert facts["version"] == "21.4R3-S5.4"
    assert facts["vc_capable"] is True
    assert facts["vc_mode"] == "Enabled"
    assert facts["vc_fabric"] is False
    assert facts["vc_master"] == "0"
    assert facts["2RE"] is True
    assert facts["RE0"]["mastership_state"] == "master" and facts["RE1"]["mastership_state"] == "backup"
    assert "fpc0" in facts["current_re"] and "master" in facts["current_re"]
    assert sorted(facts["junos_info"]) == ["fpc0", "fpc1", "fpc2", "fpc3"]
    assert all(info["text"] == "21.4R3-S5.4" for info in facts["junos_info"].values())
    assert facts["model_info"]["fpc2"] == "EX4300-48T"
    assert facts["personality"] == "SWITCH" and facts["switch_style"] == "VLAN_L2NG"
    assert facts["HOME"] == "/var/home/admin"
    assert vc4.sessions_opened == 1
    names = [e["name"] for e in vc4.events("rpc")]
    assert "get-virtual-chassis-information" in names and "get-chassis-inventory" in names


def test_standalone_switches_and_a_preprovisioned_vc(vcsim, pyez_device):
    sim = vcsim({"time_scale": FAST_TIME_SCALE, "vcs": [
        {"name": "ex1", "members": [{"id": 0, "serial": "PE0001", "model": "ex4300-24t"}]},
        {"name": "srx", "vc_capable": False, "members": [{"id": 0, "serial": "CV0001", "model": "srx345"}]},
        {"name": "pre", "preprovisioned": True, "mode": "mixed", "members": [
            {"id": 0, "serial": "PE0100"}, {"id": 1, "serial": "PE0101"}, {"id": 2, "serial": "PE0102", "role": "line-card"}]},
    ]})
    single = dict(pyez_device(sim.vc("ex1")).facts)
    assert single["vc_capable"] is True and single["vc_master"] == "0" and list(single["junos_info"]) == ["fpc0"]
    assert single["serialnumber"] == "PE0001" and single["2RE"] is False
    plain = dict(pyez_device(sim.vc("srx")).facts)
    assert plain["vc_capable"] is False and plain["vc_master"] is None
    assert plain["version"] == "21.4R3-S5.4" and plain["model"] == "SRX345" and plain["serialnumber"] == "CV0001"
    assert list(plain["junos_info"]) == ["re0"]
    info = pyez_device(sim.vc("pre")).rpc.get_virtual_chassis_information()
    assert info.findtext("preprovisioned-virtual-chassis-information/virtual-chassis-mode") == "Mixed"
    assert [m.findtext("member-priority") for m in info.findall(".//member")] == ["129", "129", "0"]


def test_virtual_chassis_replies(vc4, pyez_device):
    device = pyez_device(vc4)
    members = _vc_members(device)
    assert [m.findtext("member-role") for m in members.values()] == ["Master*", "Backup", "Linecard", "Linecard"]
    assert members[0].findtext("member-priority") == "255" and members[2].findtext("member-priority") == "0"
    neighbors = {(n.findtext("neighbor-id"), n.findtext("neighbor-interface")) for n in members[0].findall(".//neighbor")}
    assert neighbors == {("1", "vcp-255/1/1"), ("3", "vcp-255/1/0")}
    ports = device.rpc.get_virtual_chassis_port_information()
    items = ports.findall("multi-routing-engine-item")
    assert [i.findtext("re-name") for i in items] == ["fpc0", "fpc1", "fpc2", "fpc3"]
    port = items[1].find(".//port-information[port-name='vcp-255/1/0']")
    assert (port.findtext("port-status"), port.findtext("neighbor-id"), port.findtext("neighbor-interface")) == ("Up", "0", "vcp-255/1/1")
    assert port.findtext("port-type") == "Default" and port.findtext("port-speed") == "40000"
    versions = device.rpc.cli("show version all-members", format="xml")
    assert [i.findtext("re-name") for i in versions.findall("multi-routing-engine-item")] == ["fpc0", "fpc1", "fpc2", "fpc3"]
    with pytest.raises(RpcError):
        device.rpc.cli("show version invoke-on all-routing-engines", format="xml")
    storage = device.rpc.get_system_storage()
    first = storage.find("multi-routing-engine-item/system-storage-information/filesystem")
    assert first.findtext("mounted-on") == "/.mount" and int(first.findtext("total-blocks")) == 2796512
    assert "Master" in device.cli("show virtual-chassis", warning=False)


def test_reply_shapes_follow_the_real_samples(vc4, pyez_device):
    device = pyez_device(vc4)
    info = device.rpc.get_virtual_chassis_information()
    assert info.findtext("next-member-information/next-member-id") == "4" and info.findtext("next-member-information/next-fpc-slot") == "4"
    assert info.getparent().findtext("cli/banner") == "{master:0}"
    assert device.rpc.get_system_storage().getparent().findtext("cli/banner") == "{master:0}"
    engine = device.rpc.get_route_engine_information().find(".//route-engine")
    measured = ("temperature", "cpu-temperature", "cpu-idle", "load-average-one", "load-average-fifteen")
    assert [engine.findtext(name) is not None for name in measured] == [True] * 5
    inventory = device.rpc.get_chassis_inventory()
    modules = [m.findtext("name") for m in inventory.findall(".//chassis/chassis-module")]
    assert modules[:4] == ["FPC 0", "FPC 1", "FPC 2", "FPC 3"] and modules[4:] == ["Routing Engine 0", "Routing Engine 1"]
    fpc0 = inventory.find(".//chassis/chassis-module[name='FPC 0']")
    assert [m.findtext("name") for m in fpc0.findall("chassis-sub-module")][-3:] == ["Power Supply 0", "Fan Tray 0", "Fan Tray 1"]
    assert {"fpc0", "feb0", "fpc16", "master"} <= set(pyez_device(vc4).facts["current_re"])


def test_a_member_missing_from_a_preprovisioned_configuration_is_unprvsnd(vcsim, pyez_device):
    sim = vcsim({"time_scale": FAST_TIME_SCALE, "vcs": [{"name": "pre", "preprovisioned": True, "members": [
        {"id": 0, "serial": "PE0100"}, {"id": 1, "serial": "PE0101"}, {"id": 2, "serial": "PE0102", "role": "line-card"}]}]})
    device = pyez_device(sim.vc("pre"))
    with Config(device) as config:
        config.load("delete virtual-chassis member 2", format="set")
        config.commit(comment="member 2 is not provisioned")
    members = _vc_members(device)
    assert [m.findtext("member-status") for m in members.values()] == ["Prsnt", "Prsnt", "Unprvsnd"]
    assert [child.tag for child in members[2]] == ["member-status", "member-id", "fpc-slot", "member-serial-number", "member-model"]


def test_unknown_rpc_is_a_clean_rpc_error(vc4, pyez_device):
    device = pyez_device(vc4)
    with pytest.raises(RpcError) as caught:
        device.rpc.get_frobnicator_information()
    assert caught.value.rpc_error["message"] == "syntax error"
    assert caught.value.rpc_error["bad_element"] == "get-frobnicator-information"
    with pytest.raises(RpcError):
        device.rpc.file_show(filename="/etc/no-such-file")
    assert device.rpc.get_software_information().findtext("host-name") == "vc4"


# -- files and software ------------------------------------------------------------------------

def test_scp_uploads_and_checksums(vc4, pyez_device, tmp_path, monkeypatch):
    device = pyez_device(vc4)
    image = _image(tmp_path)
    _upload(device, image)
    local = hashlib.sha256(image.read_bytes()).hexdigest()
    assert device.rpc.get_sha256_checksum_information(path="/var/tmp/" + image.name).findtext(".//checksum") == local
    assert SW(device).remote_checksum("/var/tmp/" + image.name, algorithm="md5") == hashlib.md5(image.read_bytes()).hexdigest()
    assert SW(device).remote_checksum("/var/tmp/missing.tgz", algorithm="sha256") is None
    # PyEZ's own SCP opens a second SSH connection and reads ~/.ssh/known_hosts.
    monkeypatch.setenv("HOME", vc4.ssh_home)
    other = tmp_path / "second.bin"
    other.write_bytes(b"second upload\n" * 1000)
    with SCP(device) as client:
        client.put(str(other), "/var/tmp/renamed.bin")
    assert device.rpc.get_sha1_checksum_information(path="/var/tmp/renamed.bin").findtext(".//checksum") == hashlib.sha1(other.read_bytes()).hexdigest()
    assert set(vc4.files("/var/tmp")) == {image.name, "renamed.bin"}
    uploads = [(e["path"], e["bytes"], e["ok"]) for e in vc4.events("upload")]
    assert uploads == [("/var/tmp/" + image.name, image.stat().st_size, True), ("/var/tmp/renamed.bin", other.stat().st_size, True)]
    assert vc4.bytes_received == image.stat().st_size + other.stat().st_size
    listing = device.rpc.file_list(path="/var/tmp", detail=True)
    assert {f.findtext("file-name") for f in listing.findall(".//file-information")} == {image.name, "renamed.bin"}


def test_package_add_and_member_reboot_upgrade_that_member(vc4, pyez_device, tmp_path):
    device = pyez_device(vc4)
    image = _image(tmp_path)
    _upload(device, image)
    since = vc4.log.next_seq()
    # Member 2 is out for 1 s (real): time stops while it is, so the check below does not race its return.
    with vc4.time_held_from("member_leave", member=2):
        ok, output = SW(device).pkgadd("/var/tmp/" + image.name, member="2", reboot=True)
        assert ok, output
        assert "JUNOS %s will become active at next reboot" % NEW_VERSION in output
        assert vc4.member(2).pending_version == NEW_VERSION
        vc4.wait_until(lambda v: v.events("member_leave", member=2, since=since))
        assert _vc_members(device)[2].findtext("member-status") == "NotPrsnt"
    _wait_rejoined(vc4, 2, since)
    versions = {i.findtext("re-name"): i.findtext(".//junos-version")
                for i in device.rpc.cli("show version all-members", format="xml").findall("multi-routing-engine-item")}
    assert versions == {"fpc0": "21.4R3-S5.4", "fpc1": "21.4R3-S5.4", "fpc2": NEW_VERSION, "fpc3": "21.4R3-S5.4"}
    assert [e["event"] for e in vc4.events(member=2, since=since)] == [
        "install_start", "install_end", "reboot_start", "role_change", "member_leave", "member_rejoin", "role_change"]


def test_package_add_rejects_foreign_and_missing_packages(vc4, pyez_device, tmp_path):
    device = pyez_device(vc4)
    foreign = _image(tmp_path, family="ex-2300")
    _upload(device, foreign)
    ok, output = SW(device).pkgadd("/var/tmp/" + foreign.name, member="1")
    assert not ok and "not a valid package for this platform" in output
    ok, output = SW(device).pkgadd("/var/tmp/nothing.tgz", member="1")
    assert not ok and "No such file or directory" in output
    pending = device.rpc.request_package_checks_pending_install()
    assert pending.getparent().findtext("package-result").strip() == "0"


def test_sw_install_on_every_member_then_whole_vc_reboot(vcsim, pyez_device, tmp_path):
    vc = vcsim(vc4_spec(durations={"install": 60})).vc("vc4")
    device = pyez_device(vc)
    image = _image(tmp_path)
    _upload(device, image)
    ok, message = SW(device).install(package="/var/tmp/" + image.name, no_copy=True, validate=False, progress=False)
    assert ok is True, message
    assert [e["member"] for e in vc.events("install_end")] == [1, 2, 3, 0]
    since = vc.log.next_seq()
    assert "Shutdown NOW!" in SW(device).reboot()
    # From the event log, not the state: the members are out for only 1 s (real).
    vc.wait_until(lambda v: len(v.events("member_rejoin", since=since)) == 4)
    vc.wait_until(lambda v: v.reachable and all(m.present for m in v.members))
    facts = dict(pyez_device(vc).facts)
    assert facts["vc_master"] == "0" and facts["version"] == NEW_VERSION
    assert {info["text"] for info in facts["junos_info"].values()} == {NEW_VERSION}
    assert vc.roles() == {0: "Master", 1: "Backup", 2: "Linecard", 3: "Linecard"}


def test_primary_reboot_switches_mastership_and_old_primary_rejoins_as_backup(vcsim, pyez_device):
    spec = vc4_spec(durations={"reboot": 600})
    spec["vcs"][0]["members"][2].update(role="routing-engine", priority=128)
    vc = vcsim(spec).vc("vc4")
    device = pyez_device(vc)
    since = vc.log.next_seq()
    # Member 0 is out for 2 s (real): time stops while it is, so the checks below do not race its return.
    with vc.time_held_from("member_leave", member=0):
        device.rpc.request_reboot(member="0", **{"in": "0"})
        # The new master is elected, then the old one's sessions close: wait for both.
        vc.wait_until(lambda v: v.master_id == 1 and v.events("session_close", since=since))
        with pytest.raises((ConnectClosedError, RpcError)):
            device.rpc.get_software_information()
        assert vc.roles() == {0: None, 1: "Master", 2: "Backup", 3: "Linecard"}
        again = pyez_device(vc)
        facts = dict(again.facts)
        assert facts["vc_master"] == "1" and "fpc1" in facts["current_re"]
        assert _vc_members(again)[1].findtext("member-role") == "Master*"
    vc.wait_until(lambda v: v.roles()[0] == "Backup")
    assert vc.roles() == {0: "Backup", 1: "Master", 2: "Linecard", 3: "Linecard"}
    changes = [(e["member"], e["old"], e["new"]) for e in vc.events("role_change", since=since)]
    assert changes == [(0, "Master", None), (1, "Backup", "Master"), (2, "Linecard", "Backup"),
                       (0, None, "Linecard"), (2, "Backup", "Linecard"), (0, "Linecard", "Backup")]
    closes = vc.events("session_close", since=since)
    assert closes and closes[0]["reason"] == "connection lost"
    assert vc.sessions_opened == 2


def test_zeroize_returns_factory_default(vc4, pyez_device, tmp_path):
    device = pyez_device(vc4)
    _upload(device, _image(tmp_path))
    since = vc4.log.next_seq()
    # The members are out for 1.4 s (real): time stops while they are, so the refused connection does not race their return.
    with vc4.time_held_from("member_leave"):
        device.rpc.request_system_zeroize()
        vc4.wait_until(lambda v: not v.reachable and v.events("member_leave", since=since))
        with pytest.raises(ConnectError):
            Device(host=vc4.host, port=vc4.port, user="admin", passwd="admin123", hostkey_verify=True,
                   ssh_config=vc4.ssh_config_file, gather_facts=False).open()
    vc4.wait_until(lambda v: v.reachable and all(m.present for m in v.members))
    device = pyez_device(vc4)
    config = device.rpc.get_config(options={"database": "committed"})
    assert config.findtext("system/phone-home/server") == "https://redirect.juniper.net"
    assert config.find("system/phone-home/rfc-compliant") is not None
    assert config.find("virtual-chassis") is None and config.find("system/host-name") is None
    assert device.rpc.file_list(path="/var/tmp").findall(".//file-information") == []
    assert vc4.events("zeroize")[0]["media"] is False


def test_configuration_load_commit_diff_rollback(vc4, pyez_device):
    device = pyez_device(vc4)
    config = Config(device)
    config.lock()
    config.load("<configuration><system><domain-name>lab.example</domain-name></system></configuration>", format="xml")
    assert "+  domain-name lab.example;" in config.diff()
    assert config.commit_check() is True
    config.commit(comment="xml change")
    assert config.diff() is None
    config.load("system { host-name vc4-new; }", format="text", merge=True)
    config.load("set virtual-chassis member 2 mastership-priority 100", format="set")
    diff = config.diff()
    assert "[edit system]\n-  host-name vc4;\n+  host-name vc4-new;" in diff
    assert "[edit virtual-chassis member 2]" in diff
    config.commit(comment="rename")
    assert device.rpc.get_software_information().findtext("host-name") == "vc4-new"
    assert _vc_members(device)[2].findtext("member-priority") == "100"
    filtered = device.rpc.get_config(filter_xml=etree.XML("<configuration><system><domain-name/></system></configuration>"))
    assert [e.tag for e in filtered.find("system")] == ["domain-name"]
    config.rollback(1)
    assert "+  host-name vc4;" in config.diff()
    config.commit(comment="back")
    config.unlock()
    text = device.rpc.get_config(options={"format": "text"}).text
    assert "host-name vc4;" in text and "domain-name lab.example;" in text
    with Config(device, mode="private") as private:
        private.load("<configuration><system><location><building>b1</building></location></system></configuration>")
        private.commit(comment="private")
    assert device.rpc.get_config(options={"database": "committed"}).findtext("system/location/building") == "b1"
    assert [e["comment"] for e in vc4.events("config_commit")] == ["xml change", "rename", "back", "private"]


def test_unlock_discards_uncommitted_changes_so_the_next_lock_succeeds(vc4, pyez_device):
    """Junos discards the uncommitted candidate when the configuration is unlocked (a check-mode run, a failed commit check)."""
    first, second = Config(pyez_device(vc4)), Config(pyez_device(vc4))
    first.lock()
    first.load("<configuration><system><domain-name>never.committed</domain-name></system></configuration>", format="xml")
    assert first.diff() is not None
    first.unlock()
    second.lock()
    assert second.diff() is None
    assert vc4.committed_config().findtext("system/domain-name") is None
    second.unlock()


def test_commit_confirmed_rolls_back_and_bad_config_is_refused(vc4, pyez_device):
    device = pyez_device(vc4)
    config = Config(device)
    with pytest.raises(Exception) as caught:
        config.load("set virtual-chassis member 1 mastership-priority 300", format="set")
        config.commit()
    assert "not within range" in str(caught.value)
    config.rollback(0)
    config.load("set system host-name temporary", format="set")
    config.commit(confirm=1)
    assert vc4.events("config_commit", confirmed=True)
    vc4.wait_until(lambda v: v.events("config_rollback"))
    assert vc4.hostname == "vc4"
    assert vc4.committed_config().findtext("system/host-name") == "vc4"


# -- faults ------------------------------------------------------------------------------------

def test_member_faults_never_returns_and_late(vc4, pyez_device):
    device = pyez_device(vc4)
    vc4.inject_fault("member_never_returns", member=3)
    vc4.inject_fault("member_returns_late", member=2, seconds=150)
    since = vc4.log.next_seq()
    device.rpc.request_reboot(member="3")
    device.rpc.request_reboot(member="2")
    _wait_rejoined(vc4, 2, since)
    leave, rejoin = vc4.events("member_leave", member=2)[0], vc4.events("member_rejoin", member=2)[0]
    assert rejoin["sim_ts"] - leave["sim_ts"] >= 300 + 150
    assert not vc4.member(3).present and not vc4.events("member_rejoin", member=3)
    absent = _vc_members(device)[3]
    assert [e.tag for e in absent] == ["member-status", "member-id", "fpc-slot", "member-serial-number", "member-model"]


def test_install_fault_and_corrupted_upload(vc4, pyez_device, tmp_path):
    device = pyez_device(vc4)
    image = _image(tmp_path)
    _upload(device, image)
    vc4.inject_fault("install_fails", member=1)
    ok, output = SW(device).pkgadd("/var/tmp/" + image.name, member="1")
    assert not ok and "ERROR" in output
    assert vc4.events("install_fail", member=1) and vc4.member(1).pending_version is None
    vc4.inject_fault("corrupt_next_upload")
    _upload(device, image, "/var/tmp/corrupt.tgz")
    remote = SW(device).remote_checksum("/var/tmp/corrupt.tgz", algorithm="sha256")
    assert remote != hashlib.sha256(image.read_bytes()).hexdigest()
    ok, output = SW(device).pkgadd("/var/tmp/corrupt.tgz", member="2")
    assert not ok and "signature/validation failed" in output
    assert vc4.events("upload", path="/var/tmp/corrupt.tgz")[0]["corrupted"] is True


def test_disk_full_fault(vc4, pyez_device, tmp_path):
    device = pyez_device(vc4)
    vc4.inject_fault("disk_full", bytes_available=1000)
    blob = tmp_path / "big.bin"
    blob.write_bytes(b"x" * 5000)
    with pytest.raises(SCPException, match="No space left on device"):
        _upload(device, blob)
    available = device.rpc.get_system_storage().find(".//available-blocks")
    assert available.text == "0"
    vc4.clear_faults("disk_full")
    (tmp_path / "small.log").write_bytes(b"log\n")
    _upload(device, tmp_path / "small.log")
    cleaned = device.rpc.request_system_storage_cleanup()
    assert {f.findtext("file-name") for f in cleaned.findall(".//file")} == {"/var/tmp/small.log"}
    assert vc4.files() == ["big.bin"]


def test_vcp_link_down_mixed_mode_and_unexpected_serial(vc4, pyez_device):
    device = pyez_device(vc4)
    vc4.inject_fault("vcp_link_down", member=0, port="vcp-255/1/1")
    vc4.inject_fault("mixed_mode")
    vc4.inject_fault("unexpected_serial", member=3, serial="XX0000000001")
    ports = device.rpc.get_virtual_chassis_port_information()
    status = {(i.findtext("re-name"), p.findtext("port-name")): p.findtext("port-status")
              for i in ports.findall("multi-routing-engine-item") for p in i.findall(".//port-information")}
    assert status[("fpc0", "vcp-255/1/1")] == "Down" and status[("fpc1", "vcp-255/1/0")] == "Down"
    assert status[("fpc0", "vcp-255/1/0")] == "Up"
    members = _vc_members(device)
    assert [n.findtext("neighbor-id") for n in members[0].findall(".//neighbor")] == ["3"]
    assert members[3].findtext("member-serial-number") == "XX0000000001"
    assert members[0].findtext("member-mixed-mode") == "Y"
    facts = dict(pyez_device(vc4).facts)
    assert facts["vc_mode"] == "Mixed"


def test_session_drop_and_slow_rpc_faults(vcsim, pyez_device):
    spec = vc4_spec(faults=[{"type": "slow_rpc", "rpc": "get-chassis-inventory", "seconds": 150}])
    vc = vcsim(spec).vc("vc4")
    device = pyez_device(vc)
    started = vc.clock.sim_now()
    device.rpc.get_chassis_inventory()
    assert vc.clock.sim_now() - started >= 150
    vc.inject_fault("drop_session", rpc="get-route-engine-information")
    with pytest.raises((ConnectClosedError, RpcError)):
        device.rpc.get_route_engine_information()
    assert vc.events("session_dropped", rpc="get-route-engine-information")
    assert pyez_device(vc).rpc.get_route_engine_information() is not None


# -- transport ---------------------------------------------------------------------------------

def test_host_key_verification_and_authentication(vc4, pyez_device, tmp_path):
    wrong = tmp_path / "known_hosts"
    # A well-formed ECDSA key that is not the simulator's.
    wrong.write_text("[127.0.0.1]:%d ecdsa-sha2-nistp256 %s\n" % (vc4.port, _other_key().get_base64()))
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n    UserKnownHostsFile %s\n" % wrong)
    with pytest.raises(ConnectError):
        Device(host=vc4.host, port=vc4.port, user="admin", passwd="admin123", hostkey_verify=True,
               ssh_config=str(config), gather_facts=False).open()
    with pytest.raises(ConnectError):
        pyez_device(vc4, password="wrong")
    assert pyez_device(vc4).connected


def _other_key():
    import paramiko

    return paramiko.ECDSAKey.generate()


def test_public_key_authentication(vcsim, pyez_device, tmp_path):
    import paramiko

    key = paramiko.ECDSAKey.generate()
    key_file = tmp_path / "id_ecdsa"
    key.write_private_key_file(str(key_file))
    spec = vc4_spec()
    spec["authorized_keys"] = ["%s %s test@vcsim" % (key.get_name(), key.get_base64())]
    vc = vcsim(spec).vc("vc4")
    device = Device(host=vc.host, port=vc.port, user="admin", ssh_private_key_file=str(key_file), hostkey_verify=True,
                    ssh_config=vc.ssh_config_file, gather_facts=False)
    device.open()
    try:
        assert device.rpc.get_software_information().findtext("host-name") == "vc4"
    finally:
        device.close()
