"""The phone-home server's database options: SQLite or PostgreSQL, and never a password on the command line or in a log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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
