"""``python -m vcsim``: start from a spec file, report endpoints, take faults, stop on SIGTERM."""

import json
import os
import signal
import subprocess
import sys

import yaml
from jnpr.junos import Device

from vcsim.testing import PASSWORD, USER, vc4_spec

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _vcsim(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "vcsim", *args], cwd=TESTS_DIR, capture_output=True, text=True, timeout=60, check=False, **kwargs)


def test_cli_runs_until_sigterm_and_takes_faults(tmp_path):
    spec_file = tmp_path / "spec.yml"
    spec_file.write_text(yaml.safe_dump(vc4_spec()))
    state_file = tmp_path / "state.json"
    process = subprocess.Popen([sys.executable, "-m", "vcsim", "--spec", str(spec_file), "--workdir", str(tmp_path / "work"),
                                "--state", str(state_file)], cwd=TESTS_DIR, stdout=subprocess.PIPE, text=True)
    try:
        endpoint = json.loads(process.stdout.readline())
        assert json.loads(process.stdout.readline())["ready"] is True
        assert json.loads(state_file.read_text())["vcs"][0] == endpoint
        device = Device(host=endpoint["host"], port=endpoint["port"], user=USER, passwd=PASSWORD, hostkey_verify=True,
                        ssh_config=endpoint["ssh_config_file"], gather_facts=False)
        device.open()
        fault = _vcsim("fault", "--state", str(state_file), "--vc", "vc4", "unexpected_serial", "member=2", "serial=ZZ999")
        assert fault.returncode == 0, fault.stderr
        serials = [m.findtext("member-serial-number") for m in device.rpc.get_virtual_chassis_information().findall(".//member")]
        assert serials[2] == "ZZ999"
        device.close()
        status = json.loads(_vcsim("status", "--state", str(state_file)).stdout)
        assert status["vc4"]["faults"] == [["unexpected_serial", {"member": 2, "serial": "ZZ999"}]]
        bad = _vcsim("fault", "--state", str(state_file), "--vc", "vc4", "slow_rpc", "rpc=get-foo")
        assert bad.returncode == 1 and "required" in bad.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        process.stdout.close()


def test_cli_rejects_a_bad_spec(tmp_path):
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps({"vcs": [{"name": "x", "members": [{"id": 12}]}]}))
    result = _vcsim("--spec", str(spec_file), "--workdir", str(tmp_path / "work"))
    assert result.returncode == 2 and "vcs[0].members[0].id" in result.stderr
