"""The configuration database: committed and candidate trees, locks, private candidates, rollbacks.

Loads follow Junos semantics: action merge (default) / replace (honours replace="replace" and
"replace:") / override / update / set, and per-element operation="merge|replace|delete|create|remove"
or delete="delete". Every commit pushes the committed tree onto the rollback history (0 = current).
"""

import copy
import threading
import time
from dataclasses import dataclass

from lxml import etree

from . import configsyntax
from .configsyntax import ConfigSyntaxError, body, entry_name, find_statement, statement_key

MAX_ROLLBACKS = 50
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
_MARKERS = ("operation", "{%s}operation" % NC_NS, "delete", "replace", "active", "inactive", "insert", "rename")


class ConfigError(Exception):
    def __init__(self, message, bad_element=None):
        super().__init__(message)
        self.message = message
        self.bad_element = bad_element


@dataclass
class Commit:
    tree: object
    seconds: int
    user: str
    comment: str


def _operation(element, honour_replace):
    operation = element.get("operation") or element.get("{%s}operation" % NC_NS)
    if operation:
        return operation
    if element.get("delete") == "delete":
        return "delete"
    if honour_replace and element.get("replace") == "replace":
        return "replace"
    return "merge"


def _clean_copy(element):
    fresh = copy.deepcopy(element)
    for node in fresh.iter():
        if not isinstance(node.tag, str):
            continue
        for marker in _MARKERS:
            node.attrib.pop(marker, None)
    return fresh


def merge(target, source, honour_replace):
    """Merge the statements of ``source`` into ``target`` in place."""
    for child in body(source):
        operation = _operation(child, honour_replace)
        if operation not in ("merge", "replace", "delete", "remove", "create"):
            raise ConfigError("syntax error, unknown operation '%s'" % operation, bad_element=child.tag)
        existing = find_statement(target, statement_key(child))
        if operation in ("delete", "remove"):
            if existing is not None:
                target.remove(existing)
            elif operation == "delete" and child.tag in configsyntax.LEAF_LISTS and not (child.text or "").strip():
                for value in target.findall(child.tag):
                    target.remove(value)
            continue
        if operation == "create" and existing is not None:
            raise ConfigError("statement already exists: %s" % child.tag, bad_element=child.tag)
        if existing is None or operation == "replace":
            fresh = etree.Element(child.tag)
            name = entry_name(child)
            if name is not None:
                etree.SubElement(fresh, "name").text = name
            fresh.text = child.text if len(body(child)) == 0 and (child.text or "").strip() else None
            merge(fresh, child, honour_replace)
            if existing is None:
                target.append(fresh)
            else:
                target.replace(existing, fresh)
        elif len(body(child)) == 0 and (child.text or "").strip():
            existing.text = child.text
        else:
            merge(existing, child, honour_replace)


def subtree_filter(config, selector):
    """Junos/NETCONF subtree filtering: empty selector elements select whole subtrees, leaves with text match."""
    result = etree.Element(config.tag, dict(config.attrib))
    _filter_into(result, config, selector)
    return result


def _filter_into(out, source, selector):
    chosen = body(selector)
    if not chosen:
        out.text = source.text
        for child in source:
            out.append(copy.deepcopy(child))
        return True
    matches = [c for c in chosen if len(c) == 0 and (c.text or "").strip()]
    for condition in matches:
        if source.findtext(condition.tag, "").strip() != condition.text.strip():
            return False
    name = entry_name(source)
    if name is not None:
        etree.SubElement(out, "name").text = name
    for condition in matches:
        if condition.tag != "name":
            out.append(copy.deepcopy(source.find(condition.tag)))
    for wanted in (c for c in chosen if c not in matches):
        for candidate in source.findall(wanted.tag):
            piece = etree.Element(candidate.tag)
            if _filter_into(piece, candidate, wanted):
                out.append(piece)
    return True


def equal(left, right):
    return etree.tostring(left) == etree.tostring(right)


