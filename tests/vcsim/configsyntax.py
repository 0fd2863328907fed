"""Junos configuration text: curly-brace and "set" syntax to and from an lxml tree, and diffs.

Tree conventions follow Junos XML: list entries carry their key in a leading ``<name>``,
leaves carry text, flags are empty elements. Without the Junos schema, a few tables say
which keywords open list entries; docs/simulator.md lists the heuristics.
"""

import re

from lxml import etree

# Containers whose entries appear in text without a keyword: "interfaces { ge-0/0/0 { ..." -> <interface>.
IMPLICIT_LISTS = {"interfaces": "interface", "vlans": "vlan", "routing-instances": "instance"}
# Keywords that open a list entry keyed by the next word: "unit 0", "member 2", "user admin".
LIST_KEYWORDS = frozenset((
    "unit", "member", "user", "address", "route", "name-server", "host", "file", "community",
    "interface", "group", "neighbor", "term", "filter", "policy-statement", "area", "interface-range", "prefix-list",
))
# Known containers, so "set system services ssh" is container + flag, not leaf "services" = "ssh".
CONTAINERS = frozenset((
    "system", "services", "netconf", "ssh", "phone-home", "virtual-chassis", "protocols", "lldp", "lldp-med",
    "rstp", "login", "root-authentication", "authentication", "syslog", "chassis", "snmp", "routing-options",
    "static", "family", "inet", "inet6", "ethernet-switching", "vlan", "igmp-snooping", "ntp", "poe",
    "forwarding-options", "dhcp-relay", "firewall", "policy-options", "commit", "factory-settings",
))
# Leaves that can repeat ("members [ v10 v20 ]").
LEAF_LISTS = frozenset(("members", "authentication-order", "apply-groups", "apply-groups-except", "domain-search"))

_TOKEN = re.compile(r'\s+|/\*.*?\*/|#[^\n]*|"((?:[^"\\]|\\.)*)"|([{};\[\]])|([^\s{};\[\]"]+)', re.S)


class ConfigSyntaxError(ValueError):
    def __init__(self, message, bad_element=None):
        super().__init__(message)
        self.bad_element = bad_element


# -- tree helpers ------------------------------------------------------------------------------

def entry_name(element):
    name = element.find("name")
    return name.text if name is not None and len(name) == 0 else None


def body(element):
    """Children that are statements (the <name> key is not one)."""
    return [child for child in element if isinstance(child.tag, str) and child.tag != "name"]


def is_leaf(element):
    return len(element) == 0 and bool((element.text or "").strip())


def statement_key(element):
    """Identity of a statement among its siblings: entries by name, leaf-list values by value."""
    name = entry_name(element)
    if name is not None:
        return (element.tag, name)
    if element.tag in LEAF_LISTS and is_leaf(element):
        return (element.tag, element.text.strip())
    return (element.tag,)


def find_statement(parent, key):
    for child in body(parent):
        if statement_key(child) == key:
            return child
    return None


def _entry(parent, tag, name, create):
    found = find_statement(parent, (tag, name))
    if found is None and create:
        found = etree.SubElement(parent, tag)
        etree.SubElement(found, "name").text = name
    return found


def _container(parent, tag, create):
    found = find_statement(parent, (tag,))
    if create and found is None:
        found = etree.SubElement(parent, tag)
    elif create and is_leaf(found):
        found.text = None
    return found


def _leaf(parent, tag, value, create):
    """Set a leaf (or add leaf-list values); with create=False, find it for deletion."""
    if tag in LEAF_LISTS:
        found = None
        for item in (value if isinstance(value, list) else [value]):
            found = find_statement(parent, (tag, item))
            if found is None and create:
                found = etree.SubElement(parent, tag)
                found.text = item
        return found
    found = find_statement(parent, (tag,))
    if create:
        if found is None:
            found = etree.SubElement(parent, tag)
        for child in list(found):
            found.remove(child)
        found.text = " ".join(value) if isinstance(value, list) else value
    return found


