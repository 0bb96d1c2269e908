return tostring(-0)
return tostring(1e15), tostring(1e16), tostring(2^53), tostring(0.1)
return string.format('%.14g', 0.1), string.format('%5.3s|', 'abcdef')
return tostring(nil), tostring(true)
return math.floor(2.5), math.huge, -math.huge
return string.rep('a', 3, 'x')
return select('#', unpack({1, nil, 3}))
return #{1, nil, 3}
return #{nil, nil, 3}
return next({})
return type(print), type(dofile), type(loadfile), type(require), type(module), type(package), type(io), type(os)
return type(getfenv), type(setfenv), type(newproxy), type(gcinfo), type(collectgarbage), type(debug)
return type(string.gfind), type(table.getn), type(math.mod), type(table.setn), type(table.foreach)
return pcall()
return pcall(error, {err='x'})
return pcall(error, 'x')
return pcall(error)
return xpcall(function() error({err='y'}) end, function(e) return e end)
return error
return loadstring('return 1')()
return loadstring('\27Lua')
return loadstring(string.dump(function() return 1 end))
return load(function() return nil end)
return setmetatable({}, {__index = function() return 5 end}).x
return rawget(_G, 'undefined_global_xyz')
return undefined_global_xyz
return coroutine.running()
return collectgarbage('count') > 0
return collectgarbage('collect')
return string.format('%d', 2^63)
return ('x'):rep(3)
return string.byte('abc', 1, -1)
return os
return tostring(1/0), tostring(-1/0)
return 7 % -3, -7 % 3, 7.5 % 2
return 2^0.5
return 10 / 4, 10 / 0, -10 / 0
return '10' + 5, '3' * '4', 10 .. 20
return math.max(), 1
return tonumber('1e'), tonumber('0x'), tonumber('1 2')
return string.find('a.b', '.', 1, true)
return table.concat({}, ',')
return string.format('%q', '\r\n\0\26')
return unpack({1, 2, 3}, 2)
return select(-1, 1, 2, 3)
return math.random
return string.sub('hello', 2, -2), ('hello'):sub(0), ('hello'):sub(10)
return tostring(123456789012345678)
return 0x7fffffff, 0xffffffff, 0x100000000
return 1e308 * 10
return #'\0\0'
return string.len(string.format('%99d', 1))
return pcall(string.format, '%100d', 1)
return string.format('%-10.3f|', 3.14159)
return (function(...) return select('#', ...) end)(nil, nil)
return string.gsub('hello world', '(%w+)', '<%1>')
return string.gsub('abc', '', '-')
return string.match('  trim  ', '^%s*(.-)%s*$')
return string.gmatch
return table.sort
return pcall(table.sort, {3, 1, 'a'})
return getmetatable('')
return getmetatable('').__index == string
return getmetatable(_G)
return _G._G == _G
return _VERSION
