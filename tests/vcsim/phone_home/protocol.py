"""What the phone-home client says on the wire: the legacy Juniper protocol and RFC 8572, over verified HTTPS.

Written from protocols.md sections 1-2 (and the seed), never from the collection's code:
- legacy: ``GET /restconf/data/juniper-zerotouch-bootstrap-server:devices/device=<serial>`` answers either
  ``<device><unique-id/><redirect-information><bootstrap-server>...`` (a redirector) or the bootstrap record;
  notifications are ``POST .../device=<serial>/notification`` (``201``);
- rfc-compliant: ``POST /restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data`` answers
  ``conveyed-information`` (a CMS ContentInfo holding redirect-information or onboarding-information JSON);
  notifications are ``report-progress`` (``204``).
Both log in with HTTP Basic, user = the serial number, empty password. A redirector is verified with the
spec's ``ca_file`` (or the system store); a bootstrap server only with the trust anchor the redirect
answer gave for it.
"""

import base64
import http.client
import json
import re
import ssl
from dataclasses import dataclass, field

from lxml import etree

LEGACY_NS = "http://juniper.net/zerotouch-bootstrap-server"
VC_NS = "urn:junos-ztp:virtual-chassis:1"            # the collection's documented extension (docs/phone-home.md)
VC_JSON_KEY = "junos-ztp-virtual-chassis:virtual-chassis"
LEGACY_PATH = "/restconf/data/juniper-zerotouch-bootstrap-server:devices/device=%s"
RFC8572_PATH = "/restconf/operations/ietf-sztp-bootstrap-server:%s"
LEGACY_TYPE = "application/yang.data+xml"
RFC8572_TYPE = "application/yang-data+json"
HTTP_TIMEOUT = 15.0   # real seconds
# [guess] the legacy record names its image but not its version: take it from a Juniper package name.
_VERSION_IN_NAME = re.compile(r"-(\d+\.\d+[A-Za-z]\S*?)(?:-signed)?\.t?gz$")
_OID_CONVEYED_JSON = "1.2.840.113549.1.9.16.1.43"
_OID_SIGNED_DATA = "1.2.840.113549.1.7.2"


class PhoneHomeError(Exception):
    """The exchange failed: the server is unreachable, refused, or answered something the client cannot use."""


@dataclass(frozen=True)
class BootstrapServer:
    address: str
    port: int
    trust_anchors: tuple      # DER certificates

    @property
    def url(self):
        host = "[%s]" % self.address if ":" in self.address else self.address
        return "https://%s:%d" % (host, self.port)


@dataclass
class Image:
    name: str
    url: str
    version: str
    hashes: dict               # algorithm (hashlib name) -> lower-case hex digest


@dataclass
class VirtualChassisIntent:
    topology: str              # minimum | full
    mode: str                  # default | strict
    detection_timeout: float
    members: list              # [{"serial": ..., "member_id": int or None, "role": ...}]


@dataclass
class Bootstrap:
    image: Image = None
    pre_script: bytes = None
    configuration: object = None      # lxml <configuration> to merge
    post_script: bytes = None
    vc: VirtualChassisIntent = None
    notes: list = field(default_factory=list)


# -- DER, just enough to open RFC 8572's CMS wrappers -------------------------------------------

def _der_items(data):
    """(tag, content, whole) of each TLV in ``data``."""
    offset = 0
    while offset < len(data):
        tag, size = data[offset], data[offset + 1]
        start = offset + 2
        if size & 0x80:
            count = size & 0x7F
            size = int.from_bytes(data[start:start + count], "big")
            start += count
        if start + size > len(data):
            raise ValueError("truncated DER")
        yield tag, data[start:start + size], data[offset:start + size]
        offset = start + size


