"""The phone-home server's database options: SQLite or PostgreSQL, and never a password on the command line or in a log."""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'roles' / 'phone_home_server' / 'files'))

from junos_ztp_phs.__main__ import parse_args, postgres_password_in  # noqa: E402
from junos_ztp_phs.store import postgres_target  # noqa: E402

COMMON = ['--records', 'r', '--cert', 'c', '--key', 'k']


def test_one_database_is_required_and_a_dsn_may_not_carry_a_password(capsys):
    assert parse_args(COMMON + ['--db', 'n.db']).db == 'n.db'
    args = parse_args(COMMON + ['--postgres', 'postgresql://phs@db:5432/phs', '--postgres-password-file', 'pw', '--workers', '2'])
    assert (args.postgres, args.postgres_password_file, args.workers) == ('postgresql://phs@db:5432/phs', 'pw', 2)
    for bad in (['--db', 'n.db', '--postgres', 'postgresql://phs@db/phs'], [],
                ['--postgres', 'postgresql://phs:s3cret@db/phs'], ['--postgres', 'host=db user=phs'],
                ['--postgres', 'postgresql://phs@db/phs?password=s3cret'], ['--db', 'n.db', '--postgres-password-file', 'pw'],
                ['--db', 'n.db', '--workers', '0']):
        with pytest.raises(SystemExit):
            parse_args(COMMON + bad)
    assert 's3cret' not in capsys.readouterr().err


def test_password_detection_and_the_logged_target():
    assert postgres_password_in('postgres://u:p@h/d') and not postgres_password_in('postgres://u@h:5/d')
    assert postgres_password_in('postgresql://u@h/d?password=p&sslmode=require')
    assert postgres_target('postgresql://phs@db.example.net:5433/phs') == 'postgresql://phs@db.example.net:5433/phs'
    assert postgres_target('postgresql://phs:s3cret@db/phs') == 'postgresql://phs@db/phs'


def _exec_start(**variables):
    """The role's systemd unit rendered with its defaults and these variables: the server's arguments."""
    role = Path(__file__).resolve().parents[2] / 'roles' / 'phone_home_server'
    defaults = yaml.safe_load((role / 'defaults' / 'main.yml').read_text())
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values = dict(defaults, ansible_managed='managed', ansible_host='phs1', **variables)
    for _round in range(3):  # defaults refer to other defaults
        values = {k: environment.from_string(v).render(values) if isinstance(v, str) else v for k, v in values.items()}
    unit = environment.from_string((role / 'templates' / 'junos-ztp-phs.service.j2').read_text()).render(values)
    assert 'phone_home_server_postgres_password' not in variables or variables['phone_home_server_postgres_password'] not in unit
    command = next(line for line in unit.splitlines() if line.startswith('ExecStart=')).split('=', 1)[1].split()
    assert command[0] == '/opt/junos-ztp-phs/venv/bin/junos-ztp-phs' and 'PYTHONPATH' not in unit  # the installed package's script
    return parse_args(command[1:])


def test_the_roles_unit_runs_the_package_with_sqlite_or_postgresql():
    args = _exec_start()
    assert (args.db, args.postgres, args.workers) == ('/var/lib/junos-ztp-phs/notifications.db', None, 1)
    args = _exec_start(phone_home_server_postgres_dsn='postgresql://phs@db:5432/phs', phone_home_server_postgres_password='s3cret',
                       phone_home_server_workers=2)
    assert (args.db, args.postgres, args.postgres_password_file, args.workers) == (
        None, 'postgresql://phs@db:5432/phs', '/etc/junos-ztp-phs/postgres-password', 2)
