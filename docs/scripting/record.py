#!/usr/bin/env python3
"""
Re-record /tmp/scripting/cases.txt (and cases.json) against a real Redis 7.0.x.

Usage:  python3 record.py [--server /usr/bin/redis-server] [--port 7750] [--out DIR]

The script starts its OWN redis-server (default port 7750, --save '',
--enable-debug-command yes so that the DEBUG PROTOCOL cases work), runs every
case, writes the transcript and shuts the server down.

Transcript format (see header written into cases.txt):
  === case-name            start of a case (fresh connections, RESP2, DB 0)
  # text                   comment / note (not sent)
  ! restart-server         the server was restarted before this case (fresh process)
  > ARGS                   command sent on connection 1, reply read synchronously
  < BYTES                  exact reply bytes (Python-style escapes, no quotes)
  [N]> ARGS / [N]< BYTES   same on connection N
  [N]>> ARGS               command sent on connection N WITHOUT waiting for the reply
  [N]<< BYTES              the pending reply of connection N, read later
  ~ sleep SECONDS          pause
  <~ TEXT                  reply after a documented normalisation filter (see the
                           preceding '# filter:' line); not byte exact
Before every case the recorder silently runs on a separate connection:
  FLUSHALL SYNC, SCRIPT FLUSH SYNC, FUNCTION FLUSH SYNC, CONFIG SET maxmemory 0,
  CONFIG SET busy-reply-threshold 5000, CONFIG SET notify-keyspace-events "",
  DEBUG set-disable-deny-scripts 0, CONFIG RESETSTAT
(SCRIPT FLUSH recreates the EVAL Lua VM, which also resets cjson settings; it does
NOT reset the math.random PRNG, which is process-global.)
"""
import argparse, hashlib, json, os, re, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from respclient import Conn, esc

# ----------------------------------------------------------------------------
# step constructors
def C(*args, conn=1, flt=None):
    if args and str(args[0]).upper() == 'HELLO' and flt is None: flt = 'hello'
    return ('cmd', conn, [str(a) if not isinstance(a, bytes) else a for a in args], flt)
def S(*args, conn=2):             return ('send', conn, [str(a) for a in args], None)
def R(conn=2, flt=None):          return ('read', conn, None, flt)
def SLEEP(t):                     return ('sleep', 0, t, None)
def NOTE(t):                      return ('note', 0, t, None)
def EVAL(script, *rest, conn=1, flt=None):
    if not rest: rest = ('0',)
    return C('EVAL', script, *rest, conn=conn, flt=flt)

CASES = []
def case(name, *steps, fresh=False, note=None):
    CASES.append(dict(name=name, steps=list(steps), fresh=fresh, note=note))

# ----------------------------------------------------------------------------
# filters (used only where output is inherently non deterministic)
def f_cmdstats(b):
    s = b.decode('latin1')
    s = re.sub(r'usec=\d+,usec_per_call=[0-9.]+,', '', s)
    s = s.split('\r\n', 1)[1] if s.startswith('$') else s
    lines = [l for l in s.split('\r\n') if l.startswith('cmdstat_')]
    return ' | '.join(sorted(lines))
def f_errstats(b):
    s = b.decode('latin1')
    lines = [l for l in s.split('\r\n') if l.startswith('errorstat_') or l.startswith('total_error')]
    return ' | '.join(sorted(lines))
def f_monitor(b):
    s = esc(b)
    return re.sub(r'^\+\d+\.\d+ \[(\d+) [^\]]+\]', r'+<ts> [\1 <client>]', s) if '[0 lua]' not in s else re.sub(r'^\+\d+\.\d+ ', '+<ts> ', s)
def f_duration(b):
    return re.sub(r'duration_ms\\r\\n:\d+', 'duration_ms\\\\r\\\\n:<ms>', esc(b))
def f_info_scripts(b):
    s = b.decode('latin1')
    keep = ('number_of_cached_scripts', 'number_of_functions', 'number_of_libraries')
    return ' | '.join(l for l in s.split('\r\n') if l.split(':')[0] in keep)
def f_hello(b):
    return re.sub(r'\$2\\r\\nid\\r\\n:\d+', '$2\\\\r\\\\nid\\\\r\\\\n:<id>', esc(b))
FILTERS = dict(hello=(f_hello, 'client id value replaced by <id>'),
               cmdstats=(f_cmdstats, 'only cmdstat_* lines, usec/usec_per_call removed, sorted, joined by " | "'),
               errstats=(f_errstats, 'only errorstat_* lines, sorted, joined by " | "'),
               monitor=(f_monitor, 'timestamp and client address replaced by placeholders'),
               duration=(f_duration, 'duration_ms value replaced by <ms>'),
               infoscripts=(f_info_scripts, 'only number_of_cached_scripts/number_of_functions/number_of_libraries lines'))

# ============================================================================
#                                   CASES
# ============================================================================

# ---- A. Lua -> RESP2 conversion ---------------------------------------------
case('conv-nested-array', EVAL("return {1,2,{3,'x'}}"))
case('conv-string', EVAL("return 'hello world'"))
case('conv-empty-string', EVAL("return ''"))
case('conv-binary-string', EVAL("return 'a\\0b'"))
case('conv-integer', EVAL("return 42"))
case('conv-negative-integer', EVAL("return -7"))
case('conv-float-truncated', EVAL("return 100.5"))
case('conv-negative-float-truncated-toward-zero', EVAL("return -3.99"))
case('conv-negative-half-becomes-zero', EVAL("return -0.5"))
case('conv-huge-float-int64-min', EVAL("return 1e20"), note='double->long long cast overflow; x86-64 yields INT64_MIN')
case('conv-nan-int64-min', EVAL("return 0/0"))
case('conv-inf-int64-min', EVAL("return 1/0"))
case('conv-2pow53-plus-1', EVAL("return 9007199254740993"), note='Lua numbers are doubles')
case('conv-true', EVAL("return true"))
case('conv-false', EVAL("return false"))
case('conv-nil', EVAL("return nil"))
case('conv-no-return', EVAL("local x = 1"))
case('conv-multiple-returns-first-only', EVAL("return 1, 2"))
case('conv-array-stops-at-nil', EVAL("return {1,nil,3}"))
case('conv-array-leading-nil-empty', EVAL("return {nil,1}"))
case('conv-array-false-is-null', EVAL("return {1,false,3}"))
case('conv-hash-only-table-empty', EVAL("return {a=1,b=2}"))
case('conv-mixed-table-array-part-only', EVAL("return {1,2,a=3}"))
case('conv-mixed-scalar-types', EVAL("return {1, '2', 3.7, -0.5, true, false}"))
case('conv-status-table', EVAL("return {ok='fine'}"))
case('conv-status-crlf-sanitised', EVAL("return {ok='a\\r\\nb'}"))
case('conv-status-nonstring-ok-ignored', EVAL("return {ok=5}"))
case('conv-error-table', EVAL("return {err='ERR this is an error'}"))
case('conv-error-table-custom-code', EVAL("return {err='MYCODE custom'}"))
case('conv-error-table-leading-dash-kept', EVAL("return {err='-My err'}"))
case('conv-error-table-empty', EVAL("return {err=''}"))
case('conv-error-table-crlf-sanitised', EVAL("return {err='a\\r\\nb'}"))
case('conv-err-wins-over-ok', EVAL("return {err='E1 x', ok='x'}"))
case('conv-ok-wins-over-array', EVAL("return {1, 2, ok='x'}"))
case('conv-nested-status-error-in-array', EVAL("return {1, {ok='fine'}, {err='BAD thing'}}"))
case('conv-function-is-null', EVAL("return function() end"))
case('conv-deep-nesting', EVAL("return {{{{{{{{{{1}}}}}}}}}}"))
case('conv-return-G-empty-array', EVAL("return _G"))
case('conv-return-redis-table-empty-array', EVAL("return redis"))
case('conv-table-with-metatable-index-ignored', EVAL("local a = {}; setmetatable(a,{__index=function() error('x') end}) return a"))

# ---- B. RESP3 client ----------------------------------------------------------
case('resp3-true-stays-integer', C('HELLO', '3', flt=None), EVAL("return true"))
case('resp3-false-is-resp3-null', C('HELLO', '3'), EVAL("return false"))
case('resp3-nil-is-resp3-null', C('HELLO', '3'), EVAL("return nil"))
case('resp3-array-with-false', C('HELLO', '3'), EVAL("return {true,false}"))
case('resp3-setresp3-booleans', C('HELLO', '3'), EVAL("redis.setresp(3) return {true,false}"))
case('resp2-setresp3-booleans-are-integers', EVAL("redis.setresp(3) return {true,false}"))
case('resp3-double-table', C('HELLO', '3'), EVAL("return {double=3.5}"))
case('resp2-double-table-bulk', EVAL("return {double=3.5}"))
case('resp3-double-0.1-17-digits', C('HELLO', '3'), EVAL("return {double=0.1}"))
case('resp2-double-0.1-17-digits', EVAL("return {double=0.1}"))
case('resp3-double-inf', C('HELLO', '3'), EVAL("return {double=1/0}"))
case('resp3-double-neg-inf', C('HELLO', '3'), EVAL("return {double=-1/0}"))
case('resp3-double-integral', C('HELLO', '3'), EVAL("return {double=3}"))
case('resp3-double-string-ignored', C('HELLO', '3'), EVAL("return {double='3.5'}"))
case('resp3-big-number', C('HELLO', '3'), EVAL("return {big_number='123456789012345678901234567890'}"))
case('resp2-big-number-bulk', EVAL("return {big_number='123456789012345678901234567890'}"))
case('resp3-big-number-crlf-sanitised', C('HELLO', '3'), EVAL("return {big_number='1\\r\\n2'}"))
case('resp3-map-single', C('HELLO', '3'), EVAL("return {map={a=1}}"))
case('resp2-map-flattened', EVAL("return {map={a=1}}"))
case('resp3-map-empty', C('HELLO', '3'), EVAL("return {map={}}"))
case('resp3-map-nested-value', C('HELLO', '3'), EVAL("return {map={a={1,2}}}"))
case('resp3-set-single', C('HELLO', '3'), EVAL("return {set={a=true}}"))
case('resp3-set-value-ignored', C('HELLO', '3'), EVAL("return {set={a=false}}"))
case('resp2-set-flattened', EVAL("return {set={a=true}}"))
case('resp3-verbatim', C('HELLO', '3'), EVAL("return {verbatim_string={format='txt',string='hello'}}"))
case('resp2-verbatim-plain-bulk', EVAL("return {verbatim_string={format='txt',string='hello'}}"))
case('resp3-verbatim-missing-string-falls-to-array', C('HELLO', '3'), EVAL("return {verbatim_string={format='txt'}}"))
case('resp3-mixed-nested', C('HELLO', '3'), EVAL("return {1, {ok='fine'}, {err='BAD thing'}, {double=1.5}, {map={a=1}}, true, false}"))
case('resp3-map-multi-key-order', C('HELLO', '3'), EVAL("return {map={a=1,b=2,c=3}}"),
     note='map/set element order is Lua next() order over the table (hash layout dependent), not insertion order')