def _oid(content):
    first, rest = divmod(content[0], 40)
    parts, value = [min(first, 2), rest if first < 2 else content[0] - 80], 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _content_info(data, expected_oid):
    """The explicit [0] content of a CMS ContentInfo of the expected type."""
    (tag, body, unused), = list(_der_items(data))
    items = list(_der_items(body))
    if tag != 0x30 or len(items) != 2 or items[0][0] != 0x06 or _oid(items[0][1]) != expected_oid or items[1][0] != 0xA0:
        raise ValueError("not a CMS ContentInfo of type %s" % expected_oid)
    return items[1][1]


def conveyed_json(b64):
    """RFC 8572 conveyed-information (unsigned: id-ct-sztpConveyedInfoJSON) -> the JSON document."""
    (tag, octets, unused), = list(_der_items(_content_info(base64.b64decode(b64), _OID_CONVEYED_JSON)))
    if tag != 0x04:
        raise ValueError("conveyed information is not an OCTET STRING")
    return json.loads(octets)


def certificates_of(b64):
    """DER certificates of an RFC 8572 trust-anchor (a degenerate CMS SignedData)."""
    (tag, signed, unused), = list(_der_items(_content_info(base64.b64decode(b64), _OID_SIGNED_DATA)))
    certificates = [content for tag, content, unused in _der_items(signed) if tag == 0xA0]
    if tag != 0x30 or not certificates:
        raise ValueError("trust anchor carries no certificates")
    return tuple(whole for unused_tag, unused, whole in _der_items(certificates[0]))


# -- HTTPS ---------------------------------------------------------------------------------------

def tls_context(trust_anchors=(), ca_file=None):
    """Verify against the trust anchor only; without one, against ca_file (or the system store)."""
    if trust_anchors:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cadata=b"".join(trust_anchors))
        return context
    return ssl.create_default_context(cafile=ca_file)


