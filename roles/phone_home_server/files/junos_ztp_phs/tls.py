# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A self-signed certificate for the server when none is given (labs, the demo, the tests).

    python -m junos_ztp_phs.tls --cert cert.pem --key key.pem --name 192.0.2.40 --name phs.example.net

The certificate is its own CA: hand it to devices as the trust anchor (ztp_phone_home.trust_anchor)
and to junos.ztp.phs_status as ca_path.  ECDSA P-256 keeps TLS handshakes cheap for many devices.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _subject_name(name):
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def self_signed(names, days=825):
    """(certificate PEM, private key PEM) for the given host names / IP addresses."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_subject_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def write_self_signed(cert_path, key_path, names, days=825):
    """Write both files; the key is created 0600 and never world-readable."""
    certificate, key = self_signed(names, days)
    with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'wb') as stream:
        stream.write(key)
    with open(cert_path, 'wb') as stream:
        stream.write(certificate)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m junos_ztp_phs.tls', description='Write a self-signed certificate and key.')
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--name', action='append', required=True, help='host name or IP address (repeat)')
    parser.add_argument('--days', type=int, default=825)
    args = parser.parse_args(argv)
    write_self_signed(args.cert, args.key, args.name, args.days)


if __name__ == '__main__':
    main()
