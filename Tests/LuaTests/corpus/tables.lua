--## length and borders
print(#{}, #{1, 2, 3}, #{1, nil, 3}, #{nil, nil, 3}, #{1, 2, nil}, #{n = 1})
local t = {1, 2, 3} t[2] = nil print(#t)
t = {1, 2, 3} t[3] = nil print(#t)
t = {} t[1] = 1 t[2] = 2 t[4] = 4 print(#t)
t = {} for i = 1, 10 do t[i] = i end t[5] = nil print(#t)
t = {} for i = 1, 10 do t[i] = i end t[10] = nil t[9] = nil print(#t)
t = {} t[2] = 2 print(#t) t[1] = 1 print(#t)
t = {1, 2, 3, nil, 5, nil, nil, 8} print(#t)
t = {n = 1, 1, 2, [3] = 3, [5] = 5} print(#t)
t = {} for i = 1, 100 do t[i * 2] = i end print(#t)
t = {} for i = 100, 1, -1 do t[i] = i end print(#t)
t = {10, 20, 30, nil} print(#t)
t = {f = 1, g = 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17} t[18] = nil t[17] = nil print(#t)
--## pairs order matches lua5.1 for string and number keys
local t = {}
for i, w in ipairs({"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"}) do t[w] = i end
for k, v in pairs(t) do print(k, v) end
local u = {1, 2, 3, x = "a", y = "b", [10] = 10, [1.5] = "f", [-1] = "neg", [0] = "zero"}
for k, v in pairs(u) do print(k, v) end
local v = {} for i = 1, 20 do v["key" .. i] = i end v.key5 = nil v.key7 = nil v.new = 1
for k, x in pairs(v) do print(k, x) end
local w = {} for i = 1, 30 do w[i * 3.5] = i end for k, x in pairs(w) do print(k, x) end
local z = {true, false, [true] = "t", [false] = "f"} for k, x in pairs(z) do print(k, x) end
--## next and modification during traversal
local t = {a = 1, b = 2, c = 3, d = 4, 10, 20}
for k, v in pairs(t) do t[k] = v * 2 end
local keys = {} for k, v in pairs(t) do keys[#keys + 1] = tostring(k) .. "=" .. v end
print(table.concat(keys, " "))
for k in pairs(t) do t[k] = nil end
print(next(t))
print(next({}), next({5}), next({5}, 1))
print(pcall(next, {}, "missing"))
print(pcall(next))
print(rawget({5}, 1), rawget({x = 1}, "x"), rawequal("a", "a"), rawequal({}, {}))
local r = {} print(rawset(r, "k", "v") == r, r.k)
--## table.insert and remove
local t = {}
table.insert(t, "a") table.insert(t, "b") table.insert(t, 1, "c") table.insert(t, 2, "d")
print(table.concat(t, ","), #t)
table.insert(t, 10, "far") print(#t, t[10])
print(table.remove(t), table.remove(t, 1), table.concat(t, ","))
print(table.remove({}), table.remove({}, 1), #t)
local q = {1, 2, 3} print(table.remove(q, 5), table.remove(q, 0), table.concat(q, ","))
print(pcall(table.insert, {}, 1, 2, 3))
print(pcall(table.insert, {}))
print(pcall(table.insert, nil, 1))
print(pcall(table.insert, {}, "x", 1))
print(pcall(table.remove))
--## table.concat
print(table.concat({}), table.concat({1, 2, 3}), table.concat({1, 2, 3}, ", "), table.concat({1, 2, 3}, "-", 2))
print(table.concat({1, 2, 3}, "-", 2, 3), table.concat({1, 2, 3}, "-", 3, 2), table.concat({"a", 1.5, 2}, ""))
print(pcall(table.concat, {1, {}, 3}))
print(pcall(table.concat, {1, 2}, ",", 1, 5))
print(pcall(table.concat, nil))
print(pcall(table.concat, {}, {}))
--## table.sort
local t = {5, 2, 8, 1, 9, 3, 7, 4, 6, 0}
table.sort(t) print(table.concat(t, " "))
table.sort(t, function(a, b) return a > b end) print(table.concat(t, " "))
local s = {"banana", "apple", "Cherry", "date", "apple"} table.sort(s) print(table.concat(s, " "))
local recs = {}
for i = 1, 30 do recs[i] = {k = i % 4, id = i} end
table.sort(recs, function(a, b) return a.k < b.k end)
local ids = {} for i, r in ipairs(recs) do ids[i] = r.k .. ":" .. r.id end print(table.concat(ids, " "))
local big = {} local seed = 7 for i = 1, 200 do seed = (seed * 31 + 11) % 1000 big[i] = seed end
table.sort(big) local okSorted = true for i = 2, #big do if big[i - 1] > big[i] then okSorted = false end end print(okSorted, big[1], big[200])
print(pcall(table.sort, {3, 1, "x"}))
print(pcall(table.sort, {1, 2, 3}, 42))
print(pcall(table.sort, {3, 2, 1, 5, 4, 8, 7, 6, 9, 10, 12, 11}, function(a, b) return true end))
local t2 = {5, 3, 1, 4, 2} print(pcall(table.sort, t2, function(a, b) return a <= b end)) print(table.concat(t2, " "))
local t3 = {} for i = 1, 20 do t3[i] = 5 end print(pcall(table.sort, t3, function(a, b) return a <= b end))
table.sort({}) table.sort({1}) local one = {2, 1} table.sort(one) print(one[1], one[2])
--## other table functions
print(table.maxn({}), table.maxn({1, 2, 3}), table.maxn({[10] = 1, [2.5] = 2, x = 3}), table.maxn({[-1] = 1}))
print(table.getn({1, 2, 3}), pcall(table.setn, {}, 1))
print(table.foreach({10, 20}, function(k, v) print("each", k, v) end))
print(table.foreach({10, 20}, function(k, v) if v == 20 then return "stop" .. k end end))
print(table.foreachi({5, 6, nil, 8}, function(i, v) print("eachi", i, v) end))
print(unpack({1, 2, 3})) print(unpack({1, 2, 3}, 2)) print(unpack({1, 2, 3}, 2, 5)) print(unpack({}, 1, 0))
print(select("#", unpack({}, 1, 3)), pcall(unpack, {}, 1, 1e8))
print(pcall(unpack))
--## constructors
local function three() return 1, 2, 3 end
local t = {three()} print(#t)
t = {three(), three()} print(#t)
t = {(three())} print(#t)
t = {three(), x = 1} print(#t)
t = {[1] = "a", "b"} print(t[1])
t = {"b", [1] = "a"} print(t[1])
local big = {} for i = 1, 120 do big[i] = i end local copy = {unpack(big)} print(#copy, copy[120])
t = {1, 2, 3, n = 3, [4] = 4; 5} print(#t, t[4], t.n)
