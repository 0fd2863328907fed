"""What request-shell-execute runs: a tiny emulated shell. Nothing is ever executed on the host.

Understood: command lists (``;``, ``&&``, ``||``, newlines), quotes, ``$?``, the redirections
``2>&1`` / ``N>&M`` / ``N>FILE`` (a file target discards the stream), ``echo [-n]``, ``true``,
``false``, ``:``, ``exit [N]``, ``sh|bash [-c STRING] FILE`` and ``python|python3 [-c STRING] FILE``
(any path ending in those names), and a flash file used as a command (run by its ``#!`` line).

A shell script runs line by line through the same shell (no if/for/while: every ``echo`` prints);
a Python script prints its ``print("literal")`` lines and stops at ``sys.exit(N)`` / ``exit(N)`` /
``raise SystemExit(N)``. Reaching the end, a script exits with the ``# vcsim-exit: N`` marker line if
it has one, else with the status of its last command. Any other command prints nothing and succeeds
(a leniency: the probes tools send, e.g. ``ls``, get an empty answer).
"""

import ast
import posixpath
import re
import shlex
from dataclasses import dataclass, field

from .filesystem import FsError

EXIT_MARKER = re.compile(r"^\s*#\s*vcsim-exit:\s*(\d+)\s*$", re.MULTILINE)
_REDIRECT = re.compile(r"^(\d?)(>>?)(&\d)?(.*)$")
_PY_PRINT = re.compile(r"^\s*print\((.*)\)\s*;?\s*$")
_PY_EXIT = re.compile(r"^\s*(?:sys\.exit|exit|quit|raise\s+SystemExit)\((.*)\)\s*;?\s*$")
SHELLS = ("sh", "bash")
PYTHONS = ("python", "python3")


@dataclass
class ScriptRun:
    path: str
    interpreter: str
    exit_status: int


@dataclass
class ShellResult:
    output: str = ""
    status: int = 0
    scripts: list = field(default_factory=list)


