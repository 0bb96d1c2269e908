--## syntax error messages through loadstring
local cases = {
  "x =", "x = = 1", "local 1", "a.b:c = 1", "f(", "print('a' 'b')", "x", "1 + 2",
  "function f() return 1", "if x then", "while true do", "for i=1 do end", "for i in do end",
  "for a b in c do end", "repeat x = 1", "local function 1() end", "return return", "x = }",
  "x = 'abc", "x = \"abc\ny\"", "x = [[abc", "--[[ unfinished", "x = 3..2", "x = 0xg",
  "x = '\\300'", "x = [==[ a ]=]", "break", "function f(a,) end", "function f(..., a) end",
  "local t = {1, 2", "x = (1", "f() = 1", "a, b() = 1, 2", "x = ...", "function f() x = ... end",
  "return 1 print(2)", "x = #", "x = not", "local x <const> = 1", "goto done", "x = 1 + + 2",
  "a.b.c", "a:b", "a:b.c()", "local a.b = 1", "x = {[1] 2}", "x = [=", "print(1)\n(f)()",
  "x = '\\q'", "x = 1e", "x = .5e+", "do end end", "if x then else elseif y then end",
  "x = y z", "::label::", "x = 5 // 2", "x = 5 & 3", "local function f() end f(",
}
for i, src in ipairs(cases) do
  local f, err = loadstring(src)
  print(i, f and "ok" or err)
end
--## the token in a message ends at a zero byte
print(loadstring('local s = "\\0a\\999"'))
print(loadstring('local s = "ab\\0cd\nx'))
--## chunk names
print(loadstring("x = = 1", "@user_script"))
print(loadstring("x = = 1", "=custom name"))
print(loadstring("x = = 1", "a long chunk name that is definitely more than forty four characters long"))
print(loadstring("\n\n x = = 1", "line one\nline two"))
print(loadstring("x = = 1", "@" .. string.rep("d", 80)))
print(loadstring("x = = 1"))
print(loadstring("y = 1\nx = = 1"))
print(loadstring(string.rep("x = 1 ", 20) .. "x = = 1"))
print(pcall(loadstring("error('boom')", "@user_script")))
print(pcall(loadstring("local t = nil; return t.x", "@user_script")))
--## deep nesting is rejected, not crashed
local src = "x = " .. string.rep("(", 300) .. "1" .. string.rep(")", 300)
print(loadstring(src))
src = string.rep("do ", 300) .. string.rep("end ", 300)
print(loadstring(src))
print(loadstring("x = " .. string.rep("-", 300) .. "1"))
print(loadstring("x = " .. string.rep("{", 150) .. string.rep("}", 150)) ~= nil)
--## long strings and escapes
print([[
first newline skipped]], [==[a]]b]=]c]==], "tab\tq\"\'\\", 'a\
b', "\65\066\0671", "\x", "nul\0byte" == "nul\0byte", #"nul\0byte")
print([[a
b]] == "a\nb", "\r\n" == "\13\10", "\a\b\f\v" == "\7\8\12\11")
--[==[ long
comment ]==] print("after long comment")
--[[ comment ]] print("inline")
-- print("not run")
print(0x10, 0xff, 0XA, 1e2, 1E-2, .5, 5., 3e+2, 0x1p4)
--## unfinished string at eof
x = "abc
--## operator precedence
print(2^3^2, -2^2, not nil == true, 1 .. 2 .. 3, 1 + 2 * 3 - 4 / 2, 2 * 3 % 4, -3 % 5)
print(1 < 2 == true, "a" .. "b" == "ab", not 1 and 2 or 3, nil or false, false and nil)
print(#"abc" + 1, -#"ab", 2^-1, (2+3)*4, 7 - -3)
print(1 == 1.0, "1" == 1, 0.1 + 0.2 == 0.3, 2^53 == 2^53 + 1)
--## semicolons and empty statements
local a = 1; local b = 2;; print(a + b);
do ; end
print("ok")
