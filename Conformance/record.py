#!/usr/bin/env python3
"""Record (or check) the Swiftlet conformance corpus.

The corpus lives in Conformance/cases/*.case.  Each file holds cases made of
commands ("> ...", ">raw ...", ">> ...") and the replies a Redis 7.0 server
gives to them ("< ..." lines).  See Conformance/README.md for the format.

Two modes:

  record (default)
      Start a private redis-server on a free port in a temporary directory,
      run every selected case against it and rewrite the case files in place
      with the replies that server gave.  Running it twice produces the same
      files (see "Idempotence" below).

  --check
      Replay the selected cases against a server that is already running at
      --host/--port (Redis, or Swiftlet) and compare its replies with the
      recorded ones.  Every mismatch is printed; the exit status is 1 if there
      was any mismatch, 0 otherwise.  Nothing is written.

Positional arguments select what to run.  Each is FILE or FILE:CASE, where
FILE is a file name with or without ".case" (or a path) and CASE a case name;
both may be shell-style globs.  With no arguments every case of every file is
run.  In record mode the cases that are not selected keep their recorded
replies untouched.

Idempotence: when a case is re-recorded, a previously recorded reply frame is
kept verbatim if the new reply still matches it under the line's comparison
rules ([type], [approx N], [sorted]); otherwise it is replaced.  [sorted]
replies are always written in canonical order (see canonical()), so they do
not depend on the server's hash-table order.

Only the Python 3 standard library is used.
"""

import argparse
import fnmatch
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")

# How long to wait for the reply frame(s) of a ">" / ">>" line.
REPLY_TIMEOUT = 10.0
# A ">raw" line reads until the server closes the connection or this many
# seconds pass without any data arriving.
RAW_IDLE = 0.3


class CaseFileError(Exception):
    """The case file itself is malformed."""


class ServerError(Exception):
    """The server did not behave in a way we can record or compare."""


# --------------------------------------------------------------------------
# Tokenizer: the same rules redis-cli uses to split a command line.
# --------------------------------------------------------------------------

_SIMPLE_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("a"): b"\a",
}
_SPACES = b" \t\n\r\v\f"
_HEX = b"0123456789abcdefABCDEF"


def split_args(text):
    """Split one line into a list of byte strings.

    Whitespace separates arguments.  Inside "double quotes" the escapes
    \\n \\r \\t \\b \\a \\xHH are decoded and any other backslashed character
    stands for itself (so \\" and \\\\ work).  Inside 'single quotes'
    everything is literal except \\' .  A closing quote must be followed by
    whitespace or the end of the line.  A quote that appears in the middle of
    an unquoted word starts a quoted section that is glued onto the word.
    Raises CaseFileError on unbalanced quotes.
    """
    s = text.encode("utf-8")
    n = len(s)
    p = 0
    args = []
    while True:
        while p < n and s[p] in _SPACES:
            p += 1
        if p >= n:
            return args
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if p >= n:
                    raise CaseFileError("unbalanced double quote")
                c = s[p]
                if (c == 0x5C and p + 3 < n and s[p + 1] == ord("x")
                        and s[p + 2] in _HEX and s[p + 3] in _HEX):
                    cur.append(int(s[p + 2:p + 4], 16))
                    p += 4
                elif c == 0x5C and p + 1 < n:
                    e = s[p + 1]
                    cur += _SIMPLE_ESCAPES.get(e, bytes([e]))
                    p += 2
                elif c == ord('"'):
                    p += 1
                    if p < n and s[p] not in _SPACES:
                        raise CaseFileError("closing quote must be followed by a space")
                    break
                else:
                    cur.append(c)
                    p += 1
            elif in_sq:
                if p >= n:
                    raise CaseFileError("unbalanced single quote")
                c = s[p]
                if c == 0x5C and p + 1 < n and s[p + 1] == ord("'"):
                    cur.append(ord("'"))
                    p += 2
                elif c == ord("'"):
                    p += 1
                    if p < n and s[p] not in _SPACES:
                        raise CaseFileError("closing quote must be followed by a space")
                    break
                else:
                    cur.append(c)
                    p += 1
            else:
                if p >= n or s[p] in _SPACES:
                    break
                c = s[p]
                if c == ord('"'):
                    in_dq = True
                elif c == ord("'"):
                    in_sq = True
                else:
                    cur.append(c)
                p += 1
        args.append(bytes(cur))


