# Compare Lua expressions between a running redis-server (env PORT, default 7701) and stock lua5.1.
# usage: PORT=7701 python3 tools/cmp.py tools/exprs.lua   (lines marked !! differ)
import subprocess, sys
sys.path.insert(0, '/tmp/scripting')
from respclient import Conn, esc
SER = r'''
local function ser(v, d)
  d = d or 0
  local t = type(v)
  if t == 'string' then return string.format('%q', v)
  elseif t == 'number' then return 'n:' .. string.format('%.17g', v)
  elseif t == 'table' then
    if d > 3 then return '{...}' end
    local ks = {}
    for k in pairs(v) do ks[#ks+1] = k end
    table.sort(ks, function(a,b) return tostring(a) < tostring(b) end)
    local out = {}
    for _, k in ipairs(ks) do out[#out+1] = tostring(k) .. '=' .. ser(v[k], d+1) end
    return '{' .. table.concat(out, ',') .. '}'
  else return t .. ':' .. tostring(v):gsub('0x%x+', 'ADDR') end
end
local function run(f)
  local r = {pcall(f)}
  local out = {}
  for i = 1, select('#', unpack(r)) do out[#out+1] = ser(r[i]) end
  return table.concat(out, ' ')
end
'''
exprs = [l.rstrip('\n') for l in open(sys.argv[1]) if l.strip() and not l.startswith('--')]
import os
c = Conn(int(os.environ.get('PORT', '7701')))
for e in exprs:
    code = SER + 'return run(function() ' + e + ' end)'
    r = c.cmd('EVAL', code, '0')
    redis_out = r.split(b'\r\n', 1)[1][:-2].decode('latin1') if r[:1] == b'$' else 'REPLY:' + esc(r)
    p = subprocess.run(['lua5.1', '-e', SER + 'io.write(run(function() ' + e + ' end))'], capture_output=True)
    stock = p.stdout.decode('latin1') if p.returncode == 0 else 'LUAERR:' + p.stderr.decode()
    mark = '  ' if stock == redis_out else '!!'
    print(f'{mark} {e}\n     redis: {redis_out}\n     stock: {stock}')
