"""Minimal raw RESP client used by record.py (and for ad-hoc experiments)."""
import socket, time

def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def _fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _need(self, n):
        while len(self.buf) < n:
            self._fill()

    def _parse(self, pos):
        """return end position of one complete reply starting at pos"""
        self._need(pos + 1)
        t = self.buf[pos:pos+1]
        e = self._line(pos)
        line = self.buf[pos+1:e]
        nxt = e + 2
        if t in b"+-:_,#(":
            return nxt
        if t in b"$=!":
            n = int(line)
            if n < 0:
                return nxt
            self._need(nxt + n + 2)
            return nxt + n + 2
        if t in b"*~>":
            n = int(line)
            for _ in range(max(n, 0)):
                nxt = self._parse(nxt)
            return nxt
        if t in b"%|":
            n = int(line)
            for _ in range(2 * n):
                nxt = self._parse(nxt)
            if t == b"|":  # attribute: followed by the real reply
                nxt = self._parse(nxt)
            return nxt
        raise ValueError("bad type byte %r in %r" % (t, self.buf[pos:pos+50]))

    def read(self):
        end = self._parse(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def send(self, args):
        self.s.sendall(encode(args))

    def cmd(self, *args):
        self.send(list(args))
        return self.read()

    def close(self):
        self.s.close()

def esc(b):
    """Python-style escaping of reply bytes (no surrounding quotes)."""
    out = []
    for c in b:
        if c == 13: out.append("\\r")
        elif c == 10: out.append("\\n")
        elif c == 9: out.append("\\t")
        elif c == 92: out.append("\\\\")
        elif 32 <= c < 127: out.append(chr(c))
        else: out.append("\\x%02x" % c)
    return "".join(out)

def q(port, *cmds):
    """ad-hoc: run commands (each a list) on one connection, print escaped replies"""
    c = Conn(port)
    for a in cmds:
        r = c.cmd(*a)
        print(esc(r))
    c.close()