def quote_bytes(data):
    """Write bytes as a double-quoted string that split_args() reads back.

    Printable ASCII is written as is (except " and \\ which are escaped),
    CR and LF as \\r and \\n, every other byte as \\xHH (lower-case hex).
    """
    out = ['"']
    for b in data:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x0A:
            out.append("\\n")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------
# RESP2 / RESP3 reply parser.
# --------------------------------------------------------------------------

class Incomplete(Exception):
    """The buffer does not yet hold a complete frame."""


class Node:
    """One parsed RESP value: its type byte, exact bytes, header line and
    (for aggregates) child values."""

    __slots__ = ("kind", "raw", "header", "children")

    def __init__(self, kind, raw, header, children):
        self.kind = kind          # one-character type marker, e.g. "*"
        self.raw = raw            # the exact bytes of the whole value
        self.header = header      # the first line, including CRLF
        self.children = children  # list of Node, or None for non-aggregates


_LINE_TYPES = "+-:_,#("          # value is the rest of the header line
_BLOB_TYPES = "$!="              # header holds a length, then data + CRLF
_AGGREGATE_TYPES = "*~>%|"       # header holds an element count


def parse_value(buf, pos):
    """Parse one RESP value starting at buf[pos].

    Returns (Node, end_position).  Raises Incomplete if more bytes are
    needed and ServerError if the bytes are not valid RESP.  An attribute
    ("|") is returned together with the value it annotates, as one Node.
    """
    if pos >= len(buf):
        raise Incomplete()
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        raise Incomplete()
    kind = chr(buf[pos])
    header = bytes(buf[pos:eol + 2])
    body = bytes(buf[pos + 1:eol])
    end = eol + 2
    if kind in _LINE_TYPES:
        return Node(kind, header, header, None), end
    if kind in _BLOB_TYPES or kind in _AGGREGATE_TYPES:
        try:
            count = int(body)
        except ValueError:
            raise ServerError("bad RESP length in %r" % header)
    else:
        raise ServerError("unknown RESP type byte in %r" % bytes(buf[pos:pos + 40]))
    if kind in _BLOB_TYPES:
        if count < 0:                       # $-1 (RESP2 null bulk)
            return Node(kind, header, header, None), end
        if len(buf) < end + count + 2:
            raise Incomplete()
        if buf[end + count:end + count + 2] != b"\r\n":
            raise ServerError("blob not terminated by CRLF after %r" % header)
        end += count + 2
        return Node(kind, bytes(buf[pos:end]), header, None), end
    # Aggregates.
    if count < 0:                           # *-1 (RESP2 null array)
        return Node(kind, header, header, None), end
    if kind in "%|":
        count *= 2                          # maps hold key/value pairs
    children = []
    for _ in range(count):
        child, end = parse_value(buf, end)
        children.append(child)
    if kind == "|":
        # An attribute annotates the value that follows it.
        annotated, end = parse_value(buf, end)
        children.append(annotated)
    return Node(kind, bytes(buf[pos:end]), header, children), end


def parse_frame(data):
    """Parse bytes that must hold exactly one complete frame."""
    try:
        node, end = parse_value(data, 0)
    except Incomplete:
        raise ServerError("incomplete RESP frame %r" % data[:80])
    if end != len(data):
        raise ServerError("trailing bytes after RESP frame %r" % data[:80])
    return node


def split_frames(data):
    """Split a byte string into complete frames.

    Returns (frames, leftover) where leftover is an incomplete tail.
    """
    frames = []
    pos = 0
    while pos < len(data):
        try:
            _, end = parse_value(data, pos)
        except Incomplete:
            break
        frames.append(bytes(data[pos:end]))
        pos = end
    return frames, bytes(data[pos:])


def canonical(node):
    """Canonical bytes of a value for [sorted] comparison.

    The elements of arrays, sets and pushes are put in byte order of their own
    canonical form, and the key/value pairs of maps likewise; this is done
    recursively.  Two replies are equal as multisets iff their canonical forms
    are equal.  Attributes are left untouched.
    """
    if not node.children or node.kind == "|":
        return node.raw
    kids = [canonical(c) for c in node.children]
    if node.kind in "%":
        pairs = sorted(kids[i] + kids[i + 1] for i in range(0, len(kids), 2))
        return node.header + b"".join(pairs)
    return node.header + b"".join(sorted(kids))


# --------------------------------------------------------------------------
# Case files.
# --------------------------------------------------------------------------