case('resp3-set-multi-order', C('HELLO', '3'), EVAL("return {set={x=true,y=true,z=true}}"))
case('cjson-encode-object-key-order', EVAL("return cjson.encode({a=1,b=2,c=3,d=4})"))
case('resp3-error-table', C('HELLO', '3'), EVAL("return {err='E1 x'}"))

# ---- C. RESP -> Lua conversion (redis.call replies) ---------------------------
case('r2l-integer', C('SET', 'x', '0'), EVAL("local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo}", '1', 'x'))
case('r2l-bulk', C('SET', 'mykey', 'myval'), EVAL("local foo = redis.pcall('get',KEYS[1]) return {type(foo),foo}", '1', 'mykey'))
case('r2l-multibulk', C('RPUSH', 'mylist', 'a', 'b', 'c'), EVAL("local foo = redis.pcall('lrange',KEYS[1],0,-1) return {type(foo),foo[1],foo[2],foo[3],#foo}", '1', 'mylist'))
case('r2l-status-is-ok-table', EVAL("local foo = redis.pcall('set',KEYS[1],'myval') return {type(foo),foo['ok']}", '1', 'mykey'))
case('r2l-status-returned-as-status', EVAL("return redis.call('ping')"))
case('r2l-error-is-err-table', C('SET', 'mykey', 'myval'), EVAL("local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo['err']}", '1', 'mykey'))
case('r2l-error-table-fields', C('SET', 'mykey', 'myval'), EVAL("local t = redis.pcall('incr','mykey') local ks={} for k,v in pairs(t) do ks[#ks+1]=k..'='..tostring(v) end table.sort(ks) return ks"))
case('r2l-null-bulk-is-false', EVAL("local foo = redis.pcall('get','nokey') return {type(foo), tostring(foo)}"))
case('r2l-null-in-array-false', C('SET', 'a', '1'), EVAL("return redis.call('mget','a','nokey','a')"))
case('r2l-null-multibulk-false', EVAL("return tostring(redis.call('blmpop','0','1','emptylist','LEFT'))"))
case('r2l-empty-array', EVAL("return redis.call('lrange','nokey',0,-1)"))
case('r2l-set-nx-null-in-table', C('SET', 'k', 'v'), EVAL("return {redis.call('set','k','v','nx')}"))
case('r2l-number-args-17g', EVAL("redis.call('set','n',0.1) return redis.call('get','n')"))
case('r2l-number-args-integer', EVAL("redis.call('set','n',100) return redis.call('get','n')"))
case('r2l-number-args-exp', EVAL("redis.call('set','n',1e20) return redis.call('get','n')"))
case('r2l-number-args-neg-zero', EVAL("redis.call('set','n',-0) return redis.call('get','n')"))
case('r2l-big-int-precision', EVAL("local value = 9007199254740991 redis.call('set','foo',value) return redis.call('get','foo')"))
case('r2l-string-number-precision', EVAL("redis.call('set','key','12039611435714932082') return redis.call('get','key')"))
case('r2l-command-name-case-insensitive', EVAL("return redis.call('SeT','k','v')"))
case('r2l-select-inside-script-isolated', EVAL("redis.call('select','1') redis.call('set','db1key','v') return redis.call('get','db1key')"), EVAL("return redis.call('get','db1key')"), C('GET', 'db1key'))
case('r2l-resp3-map', C('HSET', 'h', 'f', 'v'), EVAL("redis.setresp(3) local r = redis.call('hgetall','h') return {type(r.map), r.map.f}"))
case('r2l-resp3-map-passthrough-resp3', C('HSET', 'h', 'f', 'v'), C('HELLO', '3'), EVAL("redis.setresp(3) return redis.call('hgetall','h')"))
case('r2l-resp3-map-passthrough-resp2', C('HSET', 'h', 'f', 'v'), EVAL("redis.setresp(3) return redis.call('hgetall','h')"))
case('r2l-resp3-set', C('SADD', 's', 'm'), EVAL("redis.setresp(3) local r = redis.call('smembers','s') return {type(r.set), tostring(r.set.m)}"))
case('r2l-resp3-set-passthrough-resp3', C('SADD', 's', 'm'), C('HELLO', '3'), EVAL("redis.setresp(3) return redis.call('smembers','s')"))
case('r2l-resp3-double', C('ZADD', 'z', '1.5', 'a'), EVAL("redis.setresp(3) local r = redis.call('zscore','z','a') return {type(r), type(r.double), tostring(r.double)}"))
case('r2l-resp3-double-passthrough-resp3', C('ZADD', 'z', '1.5', 'a'), C('HELLO', '3'), EVAL("redis.setresp(3) return redis.call('zscore','z','a')"))
case('r2l-resp3-double-passthrough-resp2', C('ZADD', 'z', '1.5', 'a'), EVAL("redis.setresp(3) return redis.call('zscore','z','a')"))
case('r2l-resp3-null-is-nil', EVAL("redis.setresp(3) return {type(redis.call('get','nokey'))}"))
case('r2l-resp3-null-passthrough-resp3', C('HELLO', '3'), EVAL("redis.setresp(3) return redis.call('get','nokey')"))
case('r2l-resp2-null-passthrough-resp3', C('HELLO', '3'), EVAL("return redis.call('get','nokey')"))
case('r2l-resp3-withscores-nested-double', C('ZADD', 'z', '1.5', 'a'), EVAL("redis.setresp(3) local r = redis.call('zrange','z','0','-1','withscores') return {type(r[1][2]), tostring(r[1][2].double)}"))
case('setresp-invalid-version', EVAL("return redis.setresp(4)"))
case('setresp-no-args', EVAL("return redis.setresp()"))
case('setresp-numeric-string-accepted', EVAL("return redis.setresp('3')"))
for t in ['bignum', 'verbatim', 'true', 'false', 'null', 'double', 'set', 'attrib']:
    case('debug-protocol-%s-lua-view' % t, C('DEBUG', 'set-disable-deny-scripts', '1'),
         EVAL("redis.setresp(3) local r = redis.call('debug','protocol','%s') if type(r) == 'table' then local o = {} for k,v in pairs(r) do o[#o+1] = tostring(k)..'='..(type(v)=='table' and 'table' or tostring(v)) end table.sort(o) return 'table:'..table.concat(o, ',') else return type(r)..':'..tostring(r) end" % t),
         C('DEBUG', 'set-disable-deny-scripts', '0'))
    case('debug-protocol-%s-resp3-client' % t, C('DEBUG', 'set-disable-deny-scripts', '1'), C('HELLO', '3'),
         EVAL("redis.setresp(3) return redis.call('debug','protocol','%s')" % t), C('DEBUG', 'set-disable-deny-scripts', '0'))
case('debug-protocol-verbatim-fields', C('DEBUG', 'set-disable-deny-scripts', '1'),
     EVAL("redis.setresp(3) local r = redis.call('debug','protocol','verbatim') return {r.verbatim_string.format, r.verbatim_string.string}"),
     C('DEBUG', 'set-disable-deny-scripts', '0'))

