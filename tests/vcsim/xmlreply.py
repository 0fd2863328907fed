"""Building Junos reply XML with lxml (so every text is escaped) and serialising it like Junos does.

Handlers build un-namespaced elements; ``junos:`` attributes and Junos sub-namespaces use the
placeholders below, which ``serialize_reply`` turns into the versioned URIs a real box sends.
"""

import re

from lxml import etree

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
JUNOS = "urn:vcsim:junos"            # placeholder for http://xml.juniper.net/junos/<version>/junos
_SUBNS_PREFIX = "urn:vcsim:junos-"   # placeholder for http://xml.juniper.net/junos/<version>/junos-<name>
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd]")


class RpcFailure(Exception):
    """Raised by an RPC handler to answer with an <rpc-error>."""

    def __init__(self, message, bad_element=None, severity="error", tag="operation-failed", error_type="protocol"):
        super().__init__(message)
        self.message = message
        self.bad_element = bad_element
        self.severity = severity
        self.tag = tag
        self.error_type = error_type

    def element(self):
        error = etree.Element("rpc-error")
        sub(error, "error-type", self.error_type)
        sub(error, "error-tag", self.tag)
        sub(error, "error-severity", self.severity)
        sub(error, "error-message", self.message)
        if self.bad_element:
            sub(sub(error, "error-info"), "bad-element", self.bad_element)
        return error


def element(tag, text=None, **attrs):
    node = etree.Element(tag)
    if text is not None:
        node.text = str(text)
    for name, value in attrs.items():
        node.set(name.replace("_", "-"), str(value))
    return node


def xml_text(text):
    """Text that XML can carry: characters it cannot (control characters) become '?'."""
    return _NOT_XML.sub("?", text)


def sub(parent, tag, text=None, **attrs):
    node = element(tag, text, **attrs)
    parent.append(node)
    return node


def set_junos(node, name, value):
    """Set a junos:<name> attribute (e.g. junos:style, junos:format, junos:seconds)."""
    node.set("{%s}%s" % (JUNOS, name), str(value))
    return node


def junos_subns(name):
    """Placeholder namespace for e.g. junos-interface or junos-chassis."""
    return _SUBNS_PREFIX + name


def serialize_reply(content, message_id, version):
    """Bytes of a Junos-style <rpc-reply>: NETCONF default namespace, junos prefix, no XML declaration."""
    junos_uri = "http://xml.juniper.net/junos/%s/junos" % version
    root = etree.Element("{%s}rpc-reply" % NC_NS, nsmap={None: NC_NS, "junos": junos_uri})
    if message_id is not None:
        root.set("message-id", message_id)
    for child in content:
        root.append(_adopt(child, NC_NS, version, junos_uri))
    return etree.tostring(root)


def _adopt(node, parent_ns, version, junos_uri):
    """Copy ``node`` into its final namespace: un-namespaced elements inherit their parent's."""
    if not isinstance(node.tag, str):
        return node
    qname = etree.QName(node)
    namespace = qname.namespace or parent_ns
    nsmap = None
    if namespace.startswith(_SUBNS_PREFIX):
        namespace = "http://xml.juniper.net/junos/%s/%s" % (version, namespace[len("urn:vcsim:"):])
        nsmap = {None: namespace}
    clone = etree.Element("{%s}%s" % (namespace, qname.localname), nsmap=nsmap)
    for name, value in node.attrib.items():
        clone.set(name.replace("{%s}" % JUNOS, "{%s}" % junos_uri), value)
    clone.text = node.text
    clone.tail = node.tail
    for child in node:
        clone.append(_adopt(child, namespace, version, junos_uri))
    return clone