def walk(parent, words, block, create=True):
    """Follow statement words from ``parent``; return the element they name (None if absent and not create).

    ``block`` says the words open a "{ ... }" block, so the last word can not be a leaf value.
    A trailing ``[ ... ]`` list arrives as a Python list.
    """
    node = parent
    index = 0
    while index < len(words):
        if node is None:
            return None
        word = words[index]
        rest = len(words) - index - 1
        following = words[index + 1] if rest else None
        if isinstance(word, list) or (isinstance(following, list) and (block or rest > 1)):
            raise ConfigSyntaxError("syntax error, unexpected '['", bad_element="[")
        if node.tag in IMPLICIT_LISTS:
            node = _entry(node, IMPLICIT_LISTS[node.tag], word, create)
            index += 1
        elif word in LIST_KEYWORDS and rest >= 1 and not isinstance(following, list):
            node = _entry(node, word, following, create)
            index += 2
        elif word in CONTAINERS or rest >= 2:
            node = _container(node, word, create)
            index += 1
        elif rest == 1 and block:
            # "policy-statement p1 {": an entry of a list the tables above do not know.
            node = _entry(node, word, following, create)
            index += 2
        elif rest == 1:
            return _leaf(node, word, following, create)
        else:
            return _container(node, word, create)
    return node


# -- parsing -----------------------------------------------------------------------------------

def _tokens(text):
    tokens = []
    for match in _TOKEN.finditer(text):
        quoted, punct, word = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            tokens.append(("word", re.sub(r"\\(.)", r"\1", quoted)))
        elif punct:
            tokens.append(("punct", punct))
        elif word:
            tokens.append(("word", word))
    return tokens


def _statement_words(tokens, index):
    """Collect words (and [ ... ] lists) up to the next '{', '}' or ';'."""
    words = []
    while index < len(tokens):
        kind, value = tokens[index]
        if kind == "punct" and value == "[":
            values = []
            index += 1
            while index < len(tokens) and tokens[index] != ("punct", "]"):
                values.append(tokens[index][1])
                index += 1
            if index == len(tokens):
                raise ConfigSyntaxError("syntax error, missing ']'", bad_element="[")
            words.append(values)
        elif kind == "punct" and value in "{};":
            return words, index
        else:
            words.append(value)
        index += 1
    return words, index


def _mark(node, prefix):
    if node is not None and prefix in ("replace", "delete"):
        node.set(prefix, prefix)


def parse_text(text):
    """Parse curly-brace configuration into a <configuration> tree (replace:/delete: become attributes)."""
    root = etree.Element("configuration")
    stack = [root]
    tokens = _tokens(text)
    index = 0
    while index < len(tokens):
        words, index = _statement_words(tokens, index)
        prefix = None
        if words and isinstance(words[0], str) and words[0] in ("replace:", "delete:", "inactive:", "active:"):
            prefix = words.pop(0)[:-1]
        if index == len(tokens):
            if words:
                raise ConfigSyntaxError("syntax error, expecting ';' or '{'", bad_element=str(words[-1]))
            break
        punct = tokens[index][1]
        index += 1
        if punct == "}":
            if words or len(stack) == 1:
                raise ConfigSyntaxError("syntax error, unexpected '}'", bad_element="}")
            stack.pop()
            continue
        if not words:
            raise ConfigSyntaxError("syntax error, unexpected '%s'" % punct, bad_element=punct)
        if punct == "{":
            node = walk(stack[-1], words, block=True)
            _mark(node, prefix)
            stack.append(node)
        else:
            _mark(walk(stack[-1], words, block=False), prefix)
    if len(stack) != 1:
        raise ConfigSyntaxError("syntax error, missing '}'", bad_element="{")
    return root


def apply_set_commands(config, text):
    """Apply "set"/"delete" lines to a configuration tree in place."""
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = _tokens(line)
        if not tokens:
            continue
        words, index = _statement_words(tokens, 0)
        verb, path = (words[0], words[1:]) if words else (None, [])
        if index != len(tokens) or verb not in ("set", "delete") or (verb == "set" and not path):
            raise ConfigSyntaxError("syntax error, line %d: %s" % (number, line.strip()), bad_element=str(verb or line.strip()))
        if verb == "set":
            walk(config, path, block=False)
            continue
        remove_path(config, path)