class _Exit(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


def _scan(text):
    """(character, quote state) pairs: quote is None, "'" or '"'; backslash-escaped characters count as quoted."""
    quote = None
    escaped = False
    for char in text:
        if escaped:
            escaped = False
            yield char, "\\"
            continue
        if char == "\\" and quote != "'":
            escaped = True
            yield char, "\\"
            continue
        if quote is None and char in "'\"":
            quote = char
            yield char, quote
            continue
        if char == quote:
            yield char, quote
            quote = None
            continue
        yield char, quote


def split_list(text):
    """[(operator before it, simple command text)] for a command list; the first operator is ';'."""
    parts = []
    operator, current = ";", []
    pairs = list(_scan(text))
    index = 0
    while index < len(pairs):
        char, quote = pairs[index]
        two = char + (pairs[index + 1][0] if index + 1 < len(pairs) else "")
        if quote is None and two in ("&&", "||"):
            parts.append((operator, "".join(current)))
            operator, current = two, []
            index += 2
            continue
        if quote is None and char in (";", "\n"):
            parts.append((operator, "".join(current)))
            operator, current = ";", []
        else:
            current.append(char)
        index += 1
    parts.append((operator, "".join(current)))
    return [(op, command) for op, command in parts if command.strip()]


def _expand_status(text, status):
    """Replace $? outside single quotes (the only parameter the emulated shell knows)."""
    result = []
    pairs = list(_scan(text))
    index = 0
    while index < len(pairs):
        char, quote = pairs[index]
        if char == "$" and quote in (None, '"') and index + 1 < len(pairs) and pairs[index + 1][0] == "?":
            result.append(str(status))
            index += 2
            continue
        result.append(char)
        index += 1
    return "".join(result)


def _redirections(words, inherited):
    """(words without redirections, {stream: reaches the output?}), starting from the inherited streams.

    A file target (even /dev/null) discards the stream: the emulated shell writes no files.
    """
    keep = dict(inherited)
    plain = []
    index = 0
    while index < len(words):
        match = _REDIRECT.match(words[index])
        if not match:
            plain.append(words[index])
            index += 1
            continue
        stream = int(match.group(1) or 1)
        if match.group(3):
            keep[stream] = keep.get(int(match.group(3)[1:]), True)
        else:
            if not match.group(4):
                index += 1   # "> file": the target is the next word
            keep[stream] = False
        index += 1
    return plain, keep


class Shell:
    """One request-shell-execute: runs ``command`` against the simulated flash ``fs``."""

    def __init__(self, fs):
        self.fs = fs
        self.result = ShellResult()
        # Where the current (sub-)shell's stdout and stderr go: into the reply or nowhere.
        self._streams = {1: True, 2: True}

    def run(self, command):
        try:
            self.result.status = self._run_list(command, 0)
        except _Exit as done:
            self.result.status = done.status
        return self.result

    # -- output ------------------------------------------------------------------------------

    def _write(self, text, stream, keep):
        if keep.get(stream, True):
            self.result.output += text

    def _nested(self, keep, run, *args):
        """Run a script or sub-shell whose streams go where this command's redirections send them."""
        saved, self._streams = self._streams, keep
        try:
            return run(*args)
        finally:
            self._streams = saved

    # -- command lists -----------------------------------------------------------------------

    def _run_list(self, text, status):
        for operator, command in split_list(text):
            if (operator == "&&" and status != 0) or (operator == "||" and status == 0):
                continue
            status = self._run_simple(command, status)
        return status

    def _run_simple(self, command, status):
        try:
            words = shlex.split(_expand_status(command, status), comments=True)
        except ValueError:
            self._write("sh: Syntax error: Unterminated quoted string\n", 2, self._streams)
            return 2
        words, keep = _redirections(words, self._streams)
        if not words:
            return status
        name, args = words[0], words[1:]
        base = posixpath.basename(name)
        if name == "echo":
            newline = not (args and args[0] == "-n")
            self._write(" ".join(args[0 if newline else 1:]) + ("\n" if newline else ""), 1, keep)
            return 0
        if name in ("true", ":"):
            return 0
        if name == "false":
            return 1
        if name == "exit":
            raise _Exit(int(args[0]) if args and args[0].isdigit() else status)
        if base in SHELLS or base in PYTHONS:
            return self._interpreter(name, args, keep)
        if name.startswith("/") and self.fs.stat(name) is not None:
            return self._script(self._shebang(name) or "/bin/sh", self.fs.junos_path(name), keep)
        return 0

    # -- scripts -----------------------------------------------------------------------------

    def _interpreter(self, name, args, keep):
        base = posixpath.basename(name)
        if args[:1] == ["-c"]:
            body = args[1] if len(args) > 1 else ""
            return self._nested(keep, self._sub_shell, body) if base in SHELLS else self._python_text(body, keep)
        if not args:
            return 0
        return self._script(name, self.fs.junos_path(args[0]), keep)

    def _sub_shell(self, body):
        try:
            return self._run_list(body, 0)
        except _Exit as done:
            return done.status

    def _shebang(self, path):
        first = self._read(path).split("\n", 1)[0]
        return first[2:].split()[0] if first.startswith("#!") and first[2:].split() else None

    def _read(self, path):
        try:
            return self.fs.read(path).decode("utf-8", "replace")
        except FsError:
            return ""

    def _script(self, interpreter, path, keep):
        base = posixpath.basename(interpreter)
        if self.fs.stat(path) is None:
            # The interpreters' own wording (FreeBSD sh, CPython).
            if base in PYTHONS:
                self._write("%s: can't open file '%s': [Errno 2] No such file or directory\n" % (base, path), 2, keep)
            else:
                self._write("%s: cannot open %s: No such file or directory\n" % (base, path), 2, keep)
            status = 2
        else:
            text = self._read(path)
            status = self._python_text(text, keep) if base in PYTHONS else self._nested(keep, self._shell_script, text)
        self.result.scripts.append(ScriptRun(path=path, interpreter=interpreter, exit_status=status))
        return status

    def _shell_script(self, text):
        try:
            status = self._run_list(text, 0)
        except _Exit as done:
            return done.status
        marker = EXIT_MARKER.search(text)
        return int(marker.group(1)) if marker else status

    def _python_text(self, text, keep):
        for line in text.splitlines():
            printed = _PY_PRINT.match(line)
            if printed:
                values = _literals(printed.group(1))
                shown = printed.group(1).strip() if values is None else " ".join(str(value) for value in values)
                self._write(shown + "\n", 1, keep)
                continue
            exited = _PY_EXIT.match(line)
            values = _literals(exited.group(1)) if exited else None
            if values is None:
                continue   # not an exit, or sys.exit(main()): nothing to go by
            if not values or values[0] is None:
                return 0
            if isinstance(values[0], int) and not isinstance(values[0], bool):
                return values[0]
            self._write("%s\n" % values[0], 2, keep)
            return 1
        marker = EXIT_MARKER.search(text)
        return int(marker.group(1)) if marker else 0


def _literals(arguments):
    """Values of a call's literal arguments ('"a", 1' -> ["a", 1]), or None when they are not all literals."""
    try:
        return list(ast.literal_eval("(%s,)" % arguments)) if arguments.strip() else []
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def execute(fs, command):
    """ShellResult (output, exit status, scripts run) of one request-shell-execute command."""
    return Shell(fs).run(command)
