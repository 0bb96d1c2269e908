--## __index and __newindex
local base = {greet = function(self) return "hi " .. self.name end}
local obj = setmetatable({name = "bob"}, {__index = base})
print(obj:greet(), obj.missing, rawget(obj, "greet"))
local chain = setmetatable({}, {__index = setmetatable({}, {__index = {deep = "yes"}})})
print(chain.deep)
local fn = setmetatable({}, {__index = function(t, k) return k .. "!" end})
print(fn.x, fn[1], fn[true])
local log = {}
local guarded = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k rawset(t, k, v * 2) end})
guarded.a = 1 guarded.a = 5 guarded.b = 2 print(guarded.a, guarded.b, table.concat(log, ","))
local redirect = {} local proxy = setmetatable({}, {__newindex = redirect}) proxy.x = 1 print(rawget(proxy, "x"), redirect.x)
local strindex = setmetatable({}, {__index = "abc"})
print(pcall(function() return strindex.len end))
print(pcall(function() local t = setmetatable({}, {__index = 5}) return t.x end))
local loop = {} setmetatable(loop, {__index = loop}) print(loop.x)
local l1, l2 = {}, {} setmetatable(l1, {__index = l2}) setmetatable(l2, {__index = l1})
print(pcall(function() return l1.x end))
--## arithmetic metamethods
local V = {}
V.__index = V
V.__add = function(a, b) return "add" end
V.__sub = function(a, b) return "sub" end
V.__mul = function(a, b) return "mul" end
V.__div = function(a, b) return "div" end
V.__mod = function(a, b) return "mod" end
V.__pow = function(a, b) return "pow" end
V.__unm = function(a, b) return "unm:" .. tostring(rawequal(a, b)) end
V.__concat = function(a, b) return "cat" end
local v = setmetatable({}, V)
print(v + 1, 1 + v, v - v, v * 2, v / 2, v % 2, v ^ 2, -v, v .. "x", "x" .. v, 1 .. v)
print("a" .. "b" .. v, v .. "a" .. "b")
local order = {}
local C = {__concat = function(a, b) order[#order + 1] = (type(a) == "table" and "T" or a) .. "|" .. (type(b) == "table" and "T" or b) return "r" end}
local c = setmetatable({}, C)
print("a" .. "b" .. c .. "d" .. "e") print(table.concat(order, " "))
print(pcall(function() return {} + 1 end))
--## comparison metamethods
local P = {}
P.__eq = function(a, b) return a.v == b.v end
P.__lt = function(a, b) return a.v < b.v end
P.__le = function(a, b) return a.v <= b.v end
local a, b, c = setmetatable({v = 1}, P), setmetatable({v = 2}, P), setmetatable({v = 1}, P)
print(a == c, a ~= c, a == b, a < b, a <= c, b > a, b >= a, a > b)
local Q = {__lt = function(a, b) return true end}
local x, y = setmetatable({}, Q), setmetatable({}, Q)
print(x < y, x <= y == nil, pcall(function() return x <= y end))
local R = {__eq = function() return true end}
print(setmetatable({}, R) == setmetatable({}, R), setmetatable({}, R) == setmetatable({}, {__eq = function() return true end}))
print(setmetatable({}, R) == 1, pcall(function() return setmetatable({}, Q) < setmetatable({}, {__lt = function() return true end}) end))
--## __call, __tostring, __len, __metatable
local callable = setmetatable({}, {__call = function(self, a, b) return "called", a, b end})
print(callable(1, 2))
print(pcall(setmetatable({}, {__call = 5})))
local named = setmetatable({}, {__tostring = function() return "I am named" end})
print(named, tostring(named))
local badts = setmetatable({}, {__tostring = function() return 42 end})
print(pcall(tostring, badts), pcall(print, badts))
local lenobj = setmetatable({1, 2}, {__len = function() return 99 end})
print(#lenobj)
local locked = setmetatable({}, {__metatable = "locked"})
print(getmetatable(locked), pcall(setmetatable, locked, {}))
print(getmetatable("abc").__index == string, getmetatable({}), getmetatable(1))
print(pcall(setmetatable, 1, {}))
print(pcall(setmetatable, {}))
print(pcall(getmetatable))
--## string methods via metatable
local s = "Hello"
print(s:upper(), s:lower(), s:len(), s:sub(2, 3), s:rep(2), s:byte(1), s:find("l"), s:format())
print(("%d-%d"):format(1, 2), ("x"):rep(3, "ignored"), #s:reverse())
string.custom = function(self) return "custom " .. self end
print(("abc"):custom())