def remove_path(config, path):
    """'delete <path>': remove the statement (every value, for a leaf-list named without a value)."""
    if not path:
        for child in list(config):
            config.remove(child)
        return
    node = walk(config, path, block=False, create=False)
    if node is not None:
        node.getparent().remove(node)
    elif path[-1] in LEAF_LISTS:
        parent = walk(config, path[:-1], block=True, create=False) if len(path) > 1 else config
        for child in parent.findall(path[-1]) if parent is not None else []:
            parent.remove(child)


# -- rendering ---------------------------------------------------------------------------------

def quote(value):
    if value == "" or re.search(r'[\s{};\[\]"#]', value):
        return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    return value


def _head(element, parent_tag):
    name = entry_name(element)
    if name is not None:
        return quote(name) if parent_tag in IMPLICIT_LISTS else "%s %s" % (element.tag, quote(name))
    if is_leaf(element):
        return "%s %s" % (element.tag, quote(element.text.strip()))
    return element.tag


def _prefix(element):
    for attribute in ("replace", "delete", "inactive"):
        if element.get(attribute) == attribute:
            return attribute + ": "
    return ""


def render_lines(element, parent_tag, depth=0, lead=""):
    """Curly-brace lines for one statement (and its sub-statements)."""
    indent = "    " * depth
    children = body(element)
    if element.tag == "family" and children and not is_leaf(element):
        # Junos prints "family inet {", not "family { inet {".
        return [line for child in children for line in render_lines(child, element.tag, depth, lead="family ")]
    head = _prefix(element) + lead + _head(element, parent_tag)
    if not children:
        return ["%s%s;" % (indent, head)]
    lines = ["%s%s {" % (indent, head)]
    lines.extend(_render_children(element, depth + 1))
    lines.append("%s}" % indent)
    return lines


def _render_children(element, depth):
    lines = []
    done = set()
    children = body(element)
    for child in children:
        if child.tag in LEAF_LISTS and is_leaf(child):
            if child.tag in done:
                continue
            done.add(child.tag)
            values = [quote(c.text.strip()) for c in children if c.tag == child.tag and is_leaf(c)]
            text = values[0] if len(values) == 1 else "[ %s ]" % " ".join(values)
            lines.append("%s%s %s;" % ("    " * depth, child.tag, text))
        else:
            lines.extend(render_lines(child, element.tag, depth))
    return lines


def render_text(config):
    lines = _render_children(config, 0)
    return "\n".join(lines) + "\n" if lines else ""


def render_set(config):
    out = []
    _set_lines(config, [], out)
    return "\n".join(out) + "\n" if out else ""


def _set_lines(element, prefix, out):
    for child in body(element):
        words = prefix + [_head(child, element.tag)]
        if body(child):
            _set_lines(child, words, out)
        else:
            out.append("set " + " ".join(words))


# -- diff ("show | compare") -------------------------------------------------------------------

def diff_text(old, new):
    """Junos-style patch of ``new`` against ``old``; "\\n" when they are the same (what PyEZ expects)."""
    out = []
    _diff(old, new, [], out)
    return "\n" + "\n".join(out) + "\n" if out else "\n"


def _diff(old, new, path, out):
    old_children = {statement_key(c): c for c in body(old)}
    local = []
    nested = []
    for child in body(new):
        key = statement_key(child)
        before = old_children.pop(key, None)
        if before is None:
            local.extend("+  " + line for line in render_lines(child, new.tag))
        elif body(child) or body(before):
            nested.append((before, child, path + [_head(child, new.tag)]))
        elif (before.text or "").strip() != (child.text or "").strip():
            local.append("-  " + render_lines(before, old.tag)[0])
            local.append("+  " + render_lines(child, new.tag)[0])
    for before in old_children.values():
        local.extend("-  " + line for line in render_lines(before, old.tag))
    if local:
        out.append("[edit%s]" % ("".join(" " + word for word in path)))
        out.extend(local)
    for before, child, child_path in nested:
        _diff(before, child, child_path, out)
