--prelude local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end local function dump(v) if type(v) == 'table' then local p = {} for k, x in pairs(v) do p[#p+1] = dump(k) .. '=' .. dump(x) end return '{' .. table.concat(p, ',') .. '}' elseif type(v) == 'string' then return string.format('%q', v) else return type(v):sub(1,1) .. ':' .. tostring(v) end end local function all(...) local p = {} for i = 1, select('#', ...) do p[i] = dump((select(i, ...))) end return select('#', ...) .. '|' .. table.concat(p, ' ') end
----
return hex(cmsgpack.pack(0))
----
return hex(cmsgpack.pack(1))
----
return hex(cmsgpack.pack(127))
----
return hex(cmsgpack.pack(128))
----
return hex(cmsgpack.pack(255))
----
return hex(cmsgpack.pack(256))
----
return hex(cmsgpack.pack(65535))
----
return hex(cmsgpack.pack(65536))
----
return hex(cmsgpack.pack(2^32-1))
----
return hex(cmsgpack.pack(2^32))
----
return hex(cmsgpack.pack(2^53))
----
return hex(cmsgpack.pack(2^63))
----
return hex(cmsgpack.pack(-2^63))
----
return hex(cmsgpack.pack(2^64))
----
return hex(cmsgpack.pack(-1))
----
return hex(cmsgpack.pack(-32))
----
return hex(cmsgpack.pack(-33))
----
return hex(cmsgpack.pack(-128))
----
return hex(cmsgpack.pack(-129))
----
return hex(cmsgpack.pack(-32768))
----
return hex(cmsgpack.pack(-32769))
----
return hex(cmsgpack.pack(-2^31))
----
return hex(cmsgpack.pack(-2^31-1))
----
return hex(cmsgpack.pack(-1099511627776))
----
return hex(cmsgpack.pack(0.1))
----
return hex(cmsgpack.pack(1.5))
----
return hex(cmsgpack.pack(-1.5))
----
return hex(cmsgpack.pack(1/0))
----
return hex(cmsgpack.pack(-1/0))
----
return hex(cmsgpack.pack(0/0))
----
return hex(cmsgpack.pack(-(0/0)))
----
return hex(cmsgpack.pack(-0))
----
return hex(cmsgpack.pack(1e20))
----
return hex(cmsgpack.pack(1e300))
----
return hex(cmsgpack.pack(1e-300))
----
return hex(cmsgpack.pack(3.4028234663852886e38))
----
return hex(cmsgpack.pack(2^-149))
----
return hex(cmsgpack.pack('a'))
----
return hex(cmsgpack.pack(''))
----
return hex(cmsgpack.pack(string.rep('x', 31)))
----
return hex(cmsgpack.pack(string.rep('x', 32)))
----
return hex(cmsgpack.pack(string.rep('x', 255)))
----
return hex(cmsgpack.pack(string.rep('x', 256)))
----
return hex(cmsgpack.pack(string.rep('x', 65535)))
----
return hex(cmsgpack.pack(string.rep('x', 65536)))
----
return hex(cmsgpack.pack(true))
----
return hex(cmsgpack.pack(false))
----
return hex(cmsgpack.pack(nil))
----
return hex(cmsgpack.pack(cjson.null))
----
return hex(cmsgpack.pack(function() end))
----
return hex(cmsgpack.pack({}))
----
return hex(cmsgpack.pack({1,2,3}))
----
return hex(cmsgpack.pack({1,nil,3}))
----
return hex(cmsgpack.pack({[2]=2}))
----
return hex(cmsgpack.pack({a=1}))
----
return hex(cmsgpack.pack({a=1,b=2,c=3,d=4}))
----
return hex(cmsgpack.pack({1,2,a=3}))
----
return hex(cmsgpack.pack({[1.5]=1}))
----
return hex(cmsgpack.pack({[0]=1}))
----
return hex(cmsgpack.pack({[-1]=1}))
----
return hex(cmsgpack.pack({[2^31]=1}))
----
return hex(cmsgpack.pack({[2^31-1]=1}))
----
return hex(cmsgpack.pack({[true]=1}))
----
return hex(cmsgpack.pack({[{}]=1}))
----
return hex(cmsgpack.pack({[function() end]=1}))
----
return hex(cmsgpack.pack({{{{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}}}))
----
return hex(cmsgpack.pack({{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}))
----
return hex(cmsgpack.pack({{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}))
----
return hex(cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15}))
----
return hex(cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}))
----
return hex(cmsgpack.pack({a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16}))
----
return hex(cmsgpack.pack({'x', {y={1,2,{z=true}}}, false}))
----
return hex(cmsgpack.pack({[1]=cjson.null}))
----
return hex(cmsgpack.pack('12', 12))
----
return hex(cmsgpack.pack(1, 2, 3))
----
return hex(cmsgpack.pack(nil, nil))
----
return hex(cmsgpack.pack({}, {}))
----
local t = {} t[1] = t return hex(cmsgpack.pack(t))
----
local t = {} t.a = t return hex(cmsgpack.pack(t))
----
local t = {} for i=1,70000 do t[i]=i%3 end return #cmsgpack.pack(t) .. hex(cmsgpack.pack(t):sub(1,8))
----
local t = {} for i=1,70000 do t['k'..i]=1 end return #cmsgpack.pack(t) .. hex(cmsgpack.pack(t):sub(1,5))
----
return hex(cmsgpack.pack())
----
local t = {} for i=1,4000 do t[i]=i end return #cmsgpack.pack(unpack(t))
----
local t = {} for i=1,4001 do t[i]=i end return #cmsgpack.pack(unpack(t))
----
return all(cmsgpack.unpack(''))
----
return all(cmsgpack.unpack('\1\2\3'))
----
return all(cmsgpack.unpack('\204\200'))
----
return all(cmsgpack.unpack('\208\128'))
----
return all(cmsgpack.unpack('\205\1\0'))
----
return all(cmsgpack.unpack('\209\255\0'))
----
return all(cmsgpack.unpack('\209\128\0'))
----
return all(cmsgpack.unpack('\206\255\255\255\255'))
----
return all(cmsgpack.unpack('\210\255\255\255\255'))
----
return all(cmsgpack.unpack('\210\128\0\0\0'))
----
return all(cmsgpack.unpack('\207\255\255\255\255\255\255\255\255'))
----
return all(cmsgpack.unpack('\207\127\255\255\255\255\255\255\255'))
----
return all(cmsgpack.unpack('\211\128\0\0\0\0\0\0\0'))
----
return all(cmsgpack.unpack('\211\255\255\255\255\255\255\255\254'))
----
return all(cmsgpack.unpack('\192\195\194'))
----
return all(cmsgpack.unpack('\202\63\192\0\0'))
----
return all(cmsgpack.unpack('\202\127\128\0\0'))
----
return all(cmsgpack.unpack('\202\127\192\0\0'))
----
return all(cmsgpack.unpack('\203\63\185\153\153\153\153\153\154'))
----
return all(cmsgpack.unpack('\217\3abc'))
----
return all(cmsgpack.unpack('\218\0\3abc'))
----
return all(cmsgpack.unpack('\219\0\0\0\3abc'))
----
return all(cmsgpack.unpack('\163abc'))
----
return all(cmsgpack.unpack('\160'))
----
return all(cmsgpack.unpack('\147\1\2\3'))
----
return all(cmsgpack.unpack('\147\1\192\3'))
----
return all(cmsgpack.unpack('\144'))
----
return all(cmsgpack.unpack('\128'))
----
return all(cmsgpack.unpack('\130\161a\1\161b\2'))
----
return all(cmsgpack.unpack('\130\1\161a\2\161b'))
----
return all(cmsgpack.unpack('\129\192\1'))
----
return all(cmsgpack.unpack('\129\203\255\248\0\0\0\0\0\0\1'))
----
return all(cmsgpack.unpack('\129\161a\192'))
----
return all(cmsgpack.unpack('\129\147\1\2\3\1'))
----
return all(cmsgpack.unpack('\220\0\2\1\2'))
----
return all(cmsgpack.unpack('\221\0\0\0\2\1\2'))
----
return all(cmsgpack.unpack('\222\0\1\1\2'))
----
return all(cmsgpack.unpack('\223\0\0\0\1\1\2'))
----
return all(cmsgpack.unpack('\255\224'))
----
return all(cmsgpack.unpack('\193'))
----
return all(cmsgpack.unpack('\196\1a'))
----
return all(cmsgpack.unpack('\199\1\1a'))
----
return all(cmsgpack.unpack('\212\1\1'))
----
return all(cmsgpack.unpack('\1\193'))
----
return all(cmsgpack.unpack('\204'))
----
return all(cmsgpack.unpack('\205\1'))
----
return all(cmsgpack.unpack('\217\5abc'))
----
return all(cmsgpack.unpack('\219\0\0\0\5abc'))
----
return all(cmsgpack.unpack('\147\1\2'))
----
return all(cmsgpack.unpack('\130\1'))
----
return all(cmsgpack.unpack('\163ab'))
----
return all(cmsgpack.unpack('\221\255\255\255\255'))
----
return all(cmsgpack.unpack())
----
return all(cmsgpack.unpack(12))
----
return all(cmsgpack.unpack({}))
----
return all(cmsgpack.unpack('\1', 'extra'))
----
return all(cmsgpack.unpack_one('\1\2\3'))
----
return all(cmsgpack.unpack_one('\1\2\3', 1))
----
return all(cmsgpack.unpack_one('\1\2\3', 2))
----
return all(cmsgpack.unpack_one('\1\2\3', 3))
----
return all(cmsgpack.unpack_one('\1\2\3', 4))
----
return all(cmsgpack.unpack_one('\1\2\3', -1))
----
return all(cmsgpack.unpack_one(''))
----
return all(cmsgpack.unpack_one('', 0))
----
return all(cmsgpack.unpack_one('\1', 'x'))
----
return all(cmsgpack.unpack_one())
----
return all(cmsgpack.unpack_limit('\1\2\3', 2))
----
return all(cmsgpack.unpack_limit('\1\2\3', 2, 2))
----
return all(cmsgpack.unpack_limit('\1\2\3', 5))
----
return all(cmsgpack.unpack_limit('\1\2\3', 0))
----
return all(cmsgpack.unpack_limit('\1\2\3', 0, 1))
----
return all(cmsgpack.unpack_limit('\1\2\3', -1))
----
return all(cmsgpack.unpack_limit('\1\2\3', 1, -7))
----
return all(cmsgpack.unpack_limit('\1\2\3', 1, 2^32 + 7))
----
return all(cmsgpack.unpack_limit('\1\2\3'))
----
return all(cmsgpack.unpack_limit('\1\2\3', 'x'))
----
return all(cmsgpack.unpack_limit('\1\2\3', 1, 'x'))
----
return all(cmsgpack.unpack_limit(nil, 1))
----
return all(cmsgpack.unpack(cmsgpack.pack({1,2,{a='b'}}, 'x', 0.1, -5, true)))
----
return all(cmsgpack.unpack(cmsgpack.pack({a=1,b=2,c=3,d=4})))
----
return all(cmsgpack.unpack(cmsgpack.pack(2^63, -2^63, 2^53+1)))
----
local r = {pcall(function() return select('#', cmsgpack.unpack(string.rep('\1', 7998))) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack(string.rep('\1', 7999))) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack(string.rep('\1', 7998), 'x')) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack_limit(string.rep('\1', 8000), 7997)) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack_limit(string.rep('\1', 8000), 7998)) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack_limit(string.rep('\1', 8000), 0)) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack(string.rep('\145', 3000) .. '\1')) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack(string.rep('\145', 5000) .. '\1')) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local r = {pcall(function() return select('#', cmsgpack.unpack(string.rep('\129\1', 3000) .. '\1')) end)} return tostring(r[1]) .. ' ' .. tostring(r[2])
----
local t = {} for k, v in pairs(cmsgpack) do t[#t+1] = k .. '=' .. tostring(type(v) == 'string' and v or type(v)) end return table.concat(t, ';')