# ---- D. errors: compile / runtime / error objects ---------------------------
case('err-compile-eof', EVAL("return ("))
case('err-compile-equals-expected', EVAL("retur 1"))
case('err-compile-line-number', EVAL("\n\nreturn +"))
case('err-compile-unfinished-string', EVAL("return 'abc"))
case('err-compile-eof-expected', EVAL("return 1 end"))
case('err-compile-not-cached', EVAL("return ("), C('SCRIPT', 'EXISTS', '4d3cb3ec9ad8a5e4a9da9b3d36cbf9b4c9f57ee1'))
case('err-runtime-undefined-global', EVAL("return x.y"))
case('err-runtime-error-string', EVAL("error('boom')"))
case('err-runtime-error-level0', EVAL("error('boom', 0)"))
case('err-runtime-error-nil', EVAL("error(nil)"))
case('err-runtime-error-number', EVAL("error(12)"))
case('err-runtime-error-boolean', EVAL("error(true)"))
case('err-runtime-error-table-code', EVAL("error({err='X y'})"))
case('err-runtime-error-table-dash', EVAL("error({err='-X y'})"))
case('err-runtime-error-table-nocode', EVAL("error({err='nocode'})"))
case('err-runtime-error-table-number-err', EVAL("error({err=12})"))
case('err-runtime-error-table-user-source-line-overwritten', EVAL("error({err='E1 x', source='src', line=5})"))
case('err-runtime-error-crlf-sanitised', EVAL("error('a\\r\\nb')"))
case('err-runtime-error-table-crlf-sanitised', EVAL("error({err='a\\r\\nb'})"))
case('err-runtime-nested-function-line', EVAL("local function f()\n  error('deep')\nend\nreturn f()"))
case('err-runtime-arith', EVAL("return 1 + {}"))
case('err-runtime-index-local', EVAL("local x = nil; return x.y"))
case('err-runtime-call-method-nil', EVAL("return ('x'):bad()"))
case('err-runtime-bad-argument', EVAL("return string.rep()"))
case('err-runtime-assert', EVAL("assert(false)"))
case('err-runtime-assert-msg', EVAL("assert(false, 'custom')"))
case('err-runtime-shebang-keeps-line-numbers', EVAL("#!lua\n\nerror('x')"))
case('err-error-reply-helper', EVAL("return redis.error_reply('My err')"))
case('err-error-reply-helper-dash', EVAL("return redis.error_reply('-My err')"))
case('err-error-reply-helper-no-space', EVAL("return redis.error_reply('MYCODE')"))
case('err-error-reply-helper-empty', EVAL("return redis.error_reply('')"))
case('err-error-reply-helper-crlf', EVAL("return redis.error_reply('ERR a\\r\\nb')"))
case('err-error-reply-helper-bad-arg', EVAL("return redis.error_reply(1)"))
case('err-error-reply-helper-no-arg-table', EVAL("local t = redis.error_reply() return t.err"))
case('err-error-reply-helper-table-shape', EVAL("local t = redis.error_reply('MY x') local ks={} for k,v in pairs(t) do ks[#ks+1]=k..'='..tostring(v) end table.sort(ks) return ks"))
case('err-status-reply-helper', EVAL("return redis.status_reply('MY_OK_CODE custom msg')"))
case('err-status-reply-helper-bad-arg', EVAL("return redis.status_reply()"))
case('err-status-reply-helper-number', EVAL("return redis.status_reply(1)"))
case('err-raise-pcall-error-table', EVAL("local t = redis.pcall('nosuch') error(t)"))
case('err-return-pcall-error-table', EVAL("local t = redis.pcall('nosuch') return t"))

# ---- E. redis.call / redis.pcall errors -------------------------------------
case('call-unknown-command', EVAL("return redis.call('nosuchcmd')"))
case('pcall-unknown-command', EVAL("return redis.pcall('nosuchcmd')"))
case('call-wrong-arity', EVAL("return redis.call('get','a','b')"))
case('pcall-wrong-arity', EVAL("return redis.pcall('get','a','b')"))
case('call-wrong-arity-set', EVAL("redis.call('set','invalid')"))
case('call-wrongtype', C('SET', 'str', 'v'), EVAL("return redis.call('lpush','str','x')"))
case('pcall-wrongtype', C('SET', 'str', 'v'), EVAL("return redis.pcall('lpush','str','x')"))
case('call-command-error-select', EVAL("return redis.call('select',99)"))
case('call-table-argument', EVAL("return redis.call('get',{})"))
case('pcall-table-argument', EVAL("return redis.pcall('get',{})"))
case('call-nil-argument', EVAL("return redis.call('get',nil)"))
case('call-boolean-argument', EVAL("return redis.call('get',true)"))
case('call-no-arguments', EVAL("return redis.call()"))
case('pcall-no-arguments', EVAL("return redis.pcall()"))
case('call-argv-cache-survives-error', EVAL("local x={} return redis.call('ping', x)"), EVAL("return redis.call('ping','asdf')"))
case('call-error-in-nested-function-line', EVAL("local function f()\n  return redis.call('nosuch')\nend\n\nreturn f()"))
case('lua-pcall-on-redis-call-gives-string', EVAL("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), type(e), e}"))
case('lua-pcall-error-table-unwrapped', EVAL("local ok, e = pcall(error, {err='X y'}) return {tostring(ok), type(e), e}"))
case('lua-pcall-error-table-without-err-kept', EVAL("local ok, e = pcall(error, {foo='X y'}) return {tostring(ok), type(e), e.foo}"))
case('lua-pcall-error-string-position', EVAL("local ok, e = pcall(function() error('msg') end) return {tostring(ok), e}"))
case('lua-xpcall-keeps-table', EVAL("local ok, e = xpcall(function() return redis.call('nosuch') end, function(e) return e end) return {tostring(ok), type(e), e.err}"))
case('lua-pcall-success-multi', EVAL("local ok, a, b = pcall(function() return 1, 2 end) return {tostring(ok), a, b}"))
case('lua-pcall-no-args', EVAL("return {pcall()}"))
for cmd in [['eval', 'return 1', '0'], ['multi'], ['exec'], ['watch', 'k'], ['subscribe', 'ch'], ['blpop', 'l', '0'], ['brpoplpush', 'a', 'b', '0'],
            ['script', 'load', 'return 1'], ['function', 'list'], ['fcall', 'f', '0'], ['client', 'list'], ['config', 'get', 'maxmemory'],
            ['hello'], ['auth', 'x'], ['monitor'], ['shutdown'], ['debug', 'sleep', '0'], ['save'], ['cluster', 'reset', 'hard'], ['wait', '0', '0']]:
    lua_args = ','.join("'%s'" % a for a in cmd)
    case('noscript-%s' % '-'.join(cmd[:2] if cmd[0] in ('script', 'function', 'client', 'config', 'cluster', 'debug') else cmd[:1]),
         EVAL("return redis.pcall(%s)" % lua_args))
case('noscript-call-variant-raises', EVAL("return redis.call('eval','return 1','0')"))
case('script-xread-block-rejected', EVAL("return redis.pcall('xread','BLOCK',0,'STREAMS','s','$')"))
case('script-xread-nonblocking-ok', C('XADD', 's', '1-1', 'f', 'v'), EVAL("return redis.pcall('xread','STREAMS','s','0')"))
case('script-blmpop-does-not-block', EVAL("return redis.pcall('blmpop','0','1','emptyl','LEFT')"))
case('script-publish-allowed', EVAL("return redis.call('publish','ch','x')"))
case('script-many-args-unpack', EVAL("local x={} for i=1,100 do x[i]=i end redis.call('rpush','mylist',unpack(x)) return redis.call('llen','mylist')"))

# ---- F. globals protection / readonly tables -------------------------------
case('glob-read-undefined', EVAL("return a"))
case('glob-write-new', EVAL("a = 10"))
case('glob-write-existing', EVAL("redis = function() return 1 end"))
case('glob-write-G', EVAL("_G = {}"))
case('glob-write-via-G', EVAL("_G.x = 1"))
case('glob-rawset-G', EVAL("rawset(_G, 'x', 1)"))
case('glob-setmetatable-G', EVAL("setmetatable(_G, {})"))
case('glob-modify-G-metatable', EVAL("local g = getmetatable(_G) g.__index = {}"))
case('glob-rawget-undefined-ok', EVAL("return rawget(_G, 'nonexistent')"))
case('glob-KEYS-reassign', EVAL("KEYS = {}"))
case('glob-KEYS-mutable', EVAL("KEYS[1] = 'k' return KEYS[1]"))
case('ro-redis-table', EVAL("redis.call = function() return 1 end"))
case('ro-string-table', EVAL("string.len = nil"))
case('ro-math-table', EVAL("math.pi = 3"))
case('ro-table-table', EVAL("table.sort = nil"))
case('ro-cjson-table', EVAL("cjson.encode = function() return 1 end"))
case('ro-cmsgpack-table', EVAL("cmsgpack.pack = function() return 1 end"))
case('ro-bit-table', EVAL("bit.lshift = function() return 1 end"))
case('ro-struct-table', EVAL("struct.pack = nil"))
case('ro-string-metatable', EVAL("local mt = getmetatable('') mt.__index = {} return 1"), note='read-only only in patched builds (CVE-2025-46818); upstream 7.0.15 allows this')
case('ro-setmetatable-redis', EVAL("setmetatable(redis, nil)"))
case('local-tables-writable', EVAL("local t = {} t.x = 1 return t.x"))
case('loadstring-chunk-global-write', EVAL("local f = loadstring('b = 1') local ok, e = pcall(f) return e"))
case('loadstring-chunk-global-read', EVAL("local f = loadstring('return a') local ok, e = pcall(f) return e"))

# ---- G. environment ---------------------------------------------------------
case('env-globals-list', EVAL("local t={} for k,v in pairs(_G) do t[#t+1]=k..':'..type(v) end table.sort(t) return t"))
case('env-redis-table-list', EVAL("local t={} for k,v in pairs(redis) do t[#t+1]=k..':'..(type(v)=='number' and tostring(v) or type(v)) end table.sort(t) return t"))
for lib in ['string', 'math', 'table', 'coroutine', 'cjson', 'bit', 'struct', 'cmsgpack']:
    case('env-%s-members' % lib, EVAL("local t={} for k,v in pairs(%s) do t[#t+1]=k..':'..type(v) end table.sort(t) return t" % lib))
for name in ['print', 'dofile', 'loadfile', 'require', 'os', 'io', 'debug', 'package', 'module', 'getfenv', 'setfenv', 'newproxy']:
    case('env-missing-%s' % name, EVAL("return type(%s)" % name))
