#!/usr/bin/env python3
"""Differential fuzzer: Swiftlet (port 7101) vs Redis 7.0 (port 7102).

Not run by CI (it is a bug hunt, minutes to hours long). It starts both
servers itself: Swiftlet from $SWIFTLET (default: this checkout's
.build/release/swiftlet-server, build it first), redis-server from PATH;
findings and logs go to $DIFF_WORKDIR (default /tmp/swiftlet-differential).
Written by a helper on 2026-12-06; it found the stale-slot crashes fixed in
28ec03c and 3f7af28 (see Tests/SwiftletTests/TableChurnTests.swift).

Usage:
  diff.py run [--minutes M] [--seed-start S] [--cmds N]     random runs, many seeds
  diff.py one SEED [--cmds N]                               one seed
  diff.py replay CASE.json                                  replay a saved case
  diff.py minimize CASE.json                                ddmin a saved case

Options for run/one: --no-active-expire (DEBUG SET-ACTIVE-EXPIRE 0 on both: expired keys
stay until met, exercising lazy expiry inside multi-key commands), --avoid-known (keep the
two stale-slot bugs (fixed since) from firing: no set/zset algebra or list moves while lazily
expired keys may be around), --crash-only (compare nothing, only watch Swiftlet stay
alive; e.g. with --sw-args "--maxmemory 2mb --maxmemory-policy allkeys-lru").

A run generates items (a command with a compare mode, a MULTI block, or a
sleep), sends them in pipelined batches to both servers, compares every reply,
checks that Swiftlet is still alive after each batch, and compares the full
keyspace (dbs 0-3) at checkpoints and at the end.
"""
import json
import os
import random
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SW_BIN = os.environ.get('SWIFTLET', os.path.join(ROOT, '.build/release/swiftlet-server'))
SW_PORT, RD_PORT = 7101, 7102
HERE = os.environ.get('DIFF_WORKDIR', '/tmp/swiftlet-differential')
os.makedirs(HERE, exist_ok=True)
FIND_DIR = os.path.join(HERE, 'findings')
DBS = 3          # databases the generator uses (0..2); state compare covers 0..3


# ---------------------------------------------------------------- RESP client

class Status(str):
    pass


class Err(str):
    pass


class NilArr:
    def __repr__(self):
        return 'NilArr'

    def __eq__(self, o):
        return isinstance(o, NilArr)

    def __hash__(self):
        return 7


NILARR = NilArr()


class ConnDead(Exception):
    pass


