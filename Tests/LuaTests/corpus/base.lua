--## tostring and type
print(tostring(nil), tostring(true), tostring(false), tostring(12), tostring("s"), type(tostring({})))
print(type(nil), type(true), type(1), type("x"), type({}), type(print), type(function() end))
print(pcall(type)) print(pcall(tostring))
print(string.sub(tostring(print), 1, 10), string.sub(tostring({}), 1, 7))
--## select, unpack, rawlen-ish
print(select("#", 1, nil, nil), select(3, 1, 2, 3, 4), select(-2, 1, 2, 3))
print(pcall(select, -4, 1, 2, 3))
print(pcall(select, 1.5, "a", "b"))
--## pcall returns everything
print(pcall(function(...) return ... end, 1, 2, 3))
print(pcall(function() end))
print(pcall(pcall, error, "x"))
print(pcall(pcall))
print(pcall(print, "inside"))
--## loadstring and load
local f = loadstring("return 1 + ...") print(f(41))
print(loadstring("return ...")(1, 2, 3))
print(loadstring("syntax error here"))
print(pcall(loadstring))
local parts = {"return ", "'pie", "ces'"} local i = 0
print(load(function() i = i + 1 return parts[i] end)())
print(load(function() return nil end))
local g = loadstring("local a, b = ... return b, a") print(g("x", "y"))
print(loadstring("return _VERSION")())
--## collectgarbage and gcinfo
print(type(collectgarbage("count")), collectgarbage(), collectgarbage("collect"), type(gcinfo()))
print(collectgarbage("step"), collectgarbage("setpause", 100), collectgarbage("setpause", 200), collectgarbage("setstepmul", 200))
print(pcall(collectgarbage, "bogus"))
print(collectgarbage("stop"), collectgarbage("restart"))
--## print uses tostring
local old = tostring
tostring = function(v) return "<" .. old(v) .. ">" end
print(1, "a", nil)
tostring = function() return nil end
print(pcall(print, 1))
tostring = old
print("restored")
--## ipairs and pairs
for i, v in ipairs({1, 2, nil, 4}) do print(i, v) end
for i, v in ipairs({}) do print("never") end
print(pcall(ipairs)) print(pcall(pairs, 1))
local proxy = setmetatable({}, {__index = function(t, i) if i <= 3 then return i * 10 end end})
for i, v in ipairs(proxy) do print("proxy", i, v) end
local it, t0, start = ipairs({7}) print(type(it), start, it(t0, 0))
local nx, t1, k1 = pairs({8}) print(nx == next, k1, nx(t1, k1))
for k, v in next, {a = 1} do print(k, v) end
local function iter(s, c) if c < s then return c + 1 end end
for v in iter, 3, 0 do print("custom", v) end