class ConfigDB:
    """Thread-safe; sessions are identified by the NETCONF session id."""

    def __init__(self, initial, user):
        self._lock = threading.RLock()
        self._history = [Commit(copy.deepcopy(initial), int(time.time()), user, "initial configuration")]
        self._candidate = copy.deepcopy(initial)
        self._private = {}
        self._lock_owner = None
        self._exclusive = set()

    # -- views -------------------------------------------------------------------------------

    @property
    def committed(self):
        with self._lock:
            return copy.deepcopy(self._history[0].tree)

    def last_commit(self):
        with self._lock:
            return self._history[0]

    def rollback(self, number):
        with self._lock:
            if not 0 <= number < len(self._history):
                raise ConfigError("rollback %d: no such configuration (%d available)" % (number, len(self._history)))
            return copy.deepcopy(self._history[number].tree)

    def candidate(self, session):
        with self._lock:
            return copy.deepcopy(self._private.get(session, self._candidate))

    def modified(self):
        with self._lock:
            return not equal(self._candidate, self._history[0].tree)

    # -- locks -------------------------------------------------------------------------------

    def _check_writable(self, session):
        if self._lock_owner is not None and self._lock_owner != session and session not in self._private:
            raise ConfigError("configuration database locked by another session (session-id %s)" % self._lock_owner)

    def lock(self, session):
        with self._lock:
            if self._lock_owner not in (None, session):
                raise ConfigError("configuration database locked by another session (session-id %s)" % self._lock_owner)
            if self.modified():
                raise ConfigError("configuration database modified")
            self._lock_owner = session

    def unlock(self, session):
        """Release the lock; like Junos, uncommitted changes made under it are discarded."""
        with self._lock:
            if self._lock_owner != session:
                raise ConfigError("configuration database not locked")
            self._release_lock(session)

    def open(self, session, mode):
        with self._lock:
            if mode == "private":
                if self.modified():
                    raise ConfigError("shared configuration database modified")
                self._private[session] = copy.deepcopy(self._history[0].tree)
            elif mode == "exclusive":
                self.lock(session)
                self._exclusive.add(session)
            else:
                raise ConfigError("syntax error", bad_element=mode)

    def close(self, session):
        with self._lock:
            self._private.pop(session, None)
            if session in self._exclusive:
                self._exclusive.discard(session)
                self._release_lock(session)

    def release(self, session):
        """The session ended: drop its private copy and lock; a locked-but-uncommitted candidate is discarded."""
        with self._lock:
            self._private.pop(session, None)
            self._exclusive.discard(session)
            self._release_lock(session)

    def _release_lock(self, session):
        if self._lock_owner == session:
            self._lock_owner = None
            self._candidate = copy.deepcopy(self._history[0].tree)

    # -- edits -------------------------------------------------------------------------------

    def _set_candidate(self, session, tree):
        if session in self._private:
            self._private[session] = tree
        else:
            self._candidate = tree

    def load(self, session, action, payload, payload_format):
        """Load into the session's candidate. payload: Element (xml) or str (text / set)."""
        with self._lock:
            self._check_writable(session)
            tree = copy.deepcopy(self._private.get(session, self._candidate))
            try:
                if payload_format == "set":
                    configsyntax.apply_set_commands(tree, payload)
                else:
                    source = configsyntax.parse_text(payload) if payload_format == "text" else payload
                    if action in ("override", "update"):
                        tree = etree.Element("configuration")
                    merge(tree, source, honour_replace=action == "replace")
            except ConfigSyntaxError as err:
                raise ConfigError(str(err), bad_element=err.bad_element)
            self._set_candidate(session, tree)

    def load_rollback(self, session, number):
        with self._lock:
            self._check_writable(session)
            self._set_candidate(session, self.rollback(number))

    def discard(self, session):
        with self._lock:
            self._set_candidate(session, copy.deepcopy(self._history[0].tree))

    def commit(self, session, user, comment):
        """Commit the session's candidate; returns the new committed tree."""
        with self._lock:
            self._check_writable(session)
            tree = copy.deepcopy(self._private.get(session, self._candidate))
            self._push(tree, user, comment)
            self._set_candidate(session, copy.deepcopy(tree))
            if session in self._private:
                self._candidate = copy.deepcopy(tree)
            return copy.deepcopy(tree)

    def commit_rollback(self, number, user, comment):
        """Commit rollback N (confirmed-commit timeout, zeroize) regardless of locks."""
        with self._lock:
            tree = self.rollback(number)
            self._push(tree, user, comment)
            self._candidate = copy.deepcopy(tree)
            return copy.deepcopy(tree)

    def reset(self, tree, user, comment):
        """Zeroize: the history is erased and ``tree`` becomes rollback 0."""
        with self._lock:
            self._history = [Commit(copy.deepcopy(tree), int(time.time()), user, comment)]
            self._candidate = copy.deepcopy(tree)
            self._private.clear()
            self._exclusive.clear()
            self._lock_owner = None

    def _push(self, tree, user, comment):
        self._history.insert(0, Commit(copy.deepcopy(tree), int(time.time()), user, comment))
        del self._history[MAX_ROLLBACKS:]