_MODIFIER_RE = re.compile(r"\[([a-z]+)(?:\s+([^\]\s]+))?\]")
_KNOWN_MODIFIERS = {
    "conn": True,     # takes an integer argument
    "frames": True,
    "approx": True,
    "sorted": False,  # takes no argument
    "type": False,
    "delay": True,    # milliseconds to wait before the line runs
}


class Command:
    """One ">", ">raw" or ">>" line and the replies recorded after it."""

    def __init__(self, lineno, text, kind, mods, payload):
        self.lineno = lineno      # 1-based line number in the file
        self.text = text          # the line as written
        self.kind = kind          # "cmd", "raw" or "read"
        self.mods = mods          # dict of modifiers
        self.payload = payload    # list of args (cmd) or bytes (raw) or None
        self.expected = []        # recorded frames (bytes), in order
        self.expected_closed = False  # a "<closed" line was recorded

    @property
    def conn(self):
        return self.mods.get("conn", 1)

    @property
    def frame_count(self):
        return self.mods.get("frames", 1)


class Case:
    def __init__(self, name, lineno):
        self.name = name
        self.lineno = lineno
        self.commands = []


class CaseFile:
    """A parsed .case file.

    `lines` keeps every line that is not a reply line; each entry is either
    a plain string (comment, blank line, case header) or a Command, so the
    file can be rewritten with new replies and everything else unchanged.
    """

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.lines = []
        self.cases = []
        with open(path, encoding="utf-8") as f:
            raw_lines = f.read().split("\n")
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        names = set()
        current = None
        last_cmd = None
        for i, raw in enumerate(raw_lines, 1):
            line = raw.strip()
            where = "%s:%d" % (self.name, i)
            try:
                if line == "" or line.startswith("#"):
                    self.lines.append(raw.rstrip())
                elif line.startswith("==="):
                    name = line[3:].strip()
                    if not name or any(ch.isspace() for ch in name):
                        raise CaseFileError("case name must be one word")
                    if name in names:
                        raise CaseFileError("duplicate case name %r" % name)
                    names.add(name)
                    current = Case(name, i)
                    self.cases.append(current)
                    last_cmd = None
                    self.lines.append(line)
                elif line.startswith("<"):
                    if last_cmd is None:
                        raise CaseFileError("reply line without a command")
                    if last_cmd.expected_closed:
                        raise CaseFileError("nothing may follow <closed")
                    if line == "<closed":
                        if last_cmd.kind != "raw":
                            raise CaseFileError("<closed only follows >raw")
                        last_cmd.expected_closed = True
                    else:
                        toks = split_args(line[1:])
                        if len(toks) != 1 or not line[1:].strip().startswith('"'):
                            raise CaseFileError('reply line must be < "..."')
                        last_cmd.expected.append(toks[0])
                elif line.startswith(">"):
                    if current is None:
                        raise CaseFileError("command before the first === case")
                    last_cmd = parse_command_line(i, line)
                    current.commands.append(last_cmd)
                    self.lines.append(last_cmd)
                else:
                    raise CaseFileError("unrecognised line")
            except CaseFileError as e:
                raise CaseFileError("%s: %s" % (where, e))

    def render(self, replies):
        """Return the file text with the reply lines for each Command taken
        from replies[id(command)] = (frames, closed)."""
        out = []
        for entry in self.lines:
            if isinstance(entry, Command):
                out.append(entry.text)
                frames, closed = replies[id(entry)]
                for fr in frames:
                    out.append("< " + quote_bytes(fr))
                if closed:
                    out.append("<closed")
            else:
                out.append(entry)
        return "\n".join(out) + "\n"


