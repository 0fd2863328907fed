"""One NETCONF session over an SSH channel, framed like Junos: base:1.0, messages end with ]]>]]>.

The server hello follows junos-xml/vc/hello-junos.xml (capabilities, session-id, the two XML
comments Junos prints first). Each <rpc> is dispatched to vcsim.rpc; replies are built with lxml
and serialised without an XML declaration (ncclient's Junos handler chokes on one).
"""

import threading

import paramiko
from lxml import etree

from . import rpc
from .xmlreply import NC_NS, RpcFailure, serialize_reply

DELIMITER = b"]]>]]>"
CAPABILITIES = (
    "urn:ietf:params:netconf:base:1.0",
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:netconf:capability:validate:1.0",
    "urn:ietf:params:netconf:capability:url:1.0?scheme=http,ftp,file",
    "urn:ietf:params:xml:ns:netconf:base:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:candidate:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:validate:1.0",
    "urn:ietf:params:xml:ns:netconf:capability:url:1.0?scheme=http,ftp,file",
    "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring",
    "http://xml.juniper.net/netconf/junos/1.0",
    "http://xml.juniper.net/dmi/system/1.0",
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)
_CHANNEL_ERRORS = (OSError, EOFError, paramiko.SSHException)


def hello(session_id, user):
    caps = "".join("<capability>%s</capability>" % cap for cap in CAPABILITIES).replace("&", "&amp;")
    return ("<!-- No zombies were killed during the creation of this user interface -->\n"
            "<!-- user %s, class j-super-user -->\n"
            '<hello xmlns="%s"><capabilities>%s</capabilities><session-id>%d</session-id></hello>\n'
            % (user.replace("--", "- -"), NC_NS, caps, session_id)).encode()


def strip_namespaces(node):
    """Copy of a request element with plain tag and attribute names (Junos RPCs arrive inside <nc:rpc>)."""
    clone = etree.Element(etree.QName(node).localname)
    for name, value in node.attrib.items():
        clone.set(etree.QName(name).localname, value)
    clone.text = node.text
    for child in node:
        if isinstance(child.tag, str):
            clone.append(strip_namespaces(child))
    return clone


class NetconfSession(threading.Thread):
    def __init__(self, vc, channel, transport, user):
        super().__init__(name="vcsim-%s-netconf" % vc.name, daemon=True)
        self.vc = vc
        self.user = user
        self.id = vc.new_session_id()
        self.member_id = vc.chassis.master_id()
        self.closed = threading.Event()
        self._channel = channel
        self._transport = transport
        self._buffer = b""

    def abort(self):
        """Tear the session down from outside (master reboot, simulator stop)."""
        self.closed.set()
        self._transport.close()

    def run(self):
        self.vc.session_opened(self)
        reason = "closed by client"
        try:
            self._channel.sendall(hello(self.id, self.user) + DELIMITER)
            if self._read_message() is None:
                reason = "no client hello"
                return
            while True:
                message = self._read_message()
                if message is None:
                    reason = "connection lost" if self.closed.is_set() else "closed by client"
                    break
                if not self._handle(message):
                    reason = "close-session" if not self.closed.is_set() else "dropped"
                    break
        except _CHANNEL_ERRORS:
            reason = "connection lost"
        finally:
            self.closed.set()
            self.vc.config.release(self.id)
            self.vc.log.emit("session_close", member=self.member_id, session=self.id, reason=reason)
            try:
                self._channel.close()
            except _CHANNEL_ERRORS:
                pass

    def _read_message(self):
        while True:
            end = self._buffer.find(DELIMITER)
            if end >= 0:
                message, self._buffer = self._buffer[:end], self._buffer[end + len(DELIMITER):]
                return message
            data = self._channel.recv(65536)
            if not data:
                return None
            self.vc.count_netconf_bytes(len(data))
            self._buffer += data

    def _send(self, payload):
        self._channel.sendall(payload + DELIMITER)

    def _handle(self, message):
        """Answer one message; False ends the session."""
        try:
            root = etree.fromstring(message, _PARSER)
        except etree.XMLSyntaxError as err:
            self._reply([RpcFailure("syntax error: %s" % err).element()], None)
            return True
        if etree.QName(root).localname == "hello":
            return True
        message_id = root.get("message-id")
        operations = [child for child in root if isinstance(child.tag, str)]
        if etree.QName(root).localname != "rpc" or not operations:
            self._reply([RpcFailure("syntax error, expecting <rpc>", bad_element=etree.QName(root).localname).element()], message_id)
            return True
        request = strip_namespaces(operations[0])
        self.vc.log.emit("rpc", member=self.member_id, name=request.tag, session=self.id)
        if request.tag == "close-session":
            self._reply([etree.Element("ok")], message_id)
            return False
        context = rpc.RpcContext(self.vc, self)
        slow = self.vc.faults.find("slow_rpc", rpc=request.tag)
        try:
            if slow:
                context.sleep(slow["seconds"])
            content = rpc.dispatch(context, request)
        except RpcFailure as failure:
            content = [failure.element()]
        except rpc.SessionGone:
            return False
        if self.vc.faults.take("drop_session", rpc=request.tag):
            payload = serialize_reply(content, message_id, self.vc.junos_version())
            self._channel.sendall(payload[:len(payload) // 2])
            self.vc.log.emit("session_dropped", member=self.member_id, session=self.id, rpc=request.tag)
            self.abort()
            return False
        self._reply(content, message_id)
        return True

    def _reply(self, content, message_id):
        self._send(serialize_reply(content, message_id, self.vc.junos_version()))