case('env-version', EVAL("return _VERSION"))
case('env-redis-version', EVAL("return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}"))
case('env-constants', EVAL("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL, redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"))
case('env-KEYS-ARGV', EVAL("return {KEYS[1],KEYS[2],ARGV[1],ARGV[2],#KEYS,#ARGV}", '2', 'a{t}', 'b{t}', 'c{t}', 'd{t}'))
case('env-KEYS-ARGV-empty', EVAL("return {#KEYS, #ARGV}"))
case('env-coroutines-work', EVAL("return coroutine.wrap(function() coroutine.yield(5) end)()"))
case('env-loadstring-works', EVAL("return loadstring('return 7')()"))
case('env-loadstring-bytecode-rejected', EVAL("return select(2, loadstring(string.dump(function() return 1 end)))"))
case('env-loadstring-syntax-error-message', EVAL("return select(2, loadstring('return 1+'))"))
case('env-binary-code-call-fails', EVAL("return loadstring(string.dump(function() return 1 end))()"))
case('env-err-handler-global', EVAL("local t = __redis__err__handler('x') return {t.err, t.source, t.line}"))
case('env-breakpoint-debug-outside-debugger', EVAL("return {tostring(redis.breakpoint()), select('#', redis.debug('x'))}"))
case('env-replicate-commands', EVAL("return redis.replicate_commands()"))
case('env-set-repl-ok', EVAL("return redis.set_repl(redis.REPL_ALL)"))
case('env-set-repl-invalid', EVAL("redis.set_repl(12345)"))
case('env-set-repl-no-args', EVAL("redis.set_repl()"))
case('env-log-ok', EVAL("return redis.log(redis.LOG_WARNING, 'hello', 'world', 1, {})"))
case('env-log-one-arg', EVAL("return redis.log(redis.LOG_WARNING)"))
case('env-log-bad-level-type', EVAL("return redis.log('x', 'y')"))
case('env-log-bad-level', EVAL("return redis.log(5, 'y')"))
case('env-sha1hex', EVAL("return {redis.sha1hex(''), redis.sha1hex('Pizza & Mandolino'), redis.sha1hex(1), redis.sha1hex({})}"))
case('env-sha1hex-wrong-args', EVAL("return redis.sha1hex()"))
case('env-acl-check-cmd-ok', EVAL("return redis.acl_check_cmd('set','xx',1)"))
case('env-acl-check-cmd-invalid', EVAL("return redis.acl_check_cmd('invalid-cmd','arg')"))
case('env-acl-check-cmd-no-args', EVAL("return redis.acl_check_cmd()"))
case('env-acl-restricted-user',
     C('ACL', 'SETUSER', 'bob', 'on', '>pw', '+@scripting', '+get', '~x*'),
     C('AUTH', 'bob', 'pw', conn=2),
     EVAL("return redis.acl_check_cmd('set','x1','v')", conn=2),
     EVAL("return redis.acl_check_cmd('get','yy')", conn=2),
     EVAL("return redis.acl_check_cmd('get','x2')", conn=2),
     EVAL("return redis.call('set','x1','v')", conn=2),
     EVAL("return redis.pcall('get','yy')", conn=2),
     EVAL("return 1", '1', 'yy', conn=2),
     C('ACL', 'DELUSER', 'bob'))

# ---- H. shebang / flags / read-only -----------------------------------------
case('shebang-plain', EVAL("#!lua\nreturn 1"))
case('shebang-no-newline', EVAL("#!lua"))
case('shebang-only-newline', EVAL("#!lua\n"))
case('shebang-bare', EVAL("#!\nreturn 1"))
case('shebang-other-engine', EVAL("#!not-lua\nreturn 1"))
case('shebang-engine-case-sensitive', EVAL("#!LUA\nreturn 1"))
case('shebang-unknown-option', EVAL("#!lua badger=data\nreturn 1"))
case('shebang-name-option-rejected', EVAL("#!lua name=x\nreturn 1"))
case('shebang-unknown-flag', EVAL("#!lua flags=allow-oom,what?\nreturn 1"))
case('shebang-flag-case-sensitive', EVAL("#!lua flags=NO-WRITES\nreturn 1"))
case('shebang-trailing-comma-empty-flag', EVAL("#!lua flags=no-writes,\nreturn 1"))
case('shebang-empty-flags', EVAL("#!lua flags=\nreturn 1"))
case('shebang-all-flags', EVAL("#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1"))
case('shebang-crlf', EVAL("#!lua flags=no-writes\r\nreturn 1"))
case('shebang-unbalanced-quotes', EVAL("#!lua \"unterminated\nreturn 1"))
case('shebang-leading-space-not-shebang', EVAL(" #!lua\nreturn 1"))
case('shebang-no-writes-write', EVAL("#!lua flags=no-writes\nreturn redis.call('set','k','v')"))
case('shebang-no-writes-may-replicate', EVAL("#!lua flags=no-writes\nreturn redis.call('publish','ch','x')"))
case('shebang-no-writes-read-ok', C('SET', 'k', 'v'), EVAL("#!lua flags=no-writes\nreturn redis.call('get','k')"))
case('eval-ro-write', C('EVAL_RO', "return redis.call('set','k','v')", '1', 'k'))
case('eval-ro-pcall-write', C('EVAL_RO', "return redis.pcall('set','k','v')", '0'))
case('eval-ro-read', C('SET', 'k', 'v'), C('EVAL_RO', "return redis.call('get',KEYS[1])", '1', 'k'))
case('eval-ro-shebang-without-no-writes', C('EVAL_RO', "#!lua\nreturn 1", '0'))
case('eval-ro-shebang-no-writes', C('EVAL_RO', "#!lua flags=no-writes\nreturn 1", '0'))
case('evalsha-ro-write', C('SCRIPT', 'LOAD', "return redis.call('set','k','v')"), C('EVALSHA_RO', hashlib.sha1(b"return redis.call('set','k','v')").hexdigest(), '0'))

