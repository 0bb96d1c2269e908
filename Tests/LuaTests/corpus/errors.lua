--## runtime error naming
local function try(f, ...) print(pcall(f, ...)) end
try(function() local a; a() end)
try(function() undefinedfunc() end)
try(function() local t = {} t.x.y = 1 end)
try(function() local t = {} t[1].y = 1 end)
try(function() local t = {} local k = "z"; t[k].y = 1 end)
try(function() return ({}).a.b end)
local up = "str"
try(function() return up + 1 end)
try(function() return up.x.y end)
try(function() local x = 5 return x.field end)
try(function() local x = 5 x.field = 1 end)
try(function() return #nil end)
try(function() local n return #n end)
try(function() return -{} end)
try(function() local s = "a" return s .. {} end)
try(function() local t = {} return "a" .. t.x end)
try(function() local t = {} return t.x .. "a" end)
try(function() return "a" .. nil end)
try(function() local a, b = 1 return a .. b end)
try(function() return 1 + nil end)
try(function() return nil + 1 end)
try(function() local t = {} return t.x + t.y end)
try(function() local t = {} return 1 + t.y end)
try(function() return glob1 * 2 end)
try(function() return ("x"):bad() end)
try(function() local t = {} t:method() end)
try(function() local t = {a = {}} t.a:method() end)
try(function() local t = {} t.a.b.c = 1 end)
try(function() string.nothere() end)
try(function() local f = 1; f() end)
try(function() (nil)() end)
try(function() ({})() end)
try(function() return up() end)
try(function() return math.floor("x") end)
try(function() return ("x"):rep() end)
try(function() local u = string.upper; return u() end)
try(function() local s = ("x"):rep({}) end)
try(function() return nil < 1 end)
try(function() return 1 > nil end)
try(function() return "a" < 1 end)
try(function() return {} <= {} end)
try(function() return print < print end)
try(function() return true < false end)
try(function() local t = {} t[nil] = 1 end)
try(function() local t = {} t[0/0] = 1 end)
try(function() return {[nil] = 1} end)
try(function() return {[0/0] = 1} end)
try(function() rawset({}, nil, 1) end)
try(function() for i = "a", 2 do end end)
try(function() for i = 1, {} do end end)
try(function() for i = 1, 2, nil do end end)
try(function() for k in nil do end end)
try(function() for k, v in pairs(nil) do end end)
try(function() return next({}, "nokey") end)
try(function() local x = 1 .. {} end)
try(function() local a = {} .. "x" end)
--## error values and levels
print(pcall(error))
print(pcall(error, nil))
print(pcall(error, "msg"))
print(pcall(error, "msg", 0))
print(pcall(error, "msg", 1))
print(pcall(error, "msg", 2))
print(pcall(error, 42))
print(pcall(error, true))
local ok, e = pcall(error, {err = "tbl"})
print(ok, type(e), e.err)
local function lvl2() error("two", 2) end
local function caller() lvl2() end
print(pcall(caller))
local function lvl3() error("three", 3) end
local function mid() lvl3() end
local function top() mid() end
print(pcall(top))
print(pcall(function() error("x", 50) end))
print(pcall(function() error(setmetatable({}, {__tostring = function() return "custom" end})) end))
print(select('#', pcall(error)))
--## xpcall
print(xpcall(function() error("boom") end, function(m) return "handled: " .. m end))
print(xpcall(function() return 1, 2 end, print))
print(xpcall(function() error({1}) end, function(m) return type(m) end))
print(xpcall(function() error("x") end, function(m) error("again") end))
print(pcall(xpcall))
print(pcall(xpcall, print))
--## uncaught runtime error
local t = nil
print("before")
t.x = 1
--## uncaught error with table value
error({code = 1})
--## uncaught error with number
error(42)
--## uncaught error level 0
error("plain", 0)
--## assert
print(pcall(assert, true, "unused"))
print(pcall(assert, 1, 2, 3))
print(pcall(assert, false))
print(pcall(assert, nil, "custom message"))
print(pcall(assert, false, 42))
print(pcall(assert))
print(pcall(function() assert(false, "in function") end))
print(pcall(function() assert(1 == 2) end))
--## stack overflow is an error, not a crash
local function recurse(n) return 1 + recurse(n + 1) end
local ok, err = pcall(recurse, 1)
print(ok, err)
local function deep(n) if n == 0 then return 0 end return 1 + deep(n - 1) end
print(deep(3000))
--## pcall nesting beyond C limits
local function f() return pcall(f) end
local r = {f()}
print(#r > 100, r[#r])
--## tail calls do not grow the stack
local function loop(n) if n == 0 then return "done" end return loop(n - 1) end
print(loop(100000))
local function count(n, acc) if n == 0 then return acc end return count(n - 1, acc + 1) end
print(count(200000, 0))
--## metamethod recursion hits the C-call limit
local mt = {} mt.__index = function(t, k) return setmetatable({}, mt)[k] end
print(pcall(function() return setmetatable({}, mt).x end))
local function g(n) return tostring(setmetatable({}, {__tostring = function() return g(n + 1) end})) end
print(pcall(g, 1))