def parse_command_line(lineno, line):
    """Parse a ">", ">raw" or ">>" line."""
    if line.startswith(">>"):
        kind, rest = "read", line[2:]
    elif line.startswith(">raw") and (len(line) == 4 or line[4] in " \t["):
        kind, rest = "raw", line[4:]
    else:
        kind, rest = "cmd", line[1:]
    mods = {}
    while rest.startswith("["):
        m = _MODIFIER_RE.match(rest)
        if not m:
            raise CaseFileError("bad modifier in %r" % rest)
        name, arg = m.group(1), m.group(2)
        if name not in _KNOWN_MODIFIERS:
            raise CaseFileError("unknown modifier [%s]" % name)
        if name in mods:
            raise CaseFileError("modifier [%s] given twice" % name)
        if _KNOWN_MODIFIERS[name]:
            if arg is None or not arg.isdigit():
                raise CaseFileError("[%s] needs a non-negative integer" % name)
            mods[name] = int(arg)
        else:
            if arg is not None:
                raise CaseFileError("[%s] takes no argument" % name)
            mods[name] = True
        rest = rest[m.end():]
    if mods.get("conn", 1) < 1:
        raise CaseFileError("[conn K] counts from 1")
    if rest and not rest[0].isspace():
        raise CaseFileError("expected a space after the command marker")
    payload = None
    if kind == "cmd":
        payload = split_args(rest)
        if not payload:
            raise CaseFileError("empty command")
    elif kind == "raw":
        if "frames" in mods:
            raise CaseFileError("[frames N] does not apply to >raw")
        toks = split_args(rest)
        if len(toks) != 1 or not rest.strip().startswith('"'):
            raise CaseFileError('>raw takes exactly one "double-quoted" string')
        payload = toks[0]
    else:
        if rest.strip():
            raise CaseFileError(">> takes no arguments")
    return Command(lineno, line, kind, mods, payload)