def _request(base_url, context, method, path, serial, body=None, content_type=None):
    """(status, body) of one request, a new TLS connection each time; raises PhoneHomeError when unreachable."""
    match = re.match(r"^https://(\[[^\]]+\]|[^/:]+)(?::(\d+))?/?", base_url)
    if not match:
        raise PhoneHomeError("%s: not an https:// URL" % base_url)
    host = match.group(1).strip("[]")
    headers = {"Authorization": "Basic " + base64.b64encode(("%s:" % serial).encode()).decode(), "Accept": content_type or "*/*"}
    if body is not None:
        headers["Content-Type"] = content_type
    connection = http.client.HTTPSConnection(host, int(match.group(2) or 443), context=context, timeout=HTTP_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except ssl.SSLCertVerificationError as err:
        raise PhoneHomeError("%s: certificate verify failed (%s)" % (base_url, err.verify_message)) from None
    except (OSError, http.client.HTTPException) as err:
        raise PhoneHomeError("%s: %s" % (base_url, err.strerror if isinstance(err, OSError) and err.strerror else err)) from None
    finally:
        connection.close()


def _checked(base_url, status, body, expected):
    if status == 404:
        raise PhoneHomeError("%s: 404 Not Found (serial number not claimed)" % base_url)
    if status != expected:
        raise PhoneHomeError("%s: HTTP %d %s" % (base_url, status, body[:200].decode("utf-8", "replace")))
    return body


# -- the two encodings ---------------------------------------------------------------------------

def _text(element, name, ns=LEGACY_NS):
    value = element.findtext("{%s}%s" % (ns, name))
    return value.strip() if value is not None and value.strip() else None


def _servers_from_legacy(redirect):
    servers = []
    for entry in redirect.findall("{%s}bootstrap-server" % LEGACY_NS):
        anchor = _text(entry, "trust-anchor")
        servers.append(BootstrapServer(_text(entry, "address"), int(_text(entry, "port") or 443),
                                       (base64.b64decode(anchor),) if anchor else ()))
    if not servers or any(s.address is None for s in servers):
        raise PhoneHomeError("redirect-information without a bootstrap-server address")
    return servers


def _vc_from_xml(block):
    if block is None:
        return None
    members = [{"serial": _text(m, "serial-number", VC_NS), "member_id": _int(_text(m, "member-id", VC_NS)),
                "role": _text(m, "role", VC_NS)} for m in block.findall("{%s}member" % VC_NS)]
    return VirtualChassisIntent(_text(block, "topology", VC_NS), _text(block, "provisioning-mode", VC_NS) or "default",
                                _float(_text(block, "member-detection-timeout", VC_NS)), members)


def _vc_from_json(block):
    if block is None:
        return None
    members = [{"serial": m.get("serial-number"), "member_id": _int(m.get("member-id")), "role": m.get("role")}
               for m in block.get("member", [])]
    return VirtualChassisIntent(block.get("topology"), block.get("provisioning-mode", "default"),
                                _float(block.get("member-detection-timeout")), members)


def _int(value):
    return int(value) if value is not None else None


def _float(value):
    return float(value) if value is not None else None


def _script(b64, where):
    try:
        return base64.b64decode(b64, validate=True) if b64 else None
    except ValueError:
        raise PhoneHomeError("%s is not base64" % where) from None


def parse_legacy_record(body):
    """Bootstrap from a legacy record; raises PhoneHomeError (not retried) when it makes no sense."""
    try:
        device = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as err:
        raise PhoneHomeError("record is not well-formed XML: %s" % err) from None
    if device.tag != "{%s}device" % LEGACY_NS:
        raise PhoneHomeError("record root is %s, expected {%s}device" % (device.tag, LEGACY_NS))
    result = Bootstrap(vc=_vc_from_xml(device.find("{%s}virtual-chassis" % VC_NS)))
    boot = device.find("{%s}boot-image" % LEGACY_NS)
    if boot is not None:
        name, url = _text(boot, "name"), _text(boot, "path")
        hashes = {alg: _text(boot, alg).lower() for alg in ("md5", "sha1") if _text(boot, alg)}
        if not name or not url or set(hashes) != {"md5", "sha1"}:
            raise PhoneHomeError("boot-image needs name, path, md5 and sha1")
        version = _VERSION_IN_NAME.search(name)
        result.image = Image(name, url, version.group(1) if version else None, hashes)
    result.pre_script = _script(_text(device, "pre-configuration-script"), "pre-configuration-script")
    result.post_script = _script(_text(device, "post-configuration-script"), "post-configuration-script")
    merged = device.find("{%s}configuration/{%s}config/{%s}configuration" % (LEGACY_NS, LEGACY_NS, LEGACY_NS))
    if merged is None:
        merged = device.find("{%s}configuration/{%s}config/configuration" % (LEGACY_NS, LEGACY_NS))
    if merged is not None:
        result.configuration = _junos_xml(merged)
    return result


def _junos_xml(element):
    """The configuration without the record's namespace (Junos XML has none) and without operation="merge"."""
    text = etree.tostring(element).decode()
    tree = etree.fromstring(text.replace(' xmlns="%s"' % LEGACY_NS, ""))
    for node in tree.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    etree.cleanup_namespaces(tree)
    tree.attrib.pop("operation", None)
    return tree


def parse_onboarding(document):
    """Bootstrap from RFC 8572 onboarding-information (JSON dict)."""
    info = document.get("ietf-sztp-conveyed-info:onboarding-information")
    if not isinstance(info, dict):
        raise PhoneHomeError("conveyed information is neither redirect- nor onboarding-information")
    result = Bootstrap(vc=_vc_from_json(info.get(VC_JSON_KEY)))
    boot = info.get("boot-image")
    if boot:
        uris = boot.get("download-uri") or []
        hashes = {}
        for check in boot.get("image-verification", []):
            if check.get("hash-algorithm", "").endswith(":sha-256"):
                hashes["sha256"] = check["hash-value"].replace(":", "").lower()
        if not uris or "sha256" not in hashes:
            raise PhoneHomeError("boot-image needs a download-uri and a sha-256 image-verification")
        result.image = Image(uris[0].rsplit("/", 1)[-1], uris[0], boot.get("os-version"), hashes)
    if info.get("configuration-handling", "merge") != "merge":
        result.notes.append("configuration-handling %s: Junos merges phone-home configuration" % info["configuration-handling"])
    result.pre_script = _script(info.get("pre-configuration-script"), "pre-configuration-script")
    result.post_script = _script(info.get("post-configuration-script"), "post-configuration-script")
    if info.get("configuration"):
        try:
            result.configuration = etree.fromstring(base64.b64decode(info["configuration"]),
                                                    etree.XMLParser(resolve_entities=False, no_network=True))
        except (ValueError, etree.XMLSyntaxError) as err:
            raise PhoneHomeError("configuration is not Junos XML: %s" % err) from None
    return result


class LegacyClient:
    encoding = "legacy"

    def bootstrap(self, base_url, context, serial):
        """A list of BootstrapServer (a redirect) or a Bootstrap (a record)."""
        body = _checked(base_url, *_request(base_url, context, "GET", LEGACY_PATH % serial, serial, content_type=LEGACY_TYPE), 200)
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as err:
            raise PhoneHomeError("%s: answer is not well-formed XML: %s" % (base_url, err)) from None
        redirect = root.find("{%s}redirect-information" % LEGACY_NS) if root.tag == "{%s}device" % LEGACY_NS else None
        if redirect is not None:
            return _servers_from_legacy(redirect)
        return parse_legacy_record(body)

    def notify(self, base_url, context, serial, kind, message):
        root = etree.Element("{%s}notification" % LEGACY_NS, nsmap={None: LEGACY_NS})
        etree.SubElement(root, "{%s}notification-type" % LEGACY_NS).text = kind
        etree.SubElement(root, "{%s}message" % LEGACY_NS).text = message
        status, body = _request(base_url, context, "POST", (LEGACY_PATH % serial) + "/notification", serial,
                                etree.tostring(root), LEGACY_TYPE)
        _checked(base_url, status, body, 201)
        return status


class RFC8572Client:
    encoding = "rfc-compliant"

    def __init__(self, hw_model, os_version):
        self.input = {"hw-model": hw_model, "os-name": "Junos", "os-version": os_version}

    def bootstrap(self, base_url, context, serial):
        request = json.dumps({"ietf-sztp-bootstrap-server:input": self.input}).encode()
        body = _checked(base_url, *_request(base_url, context, "POST", RFC8572_PATH % "get-bootstrapping-data", serial,
                                            request, RFC8572_TYPE), 200)
        try:
            output = json.loads(body)["ietf-sztp-bootstrap-server:output"]
            document = conveyed_json(output["conveyed-information"])
        except (ValueError, KeyError, TypeError) as err:
            raise PhoneHomeError("%s: bad get-bootstrapping-data output: %s" % (base_url, err)) from None
        redirect = document.get("ietf-sztp-conveyed-info:redirect-information")
        if redirect is None:
            return parse_onboarding(document)
        servers = []
        for entry in redirect.get("bootstrap-server", []):
            try:
                anchors = certificates_of(entry["trust-anchor"]) if entry.get("trust-anchor") else ()
            except ValueError as err:
                raise PhoneHomeError("%s: bad trust-anchor: %s" % (base_url, err)) from None
            servers.append(BootstrapServer(entry["address"], int(entry.get("port", 443)), anchors))
        if not servers:
            raise PhoneHomeError("%s: redirect-information without a bootstrap-server" % base_url)
        return servers

    def notify(self, base_url, context, serial, kind, message):
        request = json.dumps({"ietf-sztp-bootstrap-server:input": {"progress-type": kind, "message": message}}).encode()
        status, body = _request(base_url, context, "POST", RFC8572_PATH % "report-progress", serial, request, RFC8572_TYPE)
        _checked(base_url, status, body, 204)
        return status