def encode(args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


class Conn:
    def __init__(self, port, timeout=30):
        self.port = port
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except Exception:
            pass

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ConnDead(str(e))

    def _fill(self):
        try:
            d = self.sock.recv(1 << 20)
        except OSError as e:
            raise ConnDead(str(e))
        if not d:
            raise ConnDead('eof')
        if self.pos:
            self.buf = self.buf[self.pos:] + d
            self.pos = 0
        else:
            self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b'\r\n', self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                return line
            self._fill()

    def read(self):
        line = self._line()
        t = line[:1]
        rest = line[1:]
        if t == b'+':
            return Status(rest.decode('latin1'))
        if t == b'-':
            return Err(rest.decode('latin1'))
        if t == b':':
            return int(rest)
        if t == b'$':
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            v = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return v
        if t == b'*':
            n = int(rest)
            if n < 0:
                return NILARR
            return [self.read() for _ in range(n)]
        raise ConnDead('protocol error: %r' % line[:100])

    def call(self, *args):
        self.send(encode(args))
        return self.read()


# ------------------------------------------------------------------- servers

class Servers:
    def __init__(self, tag='run', noactive=False, sw_args=()):
        self.tag = tag
        self.noactive = noactive
        self.sw_args = list(sw_args)
        self.sw = None
        self.rd = None
        self.swlog = os.path.join(HERE, 'sw_%s.log' % tag)
        self.start_count = 0

    def start(self):
        self.stop()
        for port in (SW_PORT, RD_PORT):
            wait_port_free(port)
        self.start_count += 1
        self.swlogf = open(self.swlog, 'wb')
        self.sw = subprocess.Popen([SW_BIN, '--port', str(SW_PORT), '--save', '', '--appendonly', 'no',
                                    '--enable-debug-command', 'yes'] + self.sw_args,
                                   stdout=self.swlogf, stderr=subprocess.STDOUT)
        self.rd = subprocess.Popen(['redis-server', '--port', str(RD_PORT), '--save', '', '--appendonly', 'no',
                                    '--enable-debug-command', 'yes'],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in (SW_PORT, RD_PORT):
            wait_port_up(port)
        self.csw = Conn(SW_PORT)
        self.crd = Conn(RD_PORT)
        if self.noactive:
            # expired keys stay until a command meets them (lazy expiry paths)
            assert self.csw.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0') == 'OK'
            assert self.crd.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0') == 'OK'

    def alive(self):
        return self.sw is not None and self.sw.poll() is None

    def reset(self):
        """FLUSHALL + fresh connections (restart when Swiftlet is dead)."""
        if not self.alive() or self.rd is None or self.rd.poll() is not None:
            self.start()
            return
        try:
            self.csw.close()
            self.crd.close()
            self.csw = Conn(SW_PORT)
            self.crd = Conn(RD_PORT)
            assert self.csw.call('FLUSHALL') == 'OK'
            assert self.crd.call('FLUSHALL') == 'OK'
        except Exception:
            self.start()

    def stop(self):
        for p in (self.sw, self.rd):
            if p is not None and p.poll() is None:
                p.kill()
                try:
                    p.wait(5)
                except Exception:
                    pass
        self.sw = self.rd = None

    def crash_text(self):
        try:
            self.swlogf.flush()
        except Exception:
            pass
        time.sleep(0.2)
        try:
            with open(self.swlog, 'rb') as f:
                data = f.read()
            return data[-40000:].decode("latin1")
        except Exception as e:
            return 'no log: %s' % e


def port_open(port):
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_port_up(port):
    for _ in range(200):
        if port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError('server on %d did not start' % port)


def wait_port_free(port):
    for _ in range(200):
        if not port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError('port %d still in use' % port)


# ----------------------------------------------------------------- comparing
# Items: ('c', args, mode) | ('m', [(args, mode), ...]) | ('s', ms) | ('sync',)
# modes: e exact, s sorted, p pairs, l length/type, t type, ttl, pttl, scan, sets (list of flat sorted)


def kind(v):
    if isinstance(v, Err):
        return 'err'
    if isinstance(v, Status):
        return 'status'
    if v is None:
        return 'nil'
    if v is NILARR or isinstance(v, NilArr):
        return 'nilarr'
    if isinstance(v, int):
        return 'int'
    if isinstance(v, bytes):
        return 'bulk'
    if isinstance(v, list):
        return 'arr'
    return '?'


def skey(x):
    return repr(x)


def same(mode, a, b):
    """a = redis, b = swiftlet. Returns (ok, errtext_only)."""
    ka, kb = kind(a), kind(b)
    if ka == 'err' and kb == 'err':
        if a == b:
            return True, False
        return False, True
    if ka != kb:
        return False, False
    if mode == 'e':
        return a == b, False
    if mode == 't':
        return True, False
    if mode == 'l':
        if ka == 'arr':
            return len(a) == len(b), False
        return True, False
    if mode == 's':
        if ka == 'arr':
            return sorted(a, key=skey) == sorted(b, key=skey), False
        return a == b, False
    if mode == 'p':
        if ka == 'arr':
            pa = sorted(zip(a[::2], a[1::2]))
            pb = sorted(zip(b[::2], b[1::2]))
            return pa == pb and len(a) == len(b), False
        return a == b, False
    if mode in ('ttl', 'pttl', 'abst', 'pabst'):
        if ka == 'int':
            tol = {'ttl': 2, 'pttl': 2500, 'abst': 2, 'pabst': 2500}[mode]
            if a < 0 or b < 0:
                return a == b, False
            return abs(a - b) <= tol, False
        if ka == 'arr':
            if len(a) != len(b):
                return False, False
            for x, y in zip(a, b):
                if kind(x) != kind(y):
                    return False, False
                if isinstance(x, int) and (x < 0 or y < 0):
                    if x != y:
                        return False, False
                elif isinstance(x, int) and abs(x - y) > 2500:
                    return False, False
            return True, False
        return a == b, False
    if mode == 'scan':
        if ka == 'arr' and len(a) == 2 and len(b) == 2:
            if a[0] == b'0' and b[0] == b'0':
                return sorted(a[1], key=skey) == sorted(b[1], key=skey), False
            return True, False
        return a == b, False
    if mode == 'pscan':   # HSCAN/ZSCAN: pairs
        if ka == 'arr' and len(a) == 2 and len(b) == 2:
            if a[0] == b'0' and b[0] == b'0':
                pa = sorted(zip(a[1][::2], a[1][1::2]))
                pb = sorted(zip(b[1][::2], b[1][1::2]))
                return pa == pb, False
            return True, False
        return a == b, False
    if mode == 'blpop':   # [key, value] or nil; exact
        return a == b, False
    return a == b, False


# ---------------------------------------------------------------- generation

VALS = [b'', b'0', b'1', b'-1', b'7', b'42', b'100', b'3.5', b'-2.25', b'1e3', b'abc', b'hello', b'x' * 70,
        b'9223372036854775807', b'nan', b' 5', b'y' * 300, b'inf']


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.db = 0
        self.range = 40              # current key-number range for typed families
        self.xid = 1                 # stream id counter (ms part)
        self.phase = 'grow'
        self.phase_left = 0
        self.target = 2000
        self.in_multi = False
        self.avoid = False           # avoid the known lazy-expiry/algebra crash
        self.avoid_algebra = 0       # batches left in which algebra commands are skipped
        self.wide_boost = 0          # batches left with many wide multi-key commands

    # keys ---------------------------------------------------------------
    def num(self):
        r = self.r
        if r.random() < 0.3:
            return r.randrange(min(self.range, 30))
        return r.randrange(self.range)

    def key(self, fam=None):
        r = self.r
        if fam is None:
            fam = r.choice('kkslSzhxb')
        if fam == 'k':
            return 'k%d' % r.randrange(25)
        return '%s%d' % (fam, self.num())

    def keys(self, fam, n, dup=0.15):
        out = []
        for _ in range(n):
            if out and self.r.random() < dup:
                out.append(self.r.choice(out))
            else:
                out.append(self.key(fam if (fam == 'Z' or self.r.random() < 0.85) else None))
        return out

    def fam_for(self, t):
        # typed family, or the mixed family 'k' sometimes
        if self.r.random() < 0.12:
            return 'k'
        return t

    def val(self):
        r = self.r
        x = r.random()
        if x < 0.5:
            return r.choice(VALS)
        if x < 0.8:
            return b'v%d' % r.randrange(1000)
        return b'z' * r.randrange(0, 200)

    def mem(self, big=False):
        r = self.r
        if big or r.random() < 0.08:
            return b'm%d' % r.randrange(400)
        return b'm%d' % r.randrange(25)

    def score(self):
        r = self.r
        x = r.random()
        if x < 0.6:
            return str(r.randrange(-5, 20))
        if x < 0.8:
            return repr(r.uniform(-100, 100))
        return r.choice(['inf', '-inf', '+inf', '0', '1.5', '-0', '1e10', '3.0000000000000004'])

    def sbound(self):
        r = self.r
        x = r.random()
        if x < 0.2:
            return r.choice(['-inf', '+inf'])
        s = str(r.randrange(-5, 20))
        return '(' + s if r.random() < 0.3 else s

    def lbound(self):
        r = self.r
        x = r.random()
        if x < 0.2:
            return r.choice(['-', '+'])
        return r.choice('[(') + 'm%d' % r.randrange(25)

    def idx(self):
        return str(self.r.randrange(-12, 12))

    def ttl_s(self):
        return str(self.r.randrange(1000, 100000))

    def sid(self):
        self.xid += 1
        return '%d-%d' % (self.xid, self.r.randrange(3))

    def old_sid(self):
        return '%d-%d' % (self.r.randrange(max(1, self.xid - 200), self.xid + 1), self.r.randrange(3))

    # commands --------------------------------------------------------------
    def cmd(self):
        """One (args, mode) for the current phase."""
        r = self.r
        ph = self.phase
        if ph == 'grow':
            weights = GROW_W
        elif ph == 'shrink':
            weights = SHRINK_W
        else:
            weights = CHURN_W
        g = r.choices(GEN_NAMES, weights)[0]
        return getattr(self, 'g_' + g)()

    # --- bulk creators / destroyers
    def g_mset(self):
        r = self.r
        n = r.choice([1, 2, 3, 5, 20, 100, 200])
        fam = r.choice('sbk') if r.random() < 0.9 else None
        args = ['MSET' if r.random() < 0.85 else 'MSETNX']
        for k in self.keys(fam, n, dup=0.05):
            args += [k, self.val()]
        return args, 'e'

    def g_bulkcreate(self):
        # many new keys of one type via single-key commands
        r = self.r
        t = r.choice('lSzhxsb')
        k = '%s%d' % (t, r.randrange(self.range))
        if t == 'l':
            return ['RPUSH', k] + [self.val() for _ in range(r.randrange(1, 4))], 'e'
        if t == 'S':
            return ['SADD', k] + [self.mem() for _ in range(r.randrange(1, 4))], 'e'
        if t == 'z':
            a = ['ZADD', k]
            for _ in range(r.randrange(1, 4)):
                a += [self.score(), self.mem()]
            return a, 'e'
        if t == 'h':
            a = ['HSET', k]
            for _ in range(r.randrange(1, 4)):
                a += [self.mem(), self.val()]
            return a, 'e'
        if t == 'x':
            return ['XADD', k, self.sid(), 'f', self.val()], 'e'
        return ['SET', k, self.val()], 'e'

    def g_del(self):
        r = self.r
        x = r.random()
        c = 'DEL' if r.random() < 0.6 else 'UNLINK'
        if x < 0.4 and self.phase == 'shrink':
            # a consecutive range of one family
            fam = r.choice('lSzhxsbkZ')
            start = r.randrange(self.range)
            n = r.randrange(50, 300)
            ks = ['%s%d' % (fam, i) for i in range(start, min(self.range, start + n))]
            if not ks:
                ks = [self.key()]
            return [c] + ks, 'e'
        return [c] + self.keys(None, r.choice([1, 1, 2, 3, 10, 50])), 'e'

    def g_expire_now(self):
        # expiry in the past deletes at once
        r = self.r
        k = self.key()
        c = r.choice(['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT', 'SETEX_NEG', 'GETEX'])
        if c == 'EXPIRE':
            a = ['EXPIRE', k, r.choice(['-1', '0', '-100'])]
        elif c == 'PEXPIRE':
            a = ['PEXPIRE', k, r.choice(['-1', '0', '-100000'])]
        elif c == 'EXPIREAT':
            a = ['EXPIREAT', k, r.choice(['1', '0', '1000'])]
        elif c == 'PEXPIREAT':
            a = ['PEXPIREAT', k, r.choice(['1', '0', '1000'])]
        elif c == 'GETEX':
            a = ['GETEX', self.key(r.choice('sbk')), 'EXAT', '1']
        else:
            a = ['SETEX', k, r.choice(['-1', '0']), 'v']
        if r.random() < 0.3 and a[0] in ('EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT'):
            a.append(r.choice(['NX', 'XX', 'GT', 'LT']))
        return a, 'e'

    def g_expire(self):
        r = self.r
        k = self.key()
        c = r.randrange(9)
        if c == 0:
            a = ['EXPIRE', k, self.ttl_s()]
        elif c == 1:
            a = ['PEXPIRE', k, str(int(self.ttl_s()) * 1000)]
        elif c == 2:
            a = ['EXPIREAT', k, str(int(time.time()) + int(self.ttl_s()))]
            if r.random() < 0.3:
                a.append(r.choice(['NX', 'XX', 'GT', 'LT']))
            return a, 'e'
        elif c == 3:
            return ['PERSIST', k], 'e'
        elif c == 4:
            return ['TTL', k], 'ttl'
        elif c == 5:
            return ['PTTL', k], 'pttl'
        elif c == 6:
            return ['EXPIRETIME', k], 'abst'
        elif c == 7:
            return ['PEXPIRETIME', k], 'pabst'
        else:
            a = ['EXPIRE', k, self.ttl_s()]
        if r.random() < 0.4:
            a.append(r.choice(['NX', 'XX', 'GT', 'LT']))
        return a, 'e'

    # --- strings
    def g_string(self):
        r = self.r
        k = self.key(self.fam_for(r.choice('sb')))
        c = r.randrange(22)
        if c == 0:
            a = ['SET', k, self.val()]
            opts = r.sample(['NX', 'XX', 'GET', 'KEEPTTL', 'EX', 'PX'], r.randrange(0, 3))
            for o in opts:
                if o == 'EX':
                    a += ['EX', self.ttl_s()]
                elif o == 'PX':
                    a += ['PX', str(int(self.ttl_s()) * 1000)]
                else:
                    a.append(o)
            return a, 'e'
        if c == 1:
            return ['GET', k], 'e'
        if c == 2:
            return ['GETDEL', k], 'e'
        if c == 3:
            a = ['GETEX', k]
            o = r.randrange(5)
            if o == 1:
                a += ['EX', self.ttl_s()]
            elif o == 2:
                a += ['PX', str(int(self.ttl_s()) * 1000)]
            elif o == 3:
                a += ['PERSIST']
            elif o == 4:
                a += ['EXAT', str(int(time.time()) + 5000)]
            return a, 'e'
        if c == 4:
            return ['GETSET', k, self.val()], 'e'
        if c == 5:
            return ['MGET'] + self.keys(None, r.randrange(1, 8)), 'e'
        if c == 6:
            return ['APPEND', k, self.val()], 'e'
        if c == 7:
            return [r.choice(['INCR', 'DECR'])] + [k], 'e'
        if c == 8:
            return [r.choice(['INCRBY', 'DECRBY']), k, str(r.randrange(-100, 100))], 'e'
        if c == 9:
            return ['INCRBYFLOAT', k, r.choice(['1.5', '-0.25', '3', '1e2', '0.1'])], 'e'
        if c == 10:
            return ['SETRANGE', k, str(r.randrange(0, 80)), self.val()], 'e'
        if c == 11:
            return ['GETRANGE', k, self.idx(), self.idx()], 'e'
        if c == 12:
            return ['STRLEN', k], 'e'
        if c == 13:
            return ['SETNX', k, self.val()], 'e'
        if c == 14:
            return ['SETEX', k, self.ttl_s(), self.val()], 'e'
        if c == 15:
            return ['PSETEX', k, str(int(self.ttl_s()) * 1000), self.val()], 'e'
        if c == 16:
            return ['LCS', k, self.key(r.choice('sbk'))] + r.choice([[], ['LEN'], ['IDX'], ['IDX', 'WITHMATCHLEN', 'MINMATCHLEN', '2']]), 'e'
        if c == 17:
            return ['SET', k, self.val(), 'GET'], 'e'
        if c == 18:
            return ['EXISTS'] + self.keys(None, r.randrange(1, 6)), 'e'
        if c == 19:
            return ['TYPE', k if r.random() < 0.5 else self.key()], 'e'
        if c == 20:
            return ['TOUCH'] + self.keys(None, r.randrange(1, 5)), 'e'
        return ['SUBSTR', k, self.idx(), self.idx()], 'e'

    # --- key-level multi key
    def g_rename(self):
        r = self.r
        fam = r.choice('sblSzhxkZ')
        src = self.key(fam)
        dst = self.key(fam if r.random() < 0.9 else None)
        if r.random() < 0.08:
            dst = src
        if self.phase == 'grow' and r.random() < 0.5:
            dst = '%s%d' % (fam if fam != 'k' else 'b', r.randrange(self.range, self.range + 500))
        if dst[0] == 'Z' and src[0] != 'Z':
            dst = 'b' + dst[1:]
        return [r.choice(['RENAME', 'RENAME', 'RENAMENX']), src, dst], 'e'

    def g_move(self):
        r = self.r
        k = self.key()
        return ['MOVE', k, str(r.randrange(DBS))], 'e'

    def g_copy(self):
        r = self.r
        fam = r.choice('sblSzhxkZ')
        src = self.key(fam)
        dst = self.key(fam if r.random() < 0.9 else None)
        if self.phase == 'grow' and r.random() < 0.5:
            dst = '%s%d' % (fam if fam != 'k' else 'b', r.randrange(self.range, self.range + 500))
        if r.random() < 0.05:
            dst = src
        if dst[0] == 'Z' and src[0] != 'Z':
            dst = 'b' + dst[1:]
        a = ['COPY', src, dst]
        if r.random() < 0.4:
            a += ['DB', str(r.randrange(DBS))]
        if r.random() < 0.5:
            a.append('REPLACE')
        return a, 'e'

    def g_db(self):
        r = self.r
        x = r.random()
        if x < 0.6:
            self.db = r.randrange(DBS)
            return ['SELECT', str(self.db)], 'e'
        if x < 0.9:
            return ['SWAPDB', str(r.randrange(DBS)), str(r.randrange(DBS))], 'e'
        if x < 0.95:
            return ['RANDOMKEY'], 't'
        return ['OBJECT', r.choice(['REFCOUNT', 'IDLETIME', 'ENCODING', 'FREQ']), self.key()], 't'

    def g_flush(self):
        r = self.r
        if r.random() < 0.8:
            return ['FLUSHDB'] + r.choice([[], ['ASYNC'], ['SYNC']]), 'e'
        return ['FLUSHALL'] + r.choice([[], ['ASYNC']]), 'e'

    # --- lists
    def g_list(self):
        r = self.r
        k = self.key(self.fam_for('l'))
        c = r.randrange(24)
        if c < 4:
            return [r.choice(['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']), k] + [self.val() for _ in range(r.randrange(1, 5))], 'e'
        if c < 6:
            a = [r.choice(['LPOP', 'RPOP']), k]
            if r.random() < 0.5:
                a.append(str(r.randrange(0, 6)))
            return a, 'e'
        if c < 9:
            src = k
            dst = self.key(self.fam_for('l'))
            if r.random() < 0.15:
                dst = src
            if self.phase == 'grow' and r.random() < 0.4:
                dst = 'l%d' % r.randrange(self.range, self.range + 500)
            w = [r.choice(['LEFT', 'RIGHT']), r.choice(['LEFT', 'RIGHT'])]
            x = r.randrange(5)
            if x == 0:
                return ['RPOPLPUSH', src, dst], 'e'
            if x == 1 and r.random() < 0.3:
                return ['BLMOVE', src, dst] + w + ['0.01'], 'e'
            if x == 2 and r.random() < 0.3:
                return ['BRPOPLPUSH', src, dst, '0.01'], 'e'
            return ['LMOVE', src, dst] + w, 'e'
        if c < 11:
            ks = self.keys(self.fam_for('l'), r.randrange(1, 4))
            a = ['LMPOP', str(len(ks))] + ks + [r.choice(['LEFT', 'RIGHT'])]
            if r.random() < 0.6:
                a += ['COUNT', str(r.randrange(1, 10))]
            if r.random() < 0.1:
                a = ['BLMPOP', '0.01'] + a[1:]
            return a, 'e'
        if c == 11 and r.random() < 0.3:
            ks = self.keys(self.fam_for('l'), r.randrange(1, 4))
            return [r.choice(['BLPOP', 'BRPOP'])] + ks + ['0.01'], 'e'
        if c == 12:
            return ['LRANGE', k, self.idx(), self.idx()], 'e'
        if c == 13:
            return ['LINDEX', k, self.idx()], 'e'
        if c == 14:
            return ['LSET', k, self.idx(), self.val()], 'e'
        if c == 15:
            return ['LINSERT', k, r.choice(['BEFORE', 'AFTER']), self.val(), self.val()], 'e'
        if c == 16:
            return ['LREM', k, str(r.randrange(-3, 4)), self.val()], 'e'
        if c == 17:
            return ['LTRIM', k, self.idx(), self.idx()], 'e'
        if c == 18:
            return ['LLEN', k], 'e'
        if c == 19:
            a = ['LPOS', k, self.val()]
            if r.random() < 0.5:
                a += ['RANK', str(r.choice([1, 2, -1, -2]))]
            if r.random() < 0.5:
                a += ['COUNT', str(r.randrange(0, 4))]
            return a, 'e'
        return ['RPUSH', k] + [self.val() for _ in range(r.randrange(1, 8))], 'e'

    # --- sets
    def g_set(self):
        r = self.r
        k = self.key(self.fam_for('S'))
        c = r.randrange(20)
        if c < 4:
            big = r.random() < 0.1
            return ['SADD', k] + [self.mem(big) for _ in range(r.randrange(1, 60 if big else 6))], 'e'
        if c < 6:
            return ['SREM', k] + [self.mem() for _ in range(r.randrange(1, 6))], 'e'
        if c < 8:
            dst = self.key(self.fam_for('S'))
            if r.random() < 0.15:
                dst = k
            if self.phase == 'grow' and r.random() < 0.4:
                dst = 'S%d' % r.randrange(self.range, self.range + 500)
            return ['SMOVE', k, dst, self.mem()], 'e'
        if c < 11:
            srcs = self.keys(self.fam_for('S'), r.randrange(1, 4))
            dst = self.key(self.fam_for('S'))
            if r.random() < 0.35:
                dst = r.choice(srcs)
            if self.phase == 'grow' and r.random() < 0.4:
                dst = 'S%d' % r.randrange(self.range, self.range + 500)
            return [r.choice(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), dst] + srcs, 'e'
        if c == 11:
            srcs = self.keys(self.fam_for('S'), r.randrange(1, 4))
            return [r.choice(['SINTER', 'SUNION', 'SDIFF'])] + srcs, 's'
        if c == 12:
            srcs = self.keys(self.fam_for('S'), r.randrange(1, 4))
            a = ['SINTERCARD', str(len(srcs))] + srcs
            if r.random() < 0.5:
                a += ['LIMIT', str(r.randrange(0, 5))]
            return a, 'e'
        if c == 13:
            return ['SISMEMBER', k, self.mem()], 'e'
        if c == 14:
            return ['SMISMEMBER', k] + [self.mem() for _ in range(3)], 'e'
        if c == 15:
            return ['SCARD', k], 'e'
        if c == 16:
            return ['SMEMBERS', k], 's'
        if c == 17:
            if r.random() < 0.5:
                return ['SPOP', k, '100000'], 's'
            return ['SRANDMEMBER', k, str(r.randrange(-5, 5))], 'l'
        if c == 18:
            return ['SSCAN', k, '0', 'COUNT', '100000'], 'scan'
        return ['SADD', k] + [self.mem() for _ in range(r.randrange(1, 6))], 'e'

    # --- sorted sets
    def g_zset(self):
        r = self.r
        k = self.key(self.fam_for('z'))
        c = r.randrange(32)
        if c < 5:
            a = ['ZADD', k]
            fl = r.sample(['NX', 'XX', 'GT', 'LT', 'CH'], r.choice([0, 0, 0, 1, 2]))
            if 'NX' in fl and ('GT' in fl or 'LT' in fl):
                fl.remove('NX')
            a += fl
            if r.random() < 0.1:
                a += ['INCR', self.score(), self.mem()]
            else:
                big = r.random() < 0.08
                for _ in range(r.randrange(1, 60 if big else 5)):
                    a += [self.score(), self.mem(big)]
            return a, 'e'
        if c == 5:
            return ['ZINCRBY', k, self.score(), self.mem()], 'e'
        if c == 6:
            return ['ZREM', k] + [self.mem() for _ in range(r.randrange(1, 5))], 'e'
        if c == 7:
            a = [r.choice(['ZPOPMIN', 'ZPOPMAX']), k]
            if r.random() < 0.5:
                a.append(str(r.randrange(0, 5)))
            return a, 'e'
        if c == 8:
            ks = self.keys(self.fam_for('z'), r.randrange(1, 4))
            a = ['ZMPOP', str(len(ks))] + ks + [r.choice(['MIN', 'MAX'])]
            if r.random() < 0.5:
                a += ['COUNT', str(r.randrange(1, 6))]
            if r.random() < 0.1:
                a = ['BZMPOP', '0.01'] + a[1:]
            return a, 'e'
        if c == 9 and r.random() < 0.3:
            ks = self.keys(self.fam_for('z'), r.randrange(1, 3))
            return [r.choice(['BZPOPMIN', 'BZPOPMAX'])] + ks + ['0.01'], 'e'
        if c in (10, 11, 12, 13):
            srcs = self.keys(self.fam_for('z' if r.random() < 0.8 else 'S'), r.randrange(1, 4))
            dst = self.key(self.fam_for('z'))
            if r.random() < 0.35:
                dst = r.choice(srcs)
            if self.phase == 'grow' and r.random() < 0.4:
                dst = 'z%d' % r.randrange(self.range, self.range + 500)
            cmd = r.choice(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'])
            a = [cmd, dst, str(len(srcs))] + srcs
            if cmd != 'ZDIFFSTORE':
                if r.random() < 0.3:
                    a += ['WEIGHTS'] + [r.choice(['1', '2', '-1', '0', '0.5', 'inf'])for _ in srcs]
                if r.random() < 0.3:
                    a += ['AGGREGATE', r.choice(['SUM', 'MIN', 'MAX'])]
            return a, 'e'
        if c == 14:
            dst = self.key(self.fam_for('z'))
            if r.random() < 0.3:
                dst = k
            x = r.randrange(2)
            if x == 0:
                a = ['ZRANGESTORE', dst, k, self.idx(), self.idx()]
            elif x == 1:
                a = ['ZRANGESTORE', dst, k, self.sbound(), self.sbound(), 'BYSCORE']
            else:
                a = ['ZRANGESTORE', dst, k, self.lbound(), self.lbound(), 'BYLEX']
            if r.random() < 0.3:
                a.append('REV')
            if x and r.random() < 0.3:
                a += ['LIMIT', str(r.randrange(0, 3)), str(r.randrange(-1, 4))]
            return a, 'e'
        if c == 15:
            srcs = self.keys(self.fam_for('z'), r.randrange(1, 4))
            a = [r.choice(['ZUNION', 'ZINTER', 'ZDIFF']), str(len(srcs))] + srcs
            if r.random() < 0.5:
                a.append('WITHSCORES')
            return a, 'e'
        if c == 16:
            srcs = self.keys(self.fam_for('z'), r.randrange(1, 4))
            return ['ZINTERCARD', str(len(srcs))] + srcs, 'e'
        if c == 17:
            a = ['ZRANGE', k, self.idx(), self.idx()]
            if r.random() < 0.3:
                a.append('REV')
            if r.random() < 0.5:
                a.append('WITHSCORES')
            return a, 'e'
        if c == 18:
            a = [r.choice(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE']), k, self.sbound(), self.sbound()]
            if r.random() < 0.5:
                a.append('WITHSCORES')
            if r.random() < 0.3:
                a += ['LIMIT', str(r.randrange(0, 3)), str(r.randrange(-1, 4))]
            return a, 'e'
        if c == 19:
            return self.g_zlex()
        if c == 20:
            return [r.choice(['ZRANK', 'ZREVRANK', 'ZSCORE']), k, self.mem()], 'e'
        if c == 21:
            return ['ZMSCORE', k] + [self.mem() for _ in range(3)], 'e'
        if c == 22:
            return ['ZCOUNT', k, self.sbound(), self.sbound()], 'e'
        if c == 23:
            return ['ZREMRANGEBYRANK', k, self.idx(), self.idx()], 'e'
        if c == 24:
            return ['ZREMRANGEBYSCORE', k, self.sbound(), self.sbound()], 'e'
        if c == 25:
            return self.g_zlex()
        if c == 26:
            return ['ZCARD', k], 'e'
        if c == 27:
            return ['ZRANDMEMBER', k, str(r.randrange(-4, 5))], 'l'
        if c == 28:
            return ['ZSCAN', k, '0', 'COUNT', '100000'], 'pscan'
        a = ['ZADD', k]
        for _ in range(r.randrange(1, 5)):
            a += [self.score(), self.mem()]
        return a, 'e'

    def g_zlex(self):
        # lexicographic ops only on the 'Z' family, whose scores are all 0
        r = self.r
        k = self.key('Z')
        c = r.randrange(9)
        if c < 3:
            return ['ZADD', k] + [x for _ in range(r.randrange(1, 5)) for x in ('0', self.mem())], 'e'
        if c == 3:
            return [r.choice(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), k, self.lbound(), self.lbound()] + (
                ['LIMIT', str(r.randrange(0, 3)), str(r.randrange(-1, 4))] if r.random() < 0.3 else []), 'e'
        if c == 4:
            return ['ZLEXCOUNT', k, self.lbound(), self.lbound()], 'e'
        if c == 5:
            return ['ZREMRANGEBYLEX', k, self.lbound(), self.lbound()], 'e'
        if c == 6:
            dst = self.key('Z') if r.random() < 0.7 else k
            a = ['ZRANGESTORE', dst, k, self.lbound(), self.lbound(), 'BYLEX']
            if r.random() < 0.3:
                a.append('REV')
            if r.random() < 0.3:
                a += ['LIMIT', str(r.randrange(0, 3)), str(r.randrange(-1, 4))]
            return a, 'e'
        if c == 7:
            srcs = self.keys('Z', r.randrange(1, 4), dup=0.2)
            dst = r.choice(srcs) if r.random() < 0.4 else self.key('Z')
            return [r.choice(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), dst, str(len(srcs))] + srcs, 'e'
        return ['ZREM', k] + [self.mem() for _ in range(r.randrange(1, 4))], 'e'

    # --- hashes
    def g_hash(self):
        r = self.r
        k = self.key(self.fam_for('h'))
        c = r.randrange(18)
        if c < 5:
            big = r.random() < 0.08
            a = [r.choice(['HSET', 'HSET', 'HMSET']), k]
            for _ in range(r.randrange(1, 60 if big else 5)):
                a += [self.mem(big), self.val()]
            return a, 'e'
        if c < 8:
            return ['HDEL', k] + [self.mem() for _ in range(r.randrange(1, 8))], 'e'
        if c == 8:
            return ['HSETNX', k, self.mem(), self.val()], 'e'
        if c == 9:
            return ['HGET', k, self.mem()], 'e'
        if c == 10:
            return ['HMGET', k] + [self.mem() for _ in range(3)], 'e'
        if c == 11:
            return ['HGETALL', k], 'p'
        if c == 12:
            return [r.choice(['HKEYS', 'HVALS']), k], 's'
        if c == 13:
            return (['HLEN', k] if r.random() < 0.5 else ['HEXISTS', k, self.mem()]), 'e'
        if c == 14:
            return ['HINCRBY', k, self.mem(), str(r.randrange(-5, 5))], 'e'
        if c == 15:
            return ['HINCRBYFLOAT', k, self.mem(), r.choice(['1.5', '-2', '0.1'])], 'e'
        if c == 16:
            return ['HSTRLEN', k, self.mem()], 'e'
        if r.random() < 0.5:
            return ['HRANDFIELD', k] + r.choice([[], ['3'], ['-3'], ['2', 'WITHVALUES']]), 'l'
        return ['HSCAN', k, '0', 'COUNT', '100000'], 'pscan'

    # --- streams
    def g_stream(self):
        r = self.r
        k = self.key(self.fam_for('x'))
        c = r.randrange(16)
        if c < 5:
            a = ['XADD', k]
            if r.random() < 0.2:
                a.append('NOMKSTREAM')
            if r.random() < 0.25:
                a += ['MAXLEN', str(r.randrange(0, 6))]
            a.append(self.sid())
            for _ in range(r.randrange(1, 3)):
                a += [self.mem(), self.val()]
            return a, 'e'
        if c < 7:
            return ['XDEL', k] + [self.old_sid() for _ in range(r.randrange(1, 4))], 'e'
        if c == 7:
            if r.random() < 0.5:
                return ['XTRIM', k, 'MAXLEN', str(r.randrange(0, 6))], 'e'
            return ['XTRIM', k, 'MINID', self.old_sid()], 'e'
        if c == 8:
            return ['XLEN', k], 'e'
        if c == 9:
            return [r.choice(['XRANGE', 'XREVRANGE']), k] + (['-', '+'] if True else []) + (['COUNT', str(r.randrange(0, 5))] if r.random() < 0.5 else []), 'e'
        if c == 10:
            return ['XGROUP', 'CREATE', k, 'g%d' % r.randrange(2), r.choice(['$', '0'])] + (['MKSTREAM'] if r.random() < 0.5 else []), 'e'
        if c == 11:
            return ['XREADGROUP', 'GROUP', 'g%d' % r.randrange(2), 'c%d' % r.randrange(2), 'COUNT', str(r.randrange(1, 4)), 'STREAMS', k, '>'], 'e'
        if c == 12:
            return ['XACK', k, 'g%d' % r.randrange(2)] + [self.old_sid() for _ in range(2)], 'e'
        if c == 13:
            return ['XREAD', 'COUNT', str(r.randrange(1, 4)), 'STREAMS', k, self.old_sid()], 'e'
        if c == 14:
            return ['XPENDING', k, 'g%d' % r.randrange(2)], 'e'
        return ['XADD', k, self.sid(), 'a', self.val()], 'e'

    def g_wide(self):
        # one command over many keys (lookups of later keys may lazily expire/delete)
        r = self.r
        if self.avoid_algebra > 0:
            c = r.choice(['MGET', 'EXISTS', 'DEL', 'UNLINK', 'TOUCH', 'MSET', 'LMPOP', 'ZMPOP', 'BLPOP', 'XREAD'])
        else:
            c = r.choice(['SUNION', 'SINTER', 'SDIFF', 'SUNIONSTORE', 'SDIFFSTORE', 'SINTERCARD', 'ZUNION', 'ZINTER',
                          'ZDIFF', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'ZINTERCARD',
                          'MGET', 'EXISTS', 'DEL', 'UNLINK', 'TOUCH', 'MSET', 'LMPOP', 'ZMPOP', 'BLPOP', 'XREAD'])
        n = r.randrange(4, 60) if r.random() < 0.7 else r.randrange(60, 300)
        fam = {'S': 'S', 'Z': 'z', 'L': 'l', 'B': 'l', 'X': 'x'}.get(c[0], r.choice('sb'))
        ks = self.keys(fam, n, dup=0.05)
        if c in ('SUNION', 'SINTER', 'SDIFF', 'MGET', 'EXISTS', 'DEL', 'UNLINK', 'TOUCH'):
            return [c] + ks, ('s' if c[0] == 'S' else 'e')
        if c in ('SUNIONSTORE', 'SDIFFSTORE'):
            return [c, r.choice(ks) if r.random() < 0.3 else self.key('S')] + ks, 'e'
        if c == 'SINTERCARD':
            return [c, str(n)] + ks, 'e'
        if c in ('ZUNION', 'ZINTER', 'ZDIFF', 'ZINTERCARD'):
            return [c, str(n)] + ks + (['WITHSCORES'] if c != 'ZINTERCARD' and r.random() < 0.5 else []), 'e'
        if c.endswith('STORE'):
            return [c, r.choice(ks) if r.random() < 0.3 else self.key('z'), str(n)] + ks, 'e'
        if c == 'MSET':
            return [c] + [x for k in ks for x in (k, self.val())], 'e'
        if c == 'LMPOP':
            return [c, str(n)] + ks + [r.choice(['LEFT', 'RIGHT'])], 'e'
        if c == 'ZMPOP':
            return [c, str(n)] + ks + [r.choice(['MIN', 'MAX'])], 'e'
        if c == 'BLPOP':
            return [c] + ks + ['0.01'], 'e'
        return ['XREAD', 'COUNT', '2', 'STREAMS'] + ks + ['0'] * n, 'e'

    def storm(self):
        """Many filler keys that expire at once, then one multi-key command
        naming live keys first and the (expired, not yet deleted) fillers after."""
        r = self.r
        F = r.choice([300, 1000, 3000, 6000])
        tag = r.randrange(1000000)
        fill = ['f%d:%d' % (tag, i) for i in range(F)]
        setup = [('c', ['SET', f, 'v', 'PX', '1'], 'e') for f in fill]
        cmds = ['SUNION', 'SINTER', 'SDIFF', 'SUNIONSTORE', 'SDIFFSTORE', 'SINTERSTORE', 'ZUNION', 'ZINTER', 'ZDIFF',
                'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'MGET', 'EXISTS', 'DEL', 'UNLINK',
                'TOUCH', 'MSET', 'MSETNX', 'LMPOP', 'ZMPOP', 'BLPOP', 'BRPOP', 'BZPOPMIN', 'BLMPOP', 'BZMPOP', 'XREAD',
                'SINTERCARD', 'ZINTERCARD']
        if self.avoid:
            cmds = [c for c in cmds if c not in ALGEBRA]
        c = r.choice(cmds)
        fam = {'S': 'S', 'Z': 'z', 'L': 'l', 'X': 'x'}.get(c[0], 'l' if c in ('BLPOP', 'BRPOP', 'BLMPOP') else
                                                          'z' if c in ('BZPOPMIN', 'BZMPOP') else r.choice('sb'))
        live = self.keys(fam, r.randrange(1, 30), dup=0.05)
        # fillers go after the live keys (some live keys again among them)
        rest = fill[:]
        for k in live:
            if r.random() < 0.3:
                rest.insert(r.randrange(len(rest) + 1), k)
        ks = live + rest
        n = len(ks)
        if c in ('SUNION', 'SINTER', 'SDIFF'):
            a, m = [c] + ks, 's'
        elif c in ('MGET', 'EXISTS', 'DEL', 'UNLINK', 'TOUCH'):
            a, m = [c] + ks, 'e'
        elif c in ('SUNIONSTORE', 'SDIFFSTORE', 'SINTERSTORE'):
            a, m = [c, r.choice(live) if r.random() < 0.5 else self.key('S')] + ks, 'e'
        elif c in ('SINTERCARD', 'ZINTERCARD'):
            a, m = [c, str(n)] + ks, 'e'
        elif c in ('ZUNION', 'ZINTER', 'ZDIFF'):
            a, m = [c, str(n)] + ks + ['WITHSCORES'], 'e'
        elif c.endswith('STORE'):
            a, m = [c, r.choice(live) if r.random() < 0.5 else self.key('z'), str(n)] + ks, 'e'
        elif c in ('MSET', 'MSETNX'):
            a, m = [c] + [x for k in ks for x in (k, self.val())], 'e'
        elif c == 'LMPOP':
            a, m = [c, str(n)] + ks + ['LEFT', 'COUNT', '3'], 'e'
        elif c == 'ZMPOP':
            a, m = [c, str(n)] + ks + ['MIN', 'COUNT', '3'], 'e'
        elif c == 'BLMPOP':
            a, m = [c, '0.01', str(n)] + ks + ['RIGHT'], 'e'
        elif c == 'BZMPOP':
            a, m = [c, '0.01', str(n)] + ks + ['MAX'], 'e'
        elif c in ('BLPOP', 'BRPOP', 'BZPOPMIN'):
            a, m = [c] + ks + ['0.01'], 'e'
        else:
            a, m = ['XREAD', 'COUNT', '2', 'STREAMS'] + ks + ['0'] * n, 'e'
        return setup, [('c', a, m)]

    def g_keys(self):
        r = self.r
        x = r.random()
        if x < 0.5:
            return ['KEYS', r.choice(['k*', 'k1*', 'k?', '*[0-3]', 'S1*', 'l2?'])], 's'
        return ['EXISTS', 'k%d' % r.randrange(25)], 'e'

    # --- MULTI blocks
    def multi(self):
        r = self.r
        n = r.randrange(1, 8)
        inner = []
        for _ in range(n):
            g = r.choices(MULTI_NAMES, MULTI_W)[0]
            a, m = getattr(self, 'g_' + g)()
            while self.avoid_algebra > 0 and a[0] in ALGEBRA:
                a, m = getattr(self, 'g_' + g)()
            if a[0] in ('SELECT',):
                self.db = int(a[1])
            inner.append((a, m))
        return ('m', inner, r.random() < 0.15)

    def watchblock(self):
        """WATCH some keys, run a few commands on this connection, then MULTI/EXEC:
        EXEC is nil iff a watched key was modified (Redis's signalModifiedKey rules)."""
        r = self.r
        fam = r.choice('sblSzhxk')    # not 'Z': watch_cmd writes non-zero scores
        wk = self.keys(fam, r.randrange(1, 4), dup=0.1)
        between = []
        for _ in range(r.randrange(0, 3)):
            if r.random() < 0.6:
                # a command on a watched key (often a no-op write)
                a, m = self.watch_cmd(r.choice(wk))
            else:
                while True:
                    g = r.choices(MULTI_NAMES, MULTI_W)[0]
                    a, m = getattr(self, 'g_' + g)()
                    if not (a[0] in ('SELECT', 'FLUSHALL', 'FLUSHDB', 'SWAPDB') or (self.avoid_algebra > 0 and a[0] in ALGEBRA)):
                        break
            between.append((a, m))
        inner = [(['PING'], 'e')]
        if r.random() < 0.5:
            inner.append((['EXISTS'] + wk, 'e'))
        return ('w', wk, between, inner)

    def watch_cmd(self, k):
        """Commands on key k that may or may not modify it."""
        r = self.r
        m = self.mem()
        return r.choice([
            (['SADD', k, m], 'e'), (['SREM', k, m], 'e'), (['ZADD', k, '1', m], 'e'), (['ZADD', k, 'XX', '2', m], 'e'),
            (['ZREM', k, m], 'e'), (['HSET', k, m, 'v'], 'e'), (['HDEL', k, m], 'e'), (['HSETNX', k, m, 'v'], 'e'),
            (['LREM', k, '0', 'zz'], 'e'), (['LPUSHX', k, 'a'], 'e'), (['RPOP', k, '0'], 'e'), (['LTRIM', k, '0', '-1'], 'e'),
            (['DEL', k], 'e'), (['UNLINK', k], 'e'), (['PERSIST', k], 'e'), (['EXPIRE', k, '100000', 'NX'], 'e'),
            (['EXPIRE', k, '100', 'GT'], 'e'), (['SETNX', k, 'x'], 'e'), (['APPEND', k, ''], 'e'), (['SETRANGE', k, '0', ''], 'e'),
            (['INCRBY', k, '0'], 'e'), (['GET', k], 'e'), (['GETEX', k], 'e'), (['GETEX', k, 'PERSIST'], 'e'),
            (['SET', k, 'v', 'NX'], 'e'), (['SET', k, 'v', 'XX'], 'e'), (['RENAMENX', k, k], 'e'), (['RENAME', k, k], 'e'),
            (['COPY', k, k + 'c'], 'e'), (['MOVE', k, '1'], 'e'), (['SMOVE', k, k, m], 'e'), (['LMOVE', k, k, 'LEFT', 'LEFT'], 'e'),
            (['SINTERSTORE', k, k], 'e'), (['ZUNIONSTORE', k, '1', k], 'e'), (['ZRANGESTORE', k, k, '0', '-1'], 'e'),
            (['XTRIM', k, 'MAXLEN', '1000'], 'e'), (['XDEL', k, '1-1'], 'e'), (['ZREMRANGEBYRANK', k, '5', '1'], 'e'),
            (['SPOP', k, '0'], 'e'), (['ZPOPMIN', k, '0'], 'e'), (['HINCRBY', k, m, '0'], 'e'), (['ZINCRBY', k, '0', m], 'e'),
            (['LSET', k, '0', 'q'], 'e'), (['LINSERT', k, 'BEFORE', 'nope', 'q'], 'e'), (['TOUCH', k], 'e'),
            (['XGROUP', 'CREATE', k, 'g0', '$'], 'e'), (['XGROUP', 'SETID', k, 'g0', '0'], 'e'),
        ])

    def items(self, n):
        """Next n items for a batch."""
        r = self.r
        out = []
        while len(out) < n:
            if self.phase_left <= 0:
                self.next_phase()

            self.phase_left -= 1
            x = r.random()
            if x < 0.03:
                out.append(self.multi())
                continue
            if x < 0.045:
                out.append(self.watchblock())
                continue
            if self.wide_boost > 0 and r.random() < 0.3:
                a, m = self.g_wide()
            else:
                a, m = self.cmd()
            while self.avoid_algebra > 0 and a[0] in ALGEBRA:
                a, m = self.cmd()
            if a[0] == 'SELECT':
                self.db = int(a[1])
            out.append(('c', a, m))
        return out

    def next_phase(self):
        r = self.r
        if self.phase == 'grow':
            self.phase = r.choice(['churn', 'shrink'])
        elif self.phase == 'shrink':
            self.phase = r.choice(['grow', 'churn', 'grow'])
        else:
            self.phase = r.choice(['grow', 'shrink'])
        if self.phase == 'grow':
            self.range = r.choice([100, 400, 1500, 3000, 6000, 12000])
            self.phase_left = r.randrange(1000, 8000)
        elif self.phase == 'shrink':
            self.phase_left = r.randrange(500, 3000)
        else:
            self.range = r.choice([30, 60, 200, 1000])
            self.phase_left = r.randrange(1000, 5000)

    def short_expiries(self):
        """PEXPIRE 1 / SET PX 1 for a few keys, placed at the end of a batch."""
        r = self.r
        out = []
        if r.random() < 0.3:
            # mass expiry: a run of one family (tables shrink as they are lazily deleted)
            fam = r.choice('lSzhxsbkZ')
            start = r.randrange(self.range)
            for i in range(start, min(self.range, start + r.randrange(20, 400))):
                if r.random() < 0.7:
                    out.append(('c', ['PEXPIRE', '%s%d' % (fam, i), '1'], 'e'))
        for _ in range(r.randrange(1, 12)):
            k = self.key()
            x = r.random()
            if x < 0.6:
                out.append(('c', ['PEXPIRE', k, '1'], 'e'))
            elif x < 0.8:
                out.append(('c', ['SET', self.key(r.choice('sbk')), 'tmp', 'PX', '1'], 'e'))
            else:
                out.append(('c', ['GETEX', self.key(r.choice('sbk')), 'PX', '1'], 'e'))
        return out


GEN = {
    # name: (grow, churn, shrink, in-multi)
    'mset': (10, 2, 0.5, 1),
    'bulkcreate': (30, 3, 0, 0),
    'del': (1, 3, 30, 2),
    'expire_now': (1, 2, 8, 2),
    'expire': (2, 4, 2, 2),
    'string': (8, 14, 4, 4),
    'rename': (8, 8, 4, 4),
    'move': (2, 3, 3, 2),
    'copy': (6, 6, 2, 3),
    'db': (0.6, 1, 1, 1),
    'flush': (0.002, 0.02, 0.03, 0.05),
    'list': (8, 12, 6, 4),
    'set': (8, 12, 6, 4),
    'zset': (8, 12, 6, 4),
    'hash': (6, 10, 6, 3),
    'stream': (4, 6, 4, 2),
    'keys': (0.3, 1, 1, 1),
    'zlex': (3, 4, 3, 1),
    'wide': (1, 2, 3, 0.5),
}
GEN_NAMES = list(GEN)
ALGEBRA = {'SUNION', 'SINTER', 'SDIFF', 'SUNIONSTORE', 'SINTERSTORE', 'SDIFFSTORE', 'SINTERCARD', 'ZUNION', 'ZINTER',
           'ZDIFF', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'ZINTERCARD',
           # known bug 2: list moves whose destination is lazily expired
           'LMOVE', 'RPOPLPUSH', 'BLMOVE', 'BRPOPLPUSH'}
GROW_W = [GEN[n][0] for n in GEN_NAMES]
CHURN_W = [GEN[n][1] for n in GEN_NAMES]
SHRINK_W = [GEN[n][2] for n in GEN_NAMES]
MULTI_NAMES = GEN_NAMES
MULTI_W = [GEN[n][3] for n in GEN_NAMES]


# ------------------------------------------------------------------ running

class Divergence(Exception):
    def __init__(self, info):
        super().__init__(info.get('what', 'divergence'))
        self.info = info


def item_replies(item):
    """Number of replies an item produces and the wire bytes."""
    if item[0] == 'c':
        return 1, encode(item[1])
    if item[0] == 'm':
        inner = item[1]
        parts = []
        n = 0
        if item[2]:
            # WATCH one of the keys first, then write it: EXEC must fail
            parts.append(encode(['WATCH', 'k1']))
            parts.append(encode(['SET', 'k1', 'w']))
            n += 2
        parts.append(encode(['MULTI']))
        for a, m in inner:
            parts.append(encode(a))
        parts.append(encode(['EXEC']))
        return n + len(inner) + 2, b''.join(parts)
    if item[0] == 'w':
        _, wk, between, inner = item
        parts = [encode(['WATCH'] + list(wk))]
        parts += [encode(a) for a, m in between]
        parts.append(encode(['MULTI']))
        parts += [encode(a) for a, m in inner]
        parts.append(encode(['EXEC']))
        return 1 + len(between) + 1 + len(inner) + 1, b''.join(parts)
    return 0, b''


class Runner:
    def __init__(self, servers, errtexts, stop_on_errtext=False):
        self.sv = servers
        self.errtexts = errtexts     # (cmd, redis, swiftlet) -> count
        self.stop_on_errtext = stop_on_errtext
        self.ncmds = 0

    def send_batch(self, items):
        sv = self.sv
        total = 0
        data = []
        for it in items:
            n, b = item_replies(it)
            total += n
            data.append(b)
        data = b''.join(data)
        try:
            sv.csw.send(data)
        except ConnDead as e:
            raise Divergence({'what': 'crash', 'detail': 'send failed: %s' % e})
        sv.crd.send(data)
        rs_sw = []
        try:
            for _ in range(total):
                rs_sw.append(sv.csw.read())
        except (ConnDead, socket.timeout) as e:
            time.sleep(0.3)
            raise Divergence({'what': 'crash' if not sv.alive() else 'conn', 'detail': str(e),
                              'replies_before': len(rs_sw), 'log': sv.crash_text()})
        rs_rd = [sv.crd.read() for _ in range(total)]
        if not sv.alive():
            raise Divergence({'what': 'crash', 'detail': 'process exited', 'log': sv.crash_text()})
        # compare
        i = 0
        for idx, it in enumerate(items):
            if it[0] == 'c':
                self.check(it[1], it[2], rs_rd[i], rs_sw[i], idx)
                i += 1
                self.ncmds += 1
            elif it[0] == 'w':
                _, wk, between, inner = it
                n = 1 + len(between) + 1 + len(inner) + 1
                ra, sa = rs_rd[i:i + n], rs_sw[i:i + n]
                i += n
                self.ncmds += n
                self.check(['WATCH'] + list(wk), 'e', ra[0], sa[0], idx)
                for j, (a, m) in enumerate(between):
                    self.check(a, m, ra[1 + j], sa[1 + j], idx)
                for j in range(1 + len(between), n - 1):
                    self.check(['<multi-part>'], 'e', ra[j], sa[j], idx)
                self.check(['EXEC-after-WATCH'] + list(wk) + ['between:'] + [' '.join(x if isinstance(x, str) else x.decode('latin1') for x in a) for a, m in between],
                           'e', ra[-1], sa[-1], idx)
            elif it[0] == 'm':
                inner = it[1]
                n = len(inner) + 2 + (2 if it[2] else 0)
                ra, sa = rs_rd[i:i + n], rs_sw[i:i + n]
                i += n
                self.ncmds += n
                # all but EXEC exact (OK/QUEUED/errors)
                for j in range(n - 1):
                    self.check(['<multi-part %d>' % j], 'e', ra[j], sa[j], idx)
                er, es = ra[-1], sa[-1]
                if isinstance(er, list) and isinstance(es, list) and len(er) == len(es) == len(inner):
                    for (a, m), x, y in zip(inner, er, es):
                        self.check(a, m, x, y, idx)
                else:
                    self.check(['EXEC'], 'e', er, es, idx)

    crash_only = False

    def check(self, args, mode, a, b, idx):
        if self.crash_only:
            return
        ok, errtext = same(mode, a, b)
        if ok:
            return
        name = (args[0] if isinstance(args[0], str) else args[0].decode()).upper()
        if errtext:
            k = (name, str(a), str(b))
            self.errtexts[k] = self.errtexts.get(k, 0) + 1
            if not self.stop_on_errtext:
                return
        raise Divergence({'what': 'reply', 'cmd': [x if isinstance(x, str) else x.decode('latin1') for x in args],
                          'mode': mode, 'redis': show(a), 'swiftlet': show(b), 'item_index': idx})

    # ---- state
    def force_expire_and_keys(self, db):
        """Full SCAN (deletes expired keys on both), returns sorted key sets."""
        out = []
        for c in (self.sv.crd, self.sv.csw):
            c.call('SELECT', str(db))
            keys = set()
            cur = b'0'
            n = 0
            while True:
                rep = c.call('SCAN', cur, 'COUNT', '1000')
                cur, ks = rep[0], rep[1]
                keys.update(ks)
                n += 1
                if cur == b'0' or n > 100000:
                    break
            out.append(keys)
        return out

    def compare_state(self, full=True, cur_db=0):
        sv = self.sv
        if self.crash_only:
            # still walk every db (SCAN meets expired keys), but compare nothing
            try:
                self.force_expire_and_keys(0)
                self.sv.crd.call('SELECT', str(cur_db))
                self.sv.csw.call('SELECT', str(cur_db))
            except (ConnDead, socket.timeout) as e:
                time.sleep(0.3)
                raise Divergence({'what': 'crash' if not sv.alive() else 'conn', 'detail': str(e), 'log': sv.crash_text()})
            return
        try:
            for db in range(DBS + 1):
                kr, ks = self.force_expire_and_keys(db)
                if kr != ks:
                    raise Divergence({'what': 'state-keys', 'db': db,
                                      'only_redis': sorted(show(x) for x in kr - ks)[:20],
                                      'only_swiftlet': sorted(show(x) for x in ks - kr)[:20]})
                dr, ds = sv.crd.call('DBSIZE'), sv.csw.call('DBSIZE')
                if dr != ds:
                    raise Divergence({'what': 'state-dbsize', 'db': db, 'redis': dr, 'swiftlet': ds, 'nkeys': len(kr)})
                kk = sorted(sv.crd.call('KEYS', '*'))
                kk2 = sorted(sv.csw.call('KEYS', '*'))
                if kk != kk2 or set(kk) != kr:
                    raise Divergence({'what': 'state-KEYS', 'db': db})
                if not full:
                    continue
                keys = sorted(kr)
                for c in (sv.crd, sv.csw):
                    c.send(b''.join(encode(['TYPE', k]) + encode(['PTTL', k]) for k in keys))
                tr = [(sv.crd.read(), sv.crd.read()) for _ in keys]
                ts = [(sv.csw.read(), sv.csw.read()) for _ in keys]
                dumps = []
                for k, (t, _) in zip(keys, tr):
                    dumps.append(dump_cmds(k, t))
                for c in (sv.crd, sv.csw):
                    c.send(b''.join(encode(a) for d in dumps for a in d))
                vr = [[sv.crd.read() for _ in d] for d in dumps]
                vs = [[sv.csw.read() for _ in d] for d in dumps]
                for k, (t1, p1), (t2, p2), d, v1, v2 in zip(keys, tr, ts, dumps, vr, vs):
                    if t1 != t2:
                        raise Divergence({'what': 'state-type', 'db': db, 'key': show(k), 'redis': t1, 'swiftlet': t2})
                    if not same('pttl', p1, p2)[0]:
                        raise Divergence({'what': 'state-ttl', 'db': db, 'key': show(k), 'redis': p1, 'swiftlet': p2})
                    for a, x, y in zip(d, v1, v2):
                        m = 'p' if a[0] == 'HGETALL' else ('s' if a[0] == 'SMEMBERS' else 'e')
                        if not same(m, x, y)[0]:
                            raise Divergence({'what': 'state-value', 'db': db, 'key': show(k), 'cmd': a,
                                              'redis': show(x), 'swiftlet': show(y)})
        except (ConnDead, socket.timeout) as e:
            time.sleep(0.3)
            raise Divergence({'what': 'crash' if not sv.alive() else 'conn', 'detail': 'during state compare: %s' % e,
                              'log': sv.crash_text()})
        finally:
            try:
                sv.crd.call('SELECT', str(cur_db))
                sv.csw.call('SELECT', str(cur_db))
            except Exception:
                pass


def dump_cmds(k, t):
    if t == 'string':
        return [['GET', k]]
    if t == 'list':
        return [['LRANGE', k, '0', '-1']]
    if t == 'set':
        return [['SMEMBERS', k]]
    if t == 'zset':
        return [['ZRANGE', k, '0', '-1', 'WITHSCORES']]
    if t == 'hash':
        return [['HGETALL', k]]
    if t == 'stream':
        return [['XRANGE', k, '-', '+'], ['XLEN', k], ['XINFO', 'GROUPS', k]]
    return []


def show(v, lim=300):
    if isinstance(v, bytes):
        s = v.decode('latin1')
        return s if len(s) <= lim else s[:lim] + '...(%d)' % len(s)
    if isinstance(v, Err):
        return '(error) ' + v
    if isinstance(v, Status):
        return '+' + v
    if isinstance(v, list):
        out = [show(x, 80) for x in v[:40]]
        if len(v) > 40:
            out.append('...(%d)' % len(v))
        return out
    if v is None:
        return '(nil)'
    if isinstance(v, NilArr):
        return '(nil-array)'
    return v


def to_json_item(it):
    def enc(a):
        return [x.decode('latin1') if isinstance(x, bytes) else x for x in a]
    if it[0] == 'c':
        return ['c', enc(it[1]), it[2]]
    if it[0] == 'm':
        return ['m', [[enc(a), m] for a, m in it[1]], it[2]]
    if it[0] == 'w':
        return ['w', enc(it[1]), [[enc(a), m] for a, m in it[2]], [[enc(a), m] for a, m in it[3]]]
    return list(it)


def from_json_item(j):
    def dec(a):
        return [x.encode('latin1') if isinstance(x, str) else x for x in a]
    if j[0] == 'c':
        return ('c', dec(j[1]), j[2])
    if j[0] == 'm':
        return ('m', [(dec(a), m) for a, m in j[1]], j[2])
    if j[0] == 'w':
        return ('w', dec(j[1]), [(dec(a), m) for a, m in j[2]], [(dec(a), m) for a, m in j[3]])
    return tuple(j)


def batches_of(items):
    """Split an item list into batches at 'sleep'/'sync' markers."""
    cur = []
    for it in items:
        if it[0] in ('s', 'sync'):
            yield cur, it
            cur = []
        else:
            cur.append(it)
    yield cur, None


def execute(runner, items, final=True):
    """Replays items (batches split at markers). Raises Divergence."""
    for batch, marker in batches_of(items):
        for i in range(0, len(batch), 300):
            runner.send_batch(batch[i:i + 300])
        if marker is not None:
            if marker[0] == 's':
                time.sleep(marker[1] / 1000.0)
            elif marker[0] == 'sync':
                runner.compare_state(full=marker[1] if len(marker) > 1 else False, cur_db=marker[2] if len(marker) > 2 else 0)
    if final:
        runner.compare_state(full=True)


def run_seed(sv, seed, ncmds, errtexts, log=True, avoid=False, crash_only=False):
    gen = Gen(seed)
    gen.avoid = avoid
    runner = Runner(sv, errtexts)
    runner.crash_only = crash_only
    sv.reset()
    items = []
    t0 = time.time()
    nb = 0
    try:
        while runner.ncmds < ncmds:
            batch = gen.items(gen.r.randrange(100, 400))
            nb += 1
            if gen.wide_boost > 0:
                gen.wide_boost -= 1
            if gen.avoid_algebra > 0:
                gen.avoid_algebra -= 1
                if gen.avoid_algebra == 0:
                    # clear lazily-expired keys before algebra commands come back
                    items.append(('sync', False, gen.db))
                    runner.compare_state(full=False, cur_db=gen.db)
            if gen.r.random() < 0.04:
                setup, cmd = gen.storm()
                items.extend(setup)
                runner.send_batch(setup)
                items.append(('s', 3))
                time.sleep(0.003)
                items.extend(cmd)
                runner.send_batch(cmd)
            short = gen.r.random() < 0.15
            if short and gen.r.random() < 0.12:
                # expire most keys of the current db at once: tables shrink while lazily emptied
                frac = gen.r.choice([0.5, 0.9, 0.97])
                for fam in 'lSzhxsbkZ':
                    for i in range(gen.range if fam != 'k' else 25):
                        if gen.r.random() < frac:
                            batch.append(('c', ['PEXPIRE', '%s%d' % (fam, i), '1'], 'e'))
                gen.wide_boost = 3
            if short:
                batch += gen.short_expiries()
                # each key at most once among the short expiries (a second touch could see it expired or not)
                seen = set()
                keep = []
                for it in batch:
                    a = it[1] if it[0] == 'c' else None
                    if a and ((a[0] == 'PEXPIRE' and len(a) == 3 and a[2] == '1') or
                              (a[0] in ('SET', 'GETEX') and a[-2:] == ['PX', '1'])):
                        if it[1][1] in seen:
                            continue
                        seen.add(it[1][1])
                    keep.append(it)
                batch = keep
                if gen.avoid:
                    gen.avoid_algebra = 3
            items.extend(batch)
            runner.send_batch(batch)
            if short:
                items.append(('s', 15))
                time.sleep(0.015)
            if nb % 25 == 0:
                full = nb % 100 == 0
                items.append(('sync', full, gen.db))
                runner.compare_state(full=full, cur_db=gen.db)
        runner.compare_state(full=True)
    except Divergence as d:
        info = dict(d.info)
        info['seed'] = seed
        info['ncmds'] = runner.ncmds
        return info, items, runner.ncmds
    if log:
        print('seed %d ok: %d cmds in %.1fs' % (seed, runner.ncmds, time.time() - t0), flush=True)
    return None, items, runner.ncmds


def save_case(info, items):
    os.makedirs(FIND_DIR, exist_ok=True)
    name = os.path.join(FIND_DIR, 'case_%s_%s.json' % (info.get('seed', 'x'), info['what']))
    with open(name, 'w') as f:
        json.dump({'info': info, 'items': [to_json_item(i) for i in items]}, f)
    return name


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return
    mode = args[0]

    def opt(name, default):
        if name in args:
            return type(default)(args[args.index(name) + 1])
        return default

    if mode in ('run', 'one'):
        minutes = opt('--minutes', 40.0)
        ncmds = opt('--cmds', 100000)
        seed = opt('--seed-start', 1) if mode == 'run' else int(args[1])
        sw_args = opt('--sw-args', '').split()
        sv = Servers('run', noactive='--no-active-expire' in args, sw_args=sw_args)
        sv.start()
        errtexts = {}
        total = 0
        seeds = 0
        t_end = time.time() + minutes * 60
        findings = []
        try:
            while True:
                info, items, n = run_seed(sv, seed, ncmds, errtexts, avoid='--avoid-known' in args,
                                          crash_only='--crash-only' in args)
                total += n
                seeds += 1
                if info:
                    info['noactive'] = sv.noactive
                    name = save_case(info, items)
                    print('seed %d DIVERGENCE after %d cmds: %s -> %s' % (seed, n, json.dumps({k: v for k, v in info.items() if k != 'log'})[:1500], name), flush=True)
                    if info.get('log'):
                        import minimize
                        print(minimize.crash_summary(info['log']), flush=True)
                    findings.append(name)
                    if info['what'] in ('crash', 'conn'):
                        sv.start()
                if mode == 'one' or time.time() > t_end:
                    break
                seed += 1
        finally:
            sv.stop()
        print('TOTAL seeds=%d cmds=%d findings=%d' % (seeds, total, len(findings)))
        for k, v in sorted(errtexts.items(), key=lambda kv: -kv[1]):
            print('ERRTEXT x%d %s\n   redis:    %s\n   swiftlet: %s' % (v, k[0], k[1], k[2]))
        with open(os.path.join(HERE, 'errtexts.json'), 'w') as f:
            json.dump([[list(k), v] for k, v in errtexts.items()], f)
    elif mode == 'replay':
        case = json.load(open(args[1]))
        items = [from_json_item(j) for j in case['items']]
        sv = Servers('replay', noactive=case['info'].get('noactive', False) or '--no-active-expire' in args)
        sv.start()
        try:
            r = Runner(sv, {}, stop_on_errtext='--errtext' in args)
            try:
                execute(r, items)
                print('no divergence')
            except Divergence as d:
                print('DIVERGENCE', json.dumps({k: v for k, v in d.info.items() if k != 'log'}, default=str)[:3000])
                if d.info.get('log'):
                    print(d.info['log'][-3000:])
        finally:
            sv.stop()
    elif mode == 'minimize':
        import minimize
        minimize.main(args[1:])


if __name__ == '__main__':
    main()