def encode_command(args):
    """RESP multibulk encoding of a command."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# --------------------------------------------------------------------------
# Comparison.
# --------------------------------------------------------------------------

def _as_int(frame):
    if frame[:1] == b":" and frame.endswith(b"\r\n"):
        try:
            return int(frame[1:-2])
        except ValueError:
            return None
    return None


def frame_matches(expected, actual, mods):
    """Does `actual` satisfy the recorded `expected` frame under `mods`?"""
    if mods.get("type"):
        return expected[:1] == actual[:1]
    if "approx" in mods:
        e, a = _as_int(expected), _as_int(actual)
        if e is not None and a is not None:
            return abs(e - a) <= mods["approx"]
    if mods.get("sorted"):
        try:
            return canonical(parse_frame(expected)) == canonical(parse_frame(actual))
        except ServerError:
            return False
    return expected == actual


def frame_to_write(actual, mods):
    """The bytes the recorder stores for a freshly recorded frame."""
    if mods.get("sorted"):
        return canonical(parse_frame(actual))
    return actual


# --------------------------------------------------------------------------
# Connections.
# --------------------------------------------------------------------------

class Conn:
    """A client connection with a receive buffer."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=REPLY_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False   # the server closed its side

    def send(self, data):
        self.sock.sendall(data)

    def _recv(self, timeout):
        """Receive some bytes into the buffer; return False on timeout."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
        self.buf += chunk
        return True

    def read_frame(self, timeout=None):
        """Read exactly one complete frame (blocking up to `timeout`,
        by default REPLY_TIMEOUT seconds)."""
        if timeout is None:
            timeout = REPLY_TIMEOUT
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, end = parse_value(self.buf, 0)
                frame = bytes(self.buf[:end])
                del self.buf[:end]
                return frame
            except Incomplete:
                pass
            if self.closed:
                raise ServerError("connection closed by the server while waiting for a reply")
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(left):
                raise ServerError("timed out waiting for a reply")

    def read_raw(self):
        """Read until the server closes or RAW_IDLE seconds of silence.

        Returns (frames, closed)."""
        while not self.closed and self._recv(RAW_IDLE):
            pass
        frames, leftover = split_frames(self.buf)
        self.buf = bytearray(leftover)
        if leftover:
            raise ServerError("incomplete frame after >raw: %r" % bytes(leftover[:80]))
        return frames, self.closed

    def pending(self):
        """Bytes that arrived but were never read by any line of the case."""
        if not self.closed:
            self.sock.setblocking(False)
            try:
                while True:
                    r, _, _ = select.select([self.sock], [], [], 0)
                    if not r:
                        break
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        break
                    self.buf += chunk
            except OSError:
                pass
        return bytes(self.buf)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def flushall(host, port):
    """The setup step of every case: FLUSHALL on a throw-away connection."""
    c = Conn(host, port)
    try:
        c.send(encode_command([b"FLUSHALL"]))
        reply = c.read_frame()
        if reply != b"+OK\r\n":
            raise ServerError("FLUSHALL replied %r" % reply)
    finally:
        c.close()


# --------------------------------------------------------------------------
# Running cases.
# --------------------------------------------------------------------------

def run_case(case, host, port):
    """Run one case.

    Returns (replies, problems): replies maps id(command) to
    (frames, closed) for every command that ran; problems is a list of
    (command_or_None, message) for things that went wrong (timeouts,
    unreadable replies, stray data left over at the end).
    """
    replies = {}
    problems = []
    conns = {}
    flushall(host, port)
    try:
        for cmd in case.commands:
            if cmd.mods.get("delay"):
                # Lets another connection's blocking command reach the server first.
                time.sleep(cmd.mods["delay"] / 1000.0)
            k = cmd.conn
            if k not in conns or conns[k].closed:
                # Connections open lazily; one that the server closed is
                # replaced by a fresh one the next time it is used.
                if k in conns:
                    conns[k].close()
                conns[k] = Conn(host, port)
            c = conns[k]
            try:
                if cmd.kind == "raw":
                    # Exact bytes; collect whatever comes back.
                    c.send(cmd.payload)
                    frames, closed = c.read_raw()
                else:
                    # ">" sends one command; ">>" only reads.
                    if cmd.kind == "cmd":
                        c.send(encode_command(cmd.payload))
                    frames = [c.read_frame() for _ in range(cmd.frame_count)]
                    closed = False
                replies[id(cmd)] = (frames, closed)
            except (ServerError, OSError) as e:
                problems.append((cmd, str(e)))
                break      # the connection state is unknown: stop this case
        for k, c in sorted(conns.items()):
            extra = c.pending()
            if extra:
                problems.append((None, "conn %d has unread data at the end of the case: %s"
                                 % (k, quote_bytes(extra[:200]))))
    finally:
        for c in conns.values():
            c.close()
    return replies, problems


def merge_replies(cmd, frames, closed):
    """Decide what to write for `cmd` after recording `frames`.

    Old frames that still match are kept verbatim (idempotence for [type]
    and [approx]); others are replaced by the new recording."""
    out = []
    for i, fr in enumerate(frames):
        if (i < len(cmd.expected) and not cmd.mods.get("sorted")
                and frame_matches(cmd.expected[i], fr, cmd.mods)):
            out.append(cmd.expected[i])
        else:
            out.append(frame_to_write(fr, cmd.mods))
    return out, closed


def compare(cmd, frames, closed):
    """Return a list of mismatch messages for one command (check mode)."""
    msgs = []
    if len(frames) != len(cmd.expected):
        msgs.append("expected %d frame(s), got %d" % (len(cmd.expected), len(frames)))
    for i, (e, a) in enumerate(zip(cmd.expected, frames)):
        if not frame_matches(e, a, cmd.mods):
            msgs.append("frame %d:\n      expected %s\n      got      %s"
                        % (i + 1, quote_bytes(e), quote_bytes(a)))
    if len(frames) > len(cmd.expected):
        for a in frames[len(cmd.expected):]:
            msgs.append("extra frame %s" % quote_bytes(a))
    if closed != cmd.expected_closed:
        msgs.append("expected the connection to be %s" %
                    ("closed" if cmd.expected_closed else "left open"))
    return msgs


# --------------------------------------------------------------------------
# Private redis-server for recording.
# --------------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PrivateServer:
    """A redis-server started in a temporary directory on a free port."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="swiftlet-record-")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "redis.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                c = Conn("127.0.0.1", self.port)
                c.send(encode_command([b"PING"]))
                if c.read_frame() == b"+PONG\r\n":
                    c.close()
                    return
                c.close()
            except (OSError, ServerError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("could not start %s (see its log above)" % binary)
            time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.returncode not in (0, -15, None):
            with open(os.path.join(self.dir, "redis.log"), "rb") as f:
                sys.stderr.write(f.read().decode("utf-8", "replace")[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------

def select_files(filters):
    """Return [(path, case_glob_or_None)] for the selected case files."""
    paths = sorted(
        os.path.join(CASES_DIR, f) for f in os.listdir(CASES_DIR) if f.endswith(".case"))
    if not filters:
        return [(p, None) for p in paths]
    chosen = {}
    for flt in filters:
        file_pat, _, case_pat = flt.partition(":")
        file_pat = os.path.basename(file_pat)
        if not file_pat.endswith(".case"):
            file_pat += ".case"
        matched = [p for p in paths if fnmatch.fnmatch(os.path.basename(p), file_pat)]
        if not matched:
            raise SystemExit("no case file matches %r" % flt)
        for p in matched:
            pats = chosen.setdefault(p, [])
            pats.append(case_pat or "*")
    return [(p, pats) for p, pats in sorted(chosen.items())]


def case_selected(case, pats):
    return pats is None or any(fnmatch.fnmatchcase(case.name, p) for p in pats)


def main():
    global REPLY_TIMEOUT
    ap = argparse.ArgumentParser(
        description="Record the conformance corpus against a private redis-server, "
                    "or check a running server against it.")
    ap.add_argument("filters", nargs="*", metavar="FILE[:CASE]",
                    help="case files (name without .case is fine) and optional case "
                         "names to run; shell globs allowed; default: everything")
    ap.add_argument("--check", action="store_true",
                    help="do not record: replay against --host/--port and report mismatches")
    ap.add_argument("--host", default="127.0.0.1", help="server host for --check")
    ap.add_argument("--port", type=int, default=6379, help="server port for --check")
    ap.add_argument("--redis-server", default="redis-server",
                    help="redis-server binary used for recording")
    ap.add_argument("--timeout", type=float, default=REPLY_TIMEOUT, metavar="SECONDS",
                    help="how long to wait for each reply frame (default %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every case")
    opts = ap.parse_args()
    REPLY_TIMEOUT = opts.timeout

    try:
        selection = [(CaseFile(p), pats) for p, pats in select_files(opts.filters)]
    except CaseFileError as e:
        raise SystemExit("case file error: %s" % e)

    if opts.check:
        try:
            socket.create_connection((opts.host, opts.port), timeout=5).close()
        except OSError as e:
            raise SystemExit("cannot connect to %s:%d: %s" % (opts.host, opts.port, e))
        return check(selection, opts)
    return record(selection, opts)


def record(selection, opts):
    server = PrivateServer(opts.redis_server)
    failed = False
    try:
        for cf, pats in selection:
            replies = {}
            count = 0
            for case in cf.cases:
                if not case_selected(case, pats):
                    for cmd in case.commands:      # keep as recorded
                        replies[id(cmd)] = (cmd.expected, cmd.expected_closed)
                    continue
                count += 1
                got, problems = run_case(case, "127.0.0.1", server.port)
                for cmd, msg in problems:
                    failed = True
                    line = cmd.lineno if cmd else case.lineno
                    print("ERROR %s:%d (case %s): %s" % (cf.name, line, case.name, msg))
                if not server.alive():
                    raise SystemExit("redis-server died during case %s" % case.name)
                for cmd in case.commands:
                    if id(cmd) in got:
                        replies[id(cmd)] = merge_replies(cmd, *got[id(cmd)])
                    else:                           # not reached: keep old
                        replies[id(cmd)] = (cmd.expected, cmd.expected_closed)
                if opts.verbose:
                    print("  %s:%s" % (cf.name, case.name))
            text = cf.render(replies)
            with open(cf.path, encoding="utf-8") as f:
                old = f.read()
            if text != old:
                with open(cf.path, "w", encoding="utf-8") as f:
                    f.write(text)
            print("%-22s %4d case(s) recorded%s" % (cf.name, count,
                                                  ", file updated" if text != old else ""))
    finally:
        server.stop()
    if failed:
        print("some cases could not be recorded completely (see ERROR lines)")
        return 1
    return 0


def check(selection, opts):
    total = passed = 0
    for cf, pats in selection:
        file_total = file_passed = 0
        for case in cf.cases:
            if not case_selected(case, pats):
                continue
            file_total += 1
            try:
                got, problems = run_case(case, opts.host, opts.port)
            except (OSError, ServerError) as e:
                got, problems = {}, [(None, "setup failed: %s" % e)]
            msgs = []
            for cmd in case.commands:
                if id(cmd) in got:
                    for m in compare(cmd, *got[id(cmd)]):
                        msgs.append("  line %d: %s\n    %s" % (cmd.lineno, cmd.text, m))
            for cmd, m in problems:
                where = "line %d: %s" % (cmd.lineno, cmd.text) if cmd else "end of case"
                msgs.append("  %s\n    %s" % (where, m))
            if msgs:
                print("FAIL %s:%s" % (cf.name, case.name))
                print("\n".join(msgs))
            else:
                file_passed += 1
                if opts.verbose:
                    print("ok   %s:%s" % (cf.name, case.name))
        print("%-22s %4d/%d passed" % (cf.name, file_passed, file_total))
        total += file_total
        passed += file_passed
    print("TOTAL %d/%d passed" % (passed, total))
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
