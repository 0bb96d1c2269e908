--## closures capture per iteration
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print(fs[1](), fs[2](), fs[3]())
local gs = {}
for _, v in ipairs({"a", "b"}) do gs[#gs + 1] = function() return v end end
print(gs[1](), gs[2]())
local hs = {}
local j = 0
while j < 3 do j = j + 1 local k = j hs[j] = function() k = k + 10 return k end end
print(hs[1](), hs[1](), hs[2](), hs[3]())
local function counter() local n = 0 return function() n = n + 1 return n end, function() return n end end
local inc, get = counter() inc() inc() print(get())
local inc2 = counter() inc2() print(get(), inc2())
local shared
do local x = 1 shared = {function() x = x + 1 end, function() return x end} end
shared[1]() shared[1]() print(shared[2]())
local r = {} repeat local z = #r + 1 r[z] = function() return z end until #r == 3 print(r[1](), r[3]())
local function outer() local a = 1 local function mid() local function inner() a = a + 1 return a end return inner end return mid() end
local f = outer() print(f(), f())
local function rec(n) if n == 0 then return 0 end return n + rec(n - 1) end print(rec(10))
local function param(p) return function() p = p * 2 return p end end local pp = param(3) print(pp(), pp())
--## varargs
local function va(...) return select("#", ...), ... end
print(va()) print(va(nil)) print(va(1, nil, 3)) print(va(nil, nil))
local function pack(...) return {...} end print(#pack(1, 2, 3))
local function first(...) local a, b = ... return a, b end print(first(9, 8, 7))
local function count(...) return select("#", ...) end print(count(va(1, 2)))
print((va(1, 2, 3)))
local function old(...) return arg and arg.n end print(old(1, 2, 3))
local function both(...) local n = select("#", ...) return n, arg end print(both(1))
local function tail(...) return ... end print(tail(1, 2, 3), tail())
print(select(2, "a", "b", "c"), select(-1, "a", "b", "c"), select("#"))
print(pcall(select, 0, 1)) print(pcall(select, "x"))
local t = {va(1, 2)} print(#t)
print(math.max(unpack({3, 9, 2})))
--## multiple assignment order
local a, b, c = 1, 2 print(a, b, c)
a, b = b, a print(a, b)
local x, y = (function() return 1, 2, 3 end)() print(x, y)
local i = 1 local arr = {} i, arr[i] = i + 1, 20 print(i, arr[1], arr[2])
local q = {} q.x, q.y, q.x = 1, 2, 3 print(q.x, q.y)
local m, n = 1 print(m, n)
local p1, p2, p3 = (function() return 1, 2 end)(), 10 print(p1, p2, p3)
g1, g2 = 5 print(g1, g2)
local tt = {} tt[1], tt[2] = tt[2], 7 print(tt[1], tt[2])
--## control flow
for i = 1, 3 do io = i end print(io)
for i = 3, 1, -1 do print(i) end
for i = 1, 2, 0.5 do print(i) end
for i = 1, 0 do print("never") end
for i = 1.5, 3 do print(i) end
for i = "1", "2" do print(i, type(i)) end
for i = 10, 1, -3 do print(i) end
local n = 0 while true do n = n + 1 if n > 5 then break end end print(n)
n = 0 repeat n = n + 1 until n >= 3 print(n)
for i = 1, 3 do for j = 1, 3 do if j == 2 then break end print(i, j) end end
local function ret() for i = 1, 10 do if i == 4 then return i end end end print(ret())
if false then print(1) elseif nil then print(2) elseif 0 then print("zero is true") else print(4) end
local v = nil if v then print("x") else print("nil is false") end
for i = 1, 3 do local i = i * 10 print(i) end
local big = 0 for i = 1, 1e5 do big = big + i end print(big)
--## scoping and shadowing
local x = 1 do local x = 2 print(x) end print(x)
local function shadow(x) local x = x + 1 return x end print(shadow(1))
local s = "outer" local function get() return s end s = "changed" print(get())
local y = 1 local y = y + 1 print(y)
local function selfref() return selfref end print(selfref() == nil)
local function selfref2() return selfref2 end print(selfref2() == selfref2)
--## globals and environments
gx = 10 print(gx, _G.gx, _G["gx"]) _G.gy = 5 print(gy)
print(_VERSION, type(_G), _G._G == _G)
local function envf() return gvalue end
setfenv(envf, {gvalue = "from env"}) print(envf(), gvalue)
print(getfenv(envf).gvalue, getfenv(1) == _G, getfenv() == _G, getfenv(0) == _G, getfenv(print) == _G)
local function lvl() return getfenv(2) end print(lvl() == _G)
local sandbox = setmetatable({}, {__index = _G})
local code = loadstring("newglobal = 1 return print ~= nil") setfenv(code, sandbox)
print(code(), rawget(sandbox, "newglobal"), newglobal)
print(pcall(setfenv, print, {}))
print(pcall(getfenv, 100))
print(pcall(getfenv, -1))
print(setfenv(1, _G) == nil)