# ---- I. script cache --------------------------------------------------------
case('cache-script-load', C('SCRIPT', 'LOAD', "return 'loaded'"), C('EVALSHA', 'b534286061d4b9e4026607613b95c06c06015ae8', '0'))
case('cache-eval-caches', EVAL("return 1+1"), C('SCRIPT', 'EXISTS', 'a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bd9', 'a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda'))
case('cache-exists-case-insensitive', C('SCRIPT', 'LOAD', 'return 1'), C('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', 'abc'))
case('cache-evalsha-uppercase', C('SCRIPT', 'LOAD', 'return 1'), C('EVALSHA', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', '0'))
case('cache-noscript', C('EVALSHA', 'ffd632c7d33e571e9f24556ebed26c3479a87130', '0'))
case('cache-noscript-short-sha', C('EVALSHA', 'NotValidShaSUM', '0'))
case('cache-noscript-empty-sha', C('EVALSHA', '', '0'))
case('cache-flush', C('SCRIPT', 'LOAD', 'return 1'), C('SCRIPT', 'FLUSH'), C('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'))
case('cache-flush-async-sync', C('SCRIPT', 'FLUSH', 'ASYNC'), C('SCRIPT', 'FLUSH', 'sync'), C('SCRIPT', 'FLUSH', 'bad'), C('SCRIPT', 'FLUSH', 'sync', 'x'))
case('cache-load-compile-error', C('SCRIPT', 'LOAD', 'return ('))
case('cache-load-bad-shebang', C('SCRIPT', 'LOAD', '#!lua flags=bad\nreturn 1'))
case('cache-load-arity', C('SCRIPT', 'LOAD'), C('SCRIPT', 'LOAD', 'a', 'b'))
case('cache-exists-arity', C('SCRIPT', 'EXISTS'))
case('cache-unknown-subcommand', C('SCRIPT', 'NOPE'))
case('cache-script-no-args', C('SCRIPT'))
case('cache-help', C('SCRIPT', 'HELP'))
case('cache-info-counts', C('SCRIPT', 'LOAD', 'return 1'), EVAL('return 2'), EVAL('return ('), C('INFO', 'memory', flt='infoscripts'))
case('cache-runtime-error-still-cached', EVAL("error('x')"), C('SCRIPT', 'EXISTS', hashlib.sha1(b"error('x')").hexdigest()))
case('cache-kill-notbusy', C('SCRIPT', 'KILL'))
case('cache-debug-bad-arg', C('SCRIPT', 'DEBUG', 'maybe'))
case('cache-debug-in-multi', C('MULTI'), C('SCRIPT', 'DEBUG', 'YES'), C('EXEC'))
case('cache-debug-evalsha-refused', C('SCRIPT', 'LOAD', 'return 1'), C('SCRIPT', 'DEBUG', 'YES'), C('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'), C('SCRIPT', 'DEBUG', 'NO'))
case('cache-debug-sync-session',
     C('SCRIPT', 'DEBUG', 'SYNC'),
     C('EVAL', "local a = 1\nredis.debug(a)\nreturn redis.call('ping')", '0'),
     C('step'), C('print'), C('redis', 'ping'), C('eval', 'return 5'), C('continue'), R(conn=1),
     note='debugger session: replies are arrays of status lines; connection is closed after the final EVAL reply')

# ---- J. numkeys / arity -----------------------------------------------------
case('numkeys-not-integer', EVAL('return 1', 'x'))
case('numkeys-float', EVAL('return 1', '1.5'))
case('numkeys-empty', EVAL('return 1', ''))
case('numkeys-leading-zero', EVAL("return {KEYS[1],ARGV[1]}", '01', 'a', 'b'))
case('numkeys-too-many', EVAL('return 1', '1'))
case('numkeys-negative', EVAL('return 1', '-12'))
case('numkeys-overflow', EVAL('return 1', '99999999999999999999'))
case('numkeys-checked-before-compile', EVAL('not valid lua', '5'))
case('eval-arity', C('EVAL', 'return 1'))
case('evalsha-numkeys-checked-after-sha-length', C('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', 'x'), C('EVALSHA', 'abc', 'x'))
case('eval-extra-args-ignored', EVAL('return ARGV[1]', '0', 'extra'))

# ---- K. transactions / WATCH ------------------------------------------------
case('multi-eval-queued',
     C('MULTI'), EVAL("return redis.call('incr','mk')"), EVAL("return redis.call('incr','mk')"), EVAL("return ("),
     C('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'), C('EXEC'))
case('multi-eval-bad-numkeys-runtime', C('MULTI'), EVAL('return 1', 'x'), C('EXEC'))
case('multi-eval-arity-aborts', C('MULTI'), C('EVAL', 'return 1'), C('EXEC'))
case('multi-script-load-then-evalsha', C('MULTI'), C('SCRIPT', 'LOAD', 'return 42'), C('EVALSHA', '1fa00e76656cc152ad327c13fe365858fd7be306', '0'), C('EXEC'))
case('multi-eval-calling-multi', C('MULTI'), EVAL("return redis.call('multi')"), C('EXEC'))
case('watch-invalidated-by-script',
     C('WATCH', 'wk'), EVAL("redis.call('set','wk','1')", conn=2), C('MULTI'), C('GET', 'wk'), C('EXEC'))

# ---- L. OOM -----------------------------------------------------------------
case('oom-scripts',
     C('SET', 'x', '123'),
     C('FUNCTION', 'LOAD', "#!lua name=oom\nredis.register_function('w', function(k) return redis.call('set',k[1],'1') end)\nredis.register_function{function_name='wo', callback=function(k) return redis.call('set',k[1],'1') end, flags={'allow-oom'}}"),
     C('CONFIG', 'SET', 'maxmemory', '1'),
     EVAL("return redis.call('set','x','1')", '1', 'x'),
     EVAL("return redis.pcall('set','x','1')", '1', 'x'),
     EVAL("return redis.call('get','x')", '1', 'x'),
     EVAL("return 1"),
     EVAL("#!lua\nreturn 1"),
     EVAL("#!lua flags=\nreturn 1"),
     EVAL("#!lua flags=allow-oom\nreturn redis.call('set','x','2')", '1', 'x'),
     EVAL("#!lua flags=no-writes\nreturn redis.call('get','x')", '1', 'x'),
     C('EVAL_RO', "return redis.call('get','x')", '1', 'x'),
     EVAL("redis.call('del','nokey') return redis.call('set','x','3')", '1', 'x'),
     C('FCALL', 'w', '1', 'x'),
     C('FCALL', 'wo', '1', 'x'),
     C('SCRIPT', 'LOAD', 'return 99'),
     C('FUNCTION', 'LOAD', "#!lua name=new\nredis.register_function('n', function() return 1 end)"),
     C('CONFIG', 'SET', 'maxmemory', '0'))

# ---- M. BUSY / KILL ---------------------------------------------------------
case('busy-eval-script-kill',
     C('CONFIG', 'SET', 'busy-reply-threshold', '100'),
     S('EVAL', 'local i = 0 while true do i = i + 1 end', '0', conn=2),
     SLEEP(0.4),
     C('PING'), C('GET', 'x'), C('NOSUCHCMD'), C('GET'), C('FUNCTION', 'STATS'), C('FUNCTION', 'KILL'),
     C('MULTI'), C('EXEC'),
     C('SCRIPT', 'KILL'), SLEEP(0.2), R(conn=2), C('PING'))
case('busy-eval-pcall-loop-still-killable',
     C('CONFIG', 'SET', 'busy-reply-threshold', '100'),
     S('EVAL', "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end", '0', conn=2),
     SLEEP(0.4), C('PING'), C('SCRIPT', 'KILL'), SLEEP(0.3), R(conn=2), C('PING'))
case('busy-eval-unkillable-after-write',
     C('CONFIG', 'SET', 'busy-reply-threshold', '100'),
     S('EVAL', "redis.call('set','x','y') local t = redis.call('time') while true do if tonumber(redis.call('time')[1]) > tonumber(t[1]) + 1 then break end end return 'done'", '0', conn=2),
     SLEEP(0.4), C('SCRIPT', 'KILL'), C('FUNCTION', 'KILL'), C('PING'), SLEEP(2.2), R(conn=2), C('GET', 'x'))
case('busy-fcall-function-kill',
     C('CONFIG', 'SET', 'busy-reply-threshold', '100'),
     C('FUNCTION', 'LOAD', "#!lua name=busy\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)"),
     S('FCALL', 'spin', '0', 'arg1', conn=2),
     SLEEP(0.4), C('PING'), C('SCRIPT', 'KILL'), C('FUNCTION', 'STATS', flt='duration'), C('FUNCTION', 'KILL'), SLEEP(0.2), R(conn=2), C('PING'))

# ---- N. math.random ---------------------------------------------------------
case('random-fresh-server-sequence',
     EVAL("local t={} for i=1,5 do t[i]=string.format('%.17g', math.random()) end return t"),
     EVAL("local t={} for i=1,5 do t[i]=string.format('%.17g', math.random()) end return t"),
     EVAL("return tostring(math.random())"),
     EVAL("local t={} for i=1,10 do t[i]=math.random(100) end return t"),
     EVAL("local t={} for i=1,10 do t[i]=math.random(1,6) end return t"),
     fresh=True, note='PRNG state is process-global: it continues across EVAL calls and is not reset by SCRIPT FLUSH')
case('random-not-reset-by-script-flush',
     EVAL("return string.format('%.17g', math.random())"), C('SCRIPT', 'FLUSH'), EVAL("return string.format('%.17g', math.random())"),
     fresh=True)
case('random-seeded',
     EVAL("math.randomseed(0) local t={} for i=1,3 do t[i]=string.format('%.17g', math.random()) end return t"),
     EVAL("math.randomseed(10) local t={} for i=1,3 do t[i]=string.format('%.17g', math.random()) end return t"),
     EVAL("math.randomseed(ARGV[1]) return tostring(math.random())", '0', '10'),
     EVAL("math.randomseed(-1) return string.format('%.17g', math.random())"))
case('random-errors', EVAL("return math.random(0)"), EVAL("return math.random(3,1)"), EVAL("return math.random(1,2,3)"), EVAL("return math.randomseed()"))
case('random-fcall-shares-state',
     C('FUNCTION', 'LOAD', "#!lua name=rnd\nredis.register_function('rnd', function() return string.format('%.17g', math.random()) end)"),
     C('FCALL', 'rnd', '0'), EVAL("return string.format('%.17g', math.random())"), C('FCALL', 'rnd', '0'),
     fresh=True)

# ---- O. FUNCTION / FCALL ----------------------------------------------------
LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return {keys[1], args[1]} end)"
case('fn-load-and-call', C('FUNCTION', 'LOAD', LIB), C('FCALL', 'myfunc', '1', 'k', 'a'), C('FCALL_RO', 'myfunc', '0'))
case('fn-name-case-insensitive-fcall', C('FUNCTION', 'LOAD', LIB), C('FCALL', 'MYFUNC', '1', 'k', 'a'))
case('fn-load-exists', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LOAD', 'REPLACE', LIB), C('FUNCTION', 'LOAD', 'replace', LIB))
case('fn-library-names-case-sensitive', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LOAD', "#!lua name=MYLIB\nredis.register_function('other', function() return 1 end)"), C('FUNCTION', 'DELETE', 'MYLIB'), C('FUNCTION', 'DELETE', 'MYLIB'))
case('fn-function-name-collision-case-insensitive', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LOAD', "#!lua name=lib3\nredis.register_function('MyFunc', function() return 1 end)"))
case('fn-list', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LIST'))
case('fn-list-resp3', C('FUNCTION', 'LOAD', LIB), C('HELLO', '3'), C('FUNCTION', 'LIST'))
case('fn-list-withcode', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LIST', 'WITHCODE'))
case('fn-list-libraryname', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'LIST', 'LIBRARYNAME', 'my*'), C('FUNCTION', 'LIST', 'LIBRARYNAME', 'x*'), C('FUNCTION', 'LIST', 'withcode', 'libraryname', 'mylib'))
case('fn-list-errors', C('FUNCTION', 'LIST', 'LIBRARYNAME'), C('FUNCTION', 'LIST', 'bad'), C('FUNCTION', 'LIST', 'withcode', 'withcode'), C('FUNCTION', 'LIST', 'withcode', 'libraryname', 'foo', 'libraryname', 'foo'))
case('fn-list-flags-and-description',
     C('FUNCTION', 'LOAD', "#!lua name=rt\nredis.register_function{function_name='rtf', callback=function() return 1 end, flags={'NO-WRITES', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys', 'allow-oom'}, description='d'}"),
     C('FUNCTION', 'LIST'))
case('fn-list-flags-resp3',
     C('FUNCTION', 'LOAD', "#!lua name=rt\nredis.register_function{function_name='rtf', callback=function() return 1 end, flags={'no-writes'}, description='some desc'}"),
     C('HELLO', '3'), C('FUNCTION', 'LIST'))
case('fn-stats', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'STATS'))
case('fn-stats-resp3', C('FUNCTION', 'LOAD', LIB), C('HELLO', '3'), C('FUNCTION', 'STATS'))
case('fn-delete', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'DELETE', 'mylib'), C('FUNCTION', 'DELETE', 'mylib'), C('FCALL', 'myfunc', '0'), C('FUNCTION', 'DELETE'))
case('fn-fcall-errors', C('FUNCTION', 'LOAD', LIB), C('FCALL', 'myfunc', 'x'), C('FCALL', 'myfunc', '1.0', 'a'), C('FCALL', 'myfunc', '-1'), C('FCALL', 'myfunc', '3', 'a'), C('FCALL', 'nosuch', '0'), C('FCALL', 'nosuch', 'x'), C('FCALL', 'f'))
case('fn-load-option-errors', C('FUNCTION', 'LOAD', 'x', 'y', LIB), C('FUNCTION', 'LOAD'), C('FUNCTION', 'LOAD', 'REPLACE'))
for nm, code in [('missing-metadata', 'return 1'), ('no-name', '#!lua\nreturn 1'), ('name-twice', '#!lua name=a name=b\n'),
                 ('unknown-metadata', '#!lua name=a foo=bar\n'), ('no-newline', '#!lua name=a'), ('unknown-engine', '#!js name=a\n'),
                 ('empty-engine', '#! name=a\n'), ('bad-lib-name', '#!lua name=bad-name\n'), ('empty-lib-name', '#!lua name=\n'),
                 ('no-functions', '#!lua name=nofuncs\nreturn 1'), ('compile-error', '#!lua name=syn\nreturn ('),
                 ('runtime-error', "#!lua name=rt\nerror('boom')"), ('load-no-string-lib', "#!lua name=rt\nlocal x = string.len('a')"),
                 ('load-no-redis-call', "#!lua name=rt\nredis.call('ping')"), ('load-global-write', '#!lua name=rt\nx = 1'),
                 ('load-no-math', '#!lua name=rt\nmath.random()'), ('load-no-setresp', '#!lua name=rt\nredis.setresp(3)'),
                 ('load-no-KEYS', '#!lua name=rt\nlocal a = KEYS'),
                 ('dup-in-library', "#!lua name=rt\nredis.register_function('dupf', function() return 1 end)\nredis.register_function('dupf', function() return 1 end)"),
                 ('reg-no-args', '#!lua name=rt\nredis.register_function()'), ('reg-only-name', "#!lua name=rt\nredis.register_function('a')"),
                 ('reg-not-function', "#!lua name=rt\nredis.register_function('a', 1)"), ('reg-table-name', '#!lua name=rt\nredis.register_function({}, function() end)'),
                 ('reg-three-args', "#!lua name=rt\nredis.register_function('a', function() end, 3)"), ('reg-bad-func-name', "#!lua name=rt\nredis.register_function('a-b', function() end)"),
                 ('reg-empty-func-name', "#!lua name=rt\nredis.register_function('', function() end)"),
                 ('named-missing-callback', "#!lua name=rt\nredis.register_function{function_name='a'}"),
                 ('named-missing-name', '#!lua name=rt\nredis.register_function{callback=function() end}'),
                 ('named-unknown-flag', "#!lua name=rt\nredis.register_function{function_name='a', callback=function() end, flags={'bad'}}"),
                 ('named-flags-not-table', "#!lua name=rt\nredis.register_function{function_name='a', callback=function() end, flags='no-writes'}"),
                 ('named-unknown-arg', "#!lua name=rt\nredis.register_function{function_name='a', callback=function() end, foo=1}"),
                 ('named-callback-not-function', "#!lua name=rt\nredis.register_function{function_name='a', callback=1}"),
                 ('named-name-not-string', "#!lua name=rt\nredis.register_function{function_name={}, callback=function() end}"),
                 ('named-desc-not-string', "#!lua name=rt\nredis.register_function{function_name='a', callback=function() end, description={}}"),
                 ('named-numeric-key', "#!lua name=rt\nredis.register_function{function_name='a', callback=function() end, [1]=2}"),
                 ('load-timeout', "#!lua name=rt\nredis.register_function('tl', function() return 1 end) local i = 0 while true do i = i + 1 end"),
                 ('engine-case-insensitive', "#!LUA name=a\nredis.register_function('lf', function() return 1 end)"),
                 ('name-key-case-insensitive', "#!lua NAME=upper\nredis.register_function('uf', function() return 1 end)"),
                 ('quoted-name', '#!lua name="foo"\nredis.register_function(\'qf\', function() return 1 end)'),
                 ('numeric-function-name', '#!lua name=rt\nredis.register_function(1, function() return 1 end)')]:
    case('fn-load-%s' % nm, C('FUNCTION', 'LOAD', code))
case('fn-register-outside-load',
     C('FUNCTION', 'LOAD', "#!lua name=lib1\nlocal lib = redis\nlib.register_function('f2', function() lib.register_function('f1', function() return 1 end) end)\nredis.register_function('f3', function() return redis.register_function('f4', function() end) end)"),
     C('FCALL', 'f2', '0'), C('FCALL', 'f3', '0'))
case('fn-runtime-env',
     C('FUNCTION', 'LOAD', "#!lua name=env\nredis.register_function('k', function(keys, args) return {type(KEYS), type(ARGV)} end)\n"
                           "redis.register_function('err', function(keys, args)\n  error('fboom')\nend)\n"
                           "redis.register_function('cerr', function(keys, args)\n  return redis.call('nosuch')\nend)\n"
                           "redis.register_function('terr', function() return redis.error_reply('MY fail') end)\n"
                           "redis.register_function('setg', function() x = 1 end)\n"
                           "redis.register_function('args', function(keys, args) return {#keys, #args, keys[1] or 'nil', args[1] or 'nil'} end)\n"
                           "redis.register_function('nargs', function(...) return select('#', ...) end)\n"
                           "redis.register_function('rk', function() local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) return t end)\n"
                           "redis.register_function('ver', function() return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM} end)"),
     C('FCALL', 'k', '0'), C('FCALL', 'err', '0'), C('FCALL', 'cerr', '0'), C('FCALL', 'terr', '0'), C('FCALL', 'setg', '0'),
     C('FCALL', 'args', '2', 'a', 'b', 'c'), C('FCALL', 'nargs', '0'), C('FCALL', 'rk', '0'), C('FCALL', 'ver', '0'))
case('fn-flags-enforced',
     C('FUNCTION', 'LOAD', "#!lua name=fl\nredis.register_function('write', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n"
                           "redis.register_function{function_name='ro', callback=function() return redis.call('set', 'x', '1') end, flags={'no-writes'}}\n"
                           "redis.register_function{function_name='rd', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"),
     C('FCALL', 'write', '1', 'wk', 'v'), C('FCALL_RO', 'write', '1', 'wk', 'v'), C('FCALL', 'ro', '0'), C('FCALL_RO', 'ro', '0'), C('FCALL_RO', 'rd', '1', 'wk'))
case('fn-dump-empty', C('FUNCTION', 'DUMP'))
case('fn-dump-restore',
     C('FUNCTION', 'LOAD', "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"),
     ('dump', 1, None, None),
     NOTE('FUNCTION RESTORE below re-sends the payload returned by the DUMP above'),
     ('restore', 1, [], None), ('restore', 1, ['REPLACE'], None), ('restore', 1, ['FLUSH'], None), ('restore', 1, ['APPEND'], None),
     ('restore', 1, ['BAD'], None), ('restore', 1, ['FLUSH', 'x'], None),
     C('FUNCTION', 'RESTORE', 'garbage'), C('FUNCTION', 'RESTORE'), C('FUNCTION', 'DELETE', 'lib1'), ('restore', 1, [], None), C('FCALL', 'f1', '0'))
case('fn-dump-compressed-payload',
     C('FUNCTION', 'LOAD', "#!lua name=lib2\nredis.register_function{function_name='f2', callback=function() return 2 end, description='desc two', flags={'no-writes','allow-oom'}}"),
     C('FUNCTION', 'DUMP'), note='library code longer than 20 bytes is LZF-compressed inside the RDB string when rdbcompression=yes')
case('fn-flush', C('FUNCTION', 'LOAD', LIB), C('FUNCTION', 'FLUSH', 'ASYNC'), C('FUNCTION', 'LIST'), C('FUNCTION', 'FLUSH', 'SYNC'), C('FUNCTION', 'FLUSH', 'x'), C('FUNCTION', 'FLUSH', 'SYNC', 'x'), C('FUNCTION', 'FLUSH'))
case('fn-kill-notbusy', C('FUNCTION', 'KILL'))
case('fn-unknown-subcommand', C('FUNCTION', 'NOPE'), C('FUNCTION'), C('FUNCTION', 'STATS', 'x'), C('FUNCTION', 'DUMP', 'x'))
case('fn-flushall-keeps-functions', C('FUNCTION', 'LOAD', LIB), C('FLUSHALL'), C('FCALL', 'myfunc', '1', 'k', 'a'))
case('fn-info-counts', C('FUNCTION', 'LOAD', "#!lua name=a\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 1 end)"), C('INFO', 'memory', flt='infoscripts'))
case('fn-multi', C('FUNCTION', 'LOAD', LIB), C('MULTI'), C('FCALL', 'myfunc', '1', 'k', 'a'), C('FCALL', 'nosuch', '0'), C('EXEC'))

# ---- P. cjson / cmsgpack / bit / struct ----------------------------------------
for nm, expr in [('encode-0.1', 'cjson.encode(0.1)'), ('encode-third', 'cjson.encode(1/3)'), ('encode-int', 'cjson.encode(100)'),
                 ('encode-1e20', 'cjson.encode(1e20)'), ('encode-15-digit-int', 'cjson.encode(123456789012345)'), ('encode-neg-zero', 'cjson.encode(-0)'),
                 ('encode-small', 'cjson.encode(-1e-7)'), ('encode-array', 'cjson.encode({1,2,3})'), ('encode-empty-table', 'cjson.encode({})'),
                 ('encode-object', "cjson.encode({a=1})"), ('encode-holes', 'cjson.encode({1,nil,3})'), ('encode-sparse-ok', 'cjson.encode({[1]=1,[2]=2,[5]=5})'),
                 ('encode-escapes', "cjson.encode('a/b\"c\\n\\1\\127')"), ('encode-utf8-raw', "cjson.encode('\\226\\130\\172')"),
                 ('encode-null', 'cjson.encode(cjson.null)'), ('encode-nil', 'cjson.encode(nil)'), ('encode-float-key', 'cjson.encode({[1.5]=1})'),
                 ('decode-big-int-to-double', "string.format('%.17g', cjson.decode('12345678901234567890'))"),
                 ('decode-array', "cjson.decode('[1,2,3]')"), ('decode-floats', "table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')"),
                 ('decode-object', "(function() local d = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}') return {d.keya, d.keyb} end)()"),
                 ('decode-null-is-userdata', "{type(cjson.decode('null')), tostring(cjson.decode('null') == cjson.null)}"),
                 ('decode-unicode-escape', "cjson.decode('\"\\\\u20ac\"')"), ('decode-hex-number', "tostring(cjson.decode('0x10'))"),
                 ('decode-nan-inf', "{tostring(cjson.decode('nan')), tostring(cjson.decode('Infinity')), tostring(cjson.decode('-Infinity'))}"),
                 ('decode-booleans', "{cjson.decode('[true,false]')[1], cjson.decode('[true,false]')[2]}"),
                 ('defaults', "{cjson.encode_number_precision(), cjson.encode_max_depth(), cjson.decode_max_depth(), tostring(cjson.encode_invalid_numbers()), tostring(cjson.decode_invalid_numbers()), tostring(cjson.encode_keep_buffer()), tostring((cjson.encode_sparse_array())), select(2, cjson.encode_sparse_array()), select(3, cjson.encode_sparse_array())}"),
                 ('version', '{cjson._NAME, cjson._VERSION}')]:
    case('cjson-%s' % nm, EVAL('return ' + expr))
for nm, expr in [('encode-nan', 'cjson.encode, 0/0'), ('encode-inf', 'cjson.encode, 1/0'), ('encode-excessively-sparse', 'cjson.encode, {[1]=1,[20]=20}'),
                 ('encode-function', 'cjson.encode, function() end'), ('encode-no-args', 'cjson.encode'), ('encode-bool-key', 'cjson.encode, {[true]=1}'),
                 ('decode-truncated', "cjson.decode, '[1,2'"), ('decode-bare-key', "cjson.decode, '{a:1}'"), ('decode-empty', "cjson.decode, ''"),
                 ('decode-trailing', "cjson.decode, '[1] x'"), ('decode-bad-surrogate', "cjson.decode, '\"\\\\ud800\"'"),
                 ('precision-out-of-range', 'cjson.encode_number_precision, 15')]:
    case('cjson-err-%s' % nm, EVAL('return {pcall(%s)}' % expr))
case('cjson-settings-persist-across-evals',
     EVAL("cjson.encode_number_precision(3) return cjson.encode(1/3)"), EVAL("return cjson.encode(123.456)"),
     C('SCRIPT', 'FLUSH'), EVAL("return cjson.encode(123.456)"),
     note='cjson settings live in the Lua VM and survive between scripts until SCRIPT FLUSH recreates the VM')
case('cjson-new-instance', EVAL("local c = cjson.new() c.encode_number_precision(2) return {c.encode(1/3), cjson.encode(1/3)}"))
HX = "local function hx(s) local h = '' for i=1,#s do h = h .. string.format('%02x', s:byte(i)) end return h end "
for nm, v in [('0.1', '0.1'), ('1.5', '1.5'), ('0', '0'), ('neg1', '-1'), ('neg32', '-32'), ('neg33', '-33'), ('127', '127'), ('128', '128'),
              ('256', '256'), ('65536', '65536'), ('2pow32', '4294967296'), ('neg129', '-129'), ('neg2pow31', '-2147483648'),
              ('neg-1099511627776', '-1099511627776'), ('2pow63', '2^63'), ('neg2pow63', '-2^63'), ('1e20', '1e20'), ('nan', '0/0'), ('inf', '1/0'),
              ('empty-string', "''"), ('str32', "string.rep('x',32)"), ('true', 'true'), ('nil', 'nil'), ('empty-table', '{}'), ('array', '{1,2}'),
              ('map', '{a=1}'), ('array-with-hole', '{1,nil,3}'), ('cjson-null', 'cjson.null'), ('multi', '1, 2, 3')]:
    case('cmsgpack-pack-%s' % nm, EVAL(HX + 'return hx(cmsgpack.pack(%s))' % v))
case('cmsgpack-circular', EVAL(HX + "local a = {x=nil,y=5} local b = {x=a} a['x'] = b return hx(cmsgpack.pack(a))"))
case('cmsgpack-unpack-multi', EVAL("return {cmsgpack.unpack(cmsgpack.pack(1,2,3))}"))
case('cmsgpack-unpack-nested', EVAL("return cmsgpack.unpack(cmsgpack.pack({1,2,{3,4}}))"))
case('cmsgpack-unpack-one', EVAL("return {cmsgpack.unpack_one(cmsgpack.pack(1,2), 0)}"), EVAL("return {cmsgpack.unpack_one(cmsgpack.pack(1,2), 1)}"))
case('cmsgpack-unpack-limit', EVAL("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}"), EVAL("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 2)}"))
case('cmsgpack-unpack-bad', EVAL("return {pcall(cmsgpack.unpack, '\\193')}"), EVAL("return {pcall(cmsgpack.unpack, '\\146\\1')}"), EVAL("return {pcall(cmsgpack.pack)}"))
case('cmsgpack-unpack-uint64-max', EVAL("return string.format('%.17g', cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))"))
for nm, expr in [('tohex', 'bit.tohex(255)'), ('tohex-2', 'bit.tohex(255, 2)'), ('tohex-upper', 'bit.tohex(255, -2)'), ('tohex-neg', 'bit.tohex(-1)'),
                 ('tohex-wrap', 'bit.tohex(2^32+5)'), ('tobit-wrap', 'bit.tobit(0xffffffff)'), ('tobit-round', '{bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5)}'),
                 ('bnot', 'bit.bnot(0)'), ('band', 'bit.band(0xff, 0x0f0)'), ('bor-many', 'bit.bor(1,2,4,8,16,32,64,128)'), ('bxor', 'bit.bxor(5, 3, 1)'),
                 ('lshift31', 'bit.lshift(1, 31)'), ('lshift32', 'bit.lshift(1, 32)'), ('rshift', 'bit.rshift(-1, 28)'), ('arshift', 'bit.arshift(-256, 4)'),
                 ('rol', 'bit.rol(0x12345678, 8)'), ('ror', 'bit.ror(0x12345678, 8)'), ('bswap', 'bit.bswap(0x12345678)'), ('string-arg', "bit.band('7', 3)"),
                 ('bor-no-args', '{pcall(bit.bor)}')]:
    case('bit-%s' % nm, EVAL('return ' + expr))
for nm, expr in [('pack-be-u16', "{struct.pack('>I2', 258):byte(1,-1)}"), ('pack-le-i4', "{struct.pack('<i4', -2):byte(1,-1)}"),
                 ('unpack-be-u16', "{struct.unpack('>I2', '\\1\\2')}"), ('double-roundtrip', "{struct.unpack('<d', struct.pack('<d', 1.5))}"),
                 ('size', "{struct.size('i4i8d'), struct.size('!8bd')}"), ('size-variable', "{pcall(struct.size, 's')}"),
                 ('bad-option', "{pcall(struct.pack, 'q', 1)}"), ('unpack-s', "{struct.unpack('s', 'abc\\0def')}"), ('unpack-c3', "{struct.unpack('c3', 'abcdef')}"),
                 ('unpack-bc0', "{struct.unpack('bc0', '\\3abcdef')}"), ('pack-s', "{struct.pack('s', 'xyz'):byte(1,-1)}"), ('too-short', "{pcall(struct.unpack, 'i4', 'ab')}"),
                 ('i4-overflow-wraps', "{struct.unpack('i4', struct.pack('i4', 2^31))}"), ('float', "string.format('%.17g', struct.unpack('f', struct.pack('f', 0.1)))")]:
    case('struct-%s' % nm, EVAL('return ' + expr))

# ---- Q. stock-Lua observables -----------------------------------------------
for nm, expr in [('tostring-numbers', "{tostring(1/3), tostring(1e15), tostring(1e16), tostring(2^53), tostring(2^63), tostring(0.1), tostring(123456789012)}"),
                 ('tostring-special', "{tostring(1/0), tostring(-1/0), tostring(0/0)}"),
                 ('format-misc', "{string.format('%d', 3.7), string.format('%5.2f|%g|%q', 3.14159, 1e20, 'a\\nb\\0c'), string.format('%s %s', 1, 1.5), string.format('%x', 255), string.format('%10s|%-5d|', 'hi', 42), string.format('%e', 12345.678), string.format('%5.1s|', 'abc')}"),
                 ('format-big', "{string.format('%d', 2^31), string.format('%d', 2^53), string.format('%d', -2^63), string.format('%.0f', 2^63)}"),
                 ('format-errors', "{select(2, pcall(string.format, '%d', 'x')), select(2, pcall(string.format, '%y', 1)), select(2, pcall(string.format, '%100d', 1))}"),
                 ('tonumber', "{tonumber('0x10'), tonumber('10', 2), tonumber('  5  '), tonumber('1e2'), tonumber('z', 36)}"),
                 ('math', "{math.floor(-3.5), math.ceil(-3.5), math.fmod(7, 3), math.max(1, 5, 3), math.huge > 0, math.pow(2, 10), math.mod(7,3)}"),
                 ('modulo', "{7 % -3, -7 % 3, 7.5 % 2}"), ('coercion', "{'10' + 5, '3' * '4', 10 .. 20}"),
                 ('gsub', "{string.gsub('hello world', '(%w+)', '<%1>')}"), ('sort-error', "{pcall(table.sort, {3, 1, 'a'})}"),
                 ('concat-error', "{pcall(table.concat, {1, {}, 3})}"), ('unpack-many', "select('#', unpack({}, 1, 100))")]:
    case('lua-%s' % nm, EVAL('return ' + expr))

# ---- R. observability ---------------------------------------------------------
case('stats-commandstats',
     C('SET', 'str', 'v'),
     EVAL("redis.call('set',KEYS[1],ARGV[1]) redis.pcall('nosuch') redis.pcall('incr','str') return redis.call('get',KEYS[1])", '1', 'k', 'v'),
     C('FUNCTION', 'LOAD', "#!lua name=ml\nredis.register_function('mf', function(k,a) return redis.call('incr', k[1]) end)"),
     C('FCALL', 'mf', '1', 'cnt'),
     C('INFO', 'commandstats', flt='cmdstats'), C('INFO', 'errorstats', flt='errstats'))
case('stats-error-accounting',
     C('CONFIG', 'SET', 'maxmemory', '1'),
     EVAL("return redis.call('set','x','y')", '1', 'x'),
     C('INFO', 'commandstats', flt='cmdstats'), C('INFO', 'errorstats', flt='errstats'),
     C('CONFIG', 'RESETSTAT'),
     EVAL("local t = redis.pcall('set','x','y') return t['err']", '1', 'x'),
     C('INFO', 'commandstats', flt='cmdstats'), C('INFO', 'errorstats', flt='errstats'),
     C('CONFIG', 'SET', 'maxmemory', '0'), C('CONFIG', 'RESETSTAT'),
     EVAL("return redis.error_reply('MY_ERR_CODE custom msg')"),
     C('INFO', 'errorstats', flt='errstats'))
case('stats-monitor',
     C('MONITOR', conn=2),
     EVAL("redis.call('set','k','v') return redis.call('get','k')"),
     R(conn=2, flt='monitor'), R(conn=2, flt='monitor'), R(conn=2, flt='monitor'))
case('stats-keyspace-notifications',
     C('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'),
     C('PSUBSCRIBE', '__key*__:*', conn=2),
     EVAL("redis.call('set','nk','1') redis.call('incr','nk') redis.call('del','nk')"),
     R(conn=2), R(conn=2), R(conn=2), R(conn=2), R(conn=2), R(conn=2))
case('stats-client-tracking-declared-keys',
     C('HELLO', '3'), C('CLIENT', 'TRACKING', 'ON'),
     EVAL("return redis.call('get',KEYS[1])", '1', 'tk'),
     EVAL("return redis.call('get','tk3')", '1', 'tk4'),
     EVAL("return 1", '1', 'tk5'),
     C('SET', 'tk', 'x', conn=2), C('SET', 'tk3', 'x', conn=2), C('SET', 'tk4', 'x', conn=2), C('SET', 'tk5', 'x', conn=2),
     C('PING'), R(conn=1), R(conn=1), note='only declared KEYS of a script that executed a read command are tracked (tk, tk4); the invalidation pushes arrive before the PING reply')
case('stats-recursive-table-stack-limit', ('bigreply', 1, ['EVAL', "local a = {}; local b = {a}; a[1] = b; return a", '0'], None), C('PING'))

# ============================================================================
def qarg(a):
    if isinstance(a, bytes):
        a = a.decode('latin1')
    if a and re.fullmatch(r'[A-Za-z0-9_.:*{}$@!?,+\-/]+', a):
        return a
    out = []
    for ch in a:
        o = ord(ch)
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif ch == '\n': out.append('\\n')
        elif ch == '\r': out.append('\\r')
        elif ch == '\t': out.append('\\t')
        elif 32 <= o < 127: out.append(ch)
        else: out.append('\\x%02x' % o)
    return '"' + ''.join(out) + '"'

class Server:
    def __init__(self, binary, port, logdir):
        self.binary, self.port, self.logdir = binary, port, logdir
    def start(self):
        subprocess.run([self.binary, '--port', str(self.port), '--save', '', '--appendonly', 'no',
                        '--daemonize', 'yes', '--enable-debug-command', 'yes',
                        '--logfile', os.path.join(self.logdir, 'record-server.log')], check=True)
        for _ in range(50):
            try:
                c = Conn(self.port); c.cmd('PING'); c.close(); return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError('server did not start')
    def stop(self):
        try:
            c = Conn(self.port); c.send(['SHUTDOWN', 'NOSAVE']); time.sleep(0.3)
        except Exception:
            pass
        for _ in range(50):
            try:
                Conn(self.port).close(); time.sleep(0.1)
            except Exception:
                return
    def alive(self):
        try:
            c = Conn(self.port); c.cmd('PING'); c.close(); return True
        except Exception:
            return False

RESET = [['FLUSHALL', 'SYNC'], ['SCRIPT', 'FLUSH', 'SYNC'], ['FUNCTION', 'FLUSH', 'SYNC'], ['CONFIG', 'SET', 'maxmemory', '0'],
         ['CONFIG', 'SET', 'busy-reply-threshold', '5000'], ['CONFIG', 'SET', 'notify-keyspace-events', ''],
         ['DEBUG', 'set-disable-deny-scripts', '0'], ['CONFIG', 'RESETSTAT']]

def run_case(srv, cs):
    lines, rec = [], []
    if cs['fresh'] or not srv.alive():
        srv.stop(); srv.start()
        if cs['fresh']:
            lines.append('! restart-server'); rec.append({'op': 'restart'})
    r = Conn(srv.port)
    for cmd in RESET:
        r.cmd(*cmd)
    r.close()
    if cs['note']:
        lines.append('# ' + cs['note'])
    conns = {}
    def conn(i):
        if i not in conns:
            conns[i] = Conn(srv.port, timeout=15)
        return conns[i]
    def pfx(i): return '' if i == 1 else '[%d]' % i
    dump_payload = None
    for st in cs['steps']:
        kind, ci, args, flt = st
        if kind == 'note':
            lines.append('# ' + args); continue
        if kind == 'sleep':
            time.sleep(args); lines.append('~ sleep %s' % args); rec.append({'op': 'sleep', 'seconds': args}); continue
        if kind == 'dump':
            args = ['FUNCTION', 'DUMP']; kind = 'cmd'
        if kind == 'restore':
            args = ['FUNCTION', 'RESTORE', dump_payload] + args; kind = 'cmd'
        if kind == 'bigreply':
            c = conn(ci); c.send(args)
            lines.append('%s> %s' % (pfx(ci), ' '.join(qarg(a) for a in args)))
            time.sleep(0.5); data = b''
            c.s.settimeout(1)
            while True:
                try:
                    d = c.s.recv(1 << 20)
                except socket.timeout:
                    break
                if not d: break
                data += d
            n = data.count(b'*1\r\n')
            lines.append('# reply (abbreviated): %d times "*1\\r\\n" followed by the final line below' % n)
            tail = data[len(b'*1\r\n') * n:]
            lines.append('%s< %s' % (pfx(ci), esc(tail)))
            rec.append({'op': 'cmd', 'conn': ci, 'args': args, 'reply_prefix_repeat': ['*1\r\n', n], 'reply_tail': tail.decode('latin1')})
            continue
        if kind in ('cmd', 'send'):
            c = conn(ci)
            c.send(args)
            arrow = '>' if kind == 'cmd' else '>>'
            lines.append('%s%s %s' % (pfx(ci), arrow, ' '.join(qarg(a) for a in args)))
            if kind == 'send':
                rec.append({'op': 'send', 'conn': ci, 'args': [a.decode('latin1') if isinstance(a, bytes) else a for a in args]}); continue
        try:
            reply = conn(ci).read()
        except Exception as e:
            reply = ('<connection error: %s>' % e).encode()
        if args and args[:2] == ['FUNCTION', 'DUMP'] and reply.startswith(b'$'):
            dump_payload = reply[reply.index(b'\r\n') + 2:-2]
        arrow = '<' if kind == 'cmd' else '<<'
        entry = {'op': 'cmd' if kind == 'cmd' else 'read', 'conn': ci}
        if kind == 'cmd':
            entry['args'] = [a.decode('latin1') if isinstance(a, bytes) else a for a in args]
        if flt:
            fn, desc = FILTERS[flt]
            lines.append('# filter: %s' % desc)
            txt = fn(reply)
            lines.append('%s%s~ %s' % (pfx(ci), arrow, txt))
            entry['filter'] = flt; entry['filtered'] = txt
        else:
            lines.append('%s%s %s' % (pfx(ci), arrow, esc(reply)))
            entry['reply'] = reply.decode('latin1')
        rec.append(entry)
    for c in conns.values():
        try: c.close()
        except Exception: pass
    return lines, rec

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--server', default=os.environ.get('REDIS_SERVER', 'redis-server'))
    ap.add_argument('--port', type=int, default=7750)
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument('--only', default=None, help='regex of case names to run')
    a = ap.parse_args()
    srv = Server(a.server, a.port, a.out)
    srv.stop(); srv.start()
    ver = Conn(a.port).cmd('INFO', 'server').decode('latin1')
    ver = re.search(r'redis_version:(\S+)', ver).group(1)
    out_lines = [l for l in __doc__.strip('\n').split('\n')]
    out_lines = ['# ' + l if l else '#' for l in out_lines]
    out_lines.append('# Recorded against redis_version %s (%s)' % (ver, a.server))
    out_lines.append('# Replies are shown with Python-style escapes: \\r \\n \\t \\\\ and \\xNN; nothing else is escaped.')
    out_lines.append('')
    allrec = []
    n = 0
    for cs in CASES:
        if a.only and not re.search(a.only, cs['name']):
            continue
        lines, rec = run_case(srv, cs)
        out_lines.append('=== ' + cs['name'])
        out_lines.extend(lines)
        out_lines.append('')
        allrec.append({'name': cs['name'], 'steps': rec})
        n += 1
    srv.stop()
    suffix = '' if not a.only else '.partial'
    with open(os.path.join(a.out, 'cases.txt' + suffix), 'w') as f:
        f.write('\n'.join(out_lines))
    with open(os.path.join(a.out, 'cases.json' + suffix), 'w') as f:
        json.dump({'redis_version': ver, 'cases': allrec}, f, indent=1)
    print('recorded %d cases' % n)

if __name__ == '__main__':
    main()
