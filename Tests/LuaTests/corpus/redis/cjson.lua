return cjson.encode({1,2,'x'})
----
return cjson.encode(0.1)
----
return cjson.encode(1/3)
----
return cjson.encode(100)
----
return cjson.encode(1e20)
----
return cjson.encode(123456789012345)
----
return cjson.encode(-0)
----
return cjson.encode(-1e-7)
----
return cjson.encode(2^53)
----
return cjson.encode(2^63)
----
return cjson.encode(-2^63)
----
return cjson.encode(1e308)
----
return cjson.encode(5e-324)
----
return cjson.encode({})
----
return cjson.encode({a=1})
----
return cjson.encode({a=1,b=2,c=3,d=4})
----
return cjson.encode({1,nil,3})
----
return cjson.encode({[2]=2})
----
return cjson.encode({[1]=1,[2]=2,[5]=5})
----
return cjson.encode({[1]=1,[20]=20})
----
return cjson.encode({[11]=1})
----
return cjson.encode({[10]=1})
----
return cjson.encode({[0]=1})
----
return cjson.encode({[-1]=1})
----
return cjson.encode({[1.5]=1})
----
return cjson.encode({[1]=1,a=2})
----
return cjson.encode({[true]=1})
----
return cjson.encode({[{}]=1})
----
return cjson.encode({[2^31]=1})
----
return cjson.encode({[2^31-1]=1})
----
return cjson.encode({[2^32]=1, [1]=2})
----
return cjson.encode({[1/0]=1})
----
return cjson.encode({[-1/0]=1})
----
return cjson.encode('a/b"c\n\1\127')
----
return cjson.encode('\226\130\172')
----
return cjson.encode('\0\8\9\10\11\12\13\14\31\32')
----
return cjson.encode('\\')
----
return cjson.encode(cjson.null)
----
return cjson.encode(nil)
----
return cjson.encode(true)
----
return cjson.encode(false)
----
return cjson.encode({true,false,cjson.null})
----
return cjson.encode(function() end)
----
return cjson.encode({function() end})
----
return cjson.encode({a=function() end})
----
return cjson.encode()
----
return cjson.encode(1,2)
----
return cjson.encode(0/0)
----
return cjson.encode(1/0)
----
return cjson.encode(-1/0)
----
return cjson.encode({1/0})
----
return cjson.encode({{{{{}}}}})
----
return cjson.encode({{1,{2,{3}}},{a={b={c='d'}}}})
----
return cjson.encode({'a','b',{x=1}})
----
return cjson.encode(string.rep('x', 40))
----
return cjson.encode({[string.rep('k', 40)]=1})
----
return cjson.encode({["1"]=1,[1]=2})
----
return cjson.encode({1,2,3,nil,5,nil,nil,nil,nil,nil,nil,nil,nil,nil,nil,nil,nil,nil,nil,nil,21})
----
return cjson.encode({[1]=1,[3]=3,[100]=100})
----
return cjson.decode('[1,2,3]')[2]
----
return cjson.encode(cjson.decode('[1,2,3]'))
----
return cjson.encode(cjson.decode('{"a":1,"b":[true,false,null],"c":{"d":"e"}}'))
----
return string.format('%.17g', cjson.decode('12345678901234567890'))
----
return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')
----
return type(cjson.decode('null'))
----
return tostring(cjson.decode('null'))
----
return tostring(cjson.decode('null') == cjson.null)
----
return type(cjson.null)
----
return tostring(cjson.null)
----
return cjson.decode('"\\u20ac"')
----
return cjson.decode('"\\ud83d\\ude00"')
----
return cjson.decode('"\\ud83d"')
----
return cjson.decode('"\\ude00"')
----
return cjson.decode('"\\ud83dx"')
----
return cjson.decode('"\\ud83d\\u0041"')
----
return cjson.decode('"\\u00"')
----
return cjson.decode('"\\u0000"') == '\0'
----
return cjson.decode('"\\x"')
----
return cjson.decode('"abc')
----
return cjson.decode('"a\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti"')
----
return tostring(cjson.decode('0x10'))
----
return tostring(cjson.decode('0X1f'))
----
return tostring(cjson.decode('nan'))
----
return tostring(cjson.decode('NaN'))
----
return tostring(cjson.decode('Infinity'))
----
return tostring(cjson.decode('-Infinity'))
----
return tostring(cjson.decode('inf'))
----
return tostring(cjson.decode('+1'))
----
return tostring(cjson.decode('-0'))
----
return tostring(cjson.decode('007'))
----
return tostring(cjson.decode('1e500'))
----
return tostring(cjson.decode('-'))
----
return tostring(cjson.decode('1.'))
----
return tostring(cjson.decode('.5'))
----
return tostring(cjson.decode('1e'))
----
return tostring(cjson.decode('0x'))
----
return tostring(cjson.decode('0x1p4'))
----
return tostring(cjson.decode('nil'))
----
return tostring(cjson.decode('tru'))
----
return tostring(cjson.decode('truex'))
----
return tostring(cjson.decode('true'))
----
return tostring(cjson.decode('false'))
----
return tostring(cjson.decode(''))
----
return tostring(cjson.decode(' '))
----
return tostring(cjson.decode('1 2'))
----
return tostring(cjson.decode('[1,2'))
----
return tostring(cjson.decode('[1,2,]'))
----
return tostring(cjson.decode('[1 2]'))
----
return tostring(cjson.decode('{"a" 1}'))
----
return tostring(cjson.decode('{"a":1,}'))
----
return tostring(cjson.decode('{a:1}'))
----
return tostring(cjson.decode('{"a":1'))
----
return tostring(cjson.decode('{"a":1 "b"}'))
----
return tostring(cjson.decode('{1:1}'))
----
return tostring(cjson.decode(']'))
----
return tostring(cjson.decode('}'))
----
return tostring(cjson.decode(':'))
----
return tostring(cjson.decode(','))
----
return tostring(cjson.decode('@'))
----
return tostring(cjson.decode('1\0garbage'))
----
return tostring(cjson.decode('\0\0'))
----
return tostring(cjson.decode('a\0'))
----
return tostring(cjson.decode('\0'))
----
return tostring(cjson.decode())
----
return tostring(cjson.decode(nil))
----
return tostring(cjson.decode({}))
----
return tostring(cjson.decode(123))
----
return tostring(cjson.decode('1', 2))
----
return tostring(cjson.decode('"\1\2\3"'))
----
return tostring(cjson.decode('"\255"'))
----
return tostring(cjson.decode('-\255'))
----
return tostring(cjson.decode('\255'))
----
return tostring(cjson.decode('[1,[2,[3,[4]]]]')[2][2][2][1])
----
return cjson.encode(cjson.decode('{"a":{"a":{"a":{}}}}'))
----
return cjson.encode(cjson.decode('[[],{},[[]]]'))
----
return cjson.encode(cjson.decode('{"x":1,"x":2}'))
----
return cjson.encode(cjson.decode(' \t\r\n[ 1 , 2 ] \n'))
----
return cjson.encode(cjson.decode('"\\u00e9\\u0800\\uffff"'))
----
return cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)) and 'ok'
----
return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001)) and 'ok'
----
return cjson.decode(string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001)) and 'ok'
----
return cjson.encode_number_precision()
----
return cjson.encode_max_depth()
----
return cjson.decode_max_depth()
----
return tostring(cjson.encode_invalid_numbers())
----
return tostring(cjson.decode_invalid_numbers())
----
return tostring(cjson.encode_keep_buffer())
----
return table.concat({tostring((cjson.encode_sparse_array())), select(2, cjson.encode_sparse_array())}, ',')
----
return cjson._NAME .. ' ' .. cjson._VERSION
----
return cjson.encode_number_precision(0)
----
return cjson.encode_number_precision(15)
----
return cjson.encode_number_precision('x')
----
return cjson.encode_number_precision(1, 2)
----
return cjson.encode_max_depth(0)
----
return cjson.encode_max_depth(2^32 + 5)
----
return cjson.decode_max_depth(-1)
----
return cjson.encode_sparse_array(true, -1)
----
return cjson.encode_sparse_array(true, 1, -1)
----
return cjson.encode_sparse_array(1,2,3,4)
----
return cjson.encode_sparse_array('maybe')
----
return cjson.encode_sparse_array(1)
----
return cjson.encode_sparse_array('on')
----
return cjson.encode_keep_buffer('off')
----
return cjson.encode_keep_buffer({})
----
return cjson.encode_invalid_numbers('null')
----
return cjson.encode_invalid_numbers('x')
----
local c = cjson.new() c.encode_number_precision(3) return c.encode(123.456) .. ' ' .. cjson.encode(123.456)
----
local c = cjson.new() c.encode_number_precision(1) return c.encode({0.15, 12, 1e10, -0.5})
----
local c = cjson.new() c.encode_number_precision(10) return c.encode(1/3)
----
local c = cjson.new() return tostring(c.encode_invalid_numbers(true)) .. c.encode({0/0, 1/0, -1/0, -(0/0)})
----
local c = cjson.new() return c.encode_invalid_numbers('null') .. c.encode({0/0, 1/0, -1/0, 2})
----
local c = cjson.new() return c.encode_invalid_numbers('on')
----
local c = cjson.new() c.encode_invalid_numbers(true) return c.encode({[1/0]=1})
----
local c = cjson.new() c.encode_sparse_array(true) return c.encode({[1]=1,[20]=20})
----
local c = cjson.new() c.encode_sparse_array(false, 0) return c.encode({[1]=1,[20]=20})
----
local c = cjson.new() c.encode_sparse_array(false, 1, 0) return c.encode({[1]=1,[3]=3})
----
local c = cjson.new() c.encode_sparse_array(false, 3, 0) return c.encode({[1]=1,[3]=3})
----
local c = cjson.new() c.encode_sparse_array(true, 2, 1) return c.encode({[1]=1,[3]=3})
----
local c = cjson.new() c.encode_max_depth(2) return c.encode({{1}})
----
local c = cjson.new() c.encode_max_depth(2) return c.encode({{{1}}})
----
local c = cjson.new() c.decode_max_depth(2) return c.encode(c.decode('[[1]]'))
----
local c = cjson.new() c.decode_max_depth(2) return c.encode(c.decode('[[[1]]]'))
----
local c = cjson.new() c.decode_max_depth(2) return c.encode(c.decode('{"a":{"b":{}}}'))
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('0x10')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('-0x10')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('nan')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('Infinity')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('[-Infinity]')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('+1')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('01')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('0.5')
----
local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('-.5')
----
local c = cjson.new() return c.encode_keep_buffer(false) and 'x' or c.encode({1,2})
----
local c = cjson.new() c.encode_keep_buffer(false) return c.encode({1,{a='b'}})
----
local c = cjson.new() return tostring(c.null) .. tostring(c.null == cjson.null) .. type(c.new)
----
local t = {} t[1] = t return cjson.encode(t)
----
local t = {} t.a = t return cjson.encode(t)
----
local c = cjson.new() c.encode_max_depth(10000) local t = {} local x = t for i=1,5000 do x[1] = {} x = x[1] end return c.encode(t)
----
local c = cjson.new() c.encode_max_depth(10000) local t = {} local x = t for i=1,5000 do x.a = {} x = x.a end return c.encode(t)
----
local c = cjson.new() c.decode_max_depth(10000) return c.decode(string.rep('[', 9000) .. string.rep(']', 9000)) and 'ok'
----
local c = cjson.new() c.decode_max_depth(10000) return c.decode(string.rep('{"a":', 5000) .. '1' .. string.rep('}', 5000)) and 'ok'
----
local t = {} for k in pairs(cjson) do t[#t+1] = k end return table.concat(t, ' ')
----
local t = {} for k in pairs(cjson.new()) do t[#t+1] = k end return table.concat(t, ' ')
----
return cjson.encode({[1]=1, [2]=2, x=3})
----
return cjson.encode({a={}, b={1}, c={[5]=1}})
----
return cjson.encode({10, 20, [4]=40})
----
return cjson.encode({["a\0b"]=1})
----
return cjson.encode('a\0b')
----
return cjson.encode(12345678.9)
----
return cjson.encode(-123.456e-10)
----
return cjson.encode(1e15)
----
return cjson.encode(1e14)
----
return cjson.encode(99999999999999)
----
return cjson.encode(0.1+0.2)
----
return cjson.encode({[1e100]=1})
----
return cjson.encode({[2^53]=1})
----
return cjson.encode({[1]=1,[2]=2,[3]=3,[4]=4,[5]=5,[6]=6,[30]=30})
----
return cjson.encode({[1]=1,[2]=2,[3]=3,[4]=4,[5]=5,[6]=6,[12]=30})
----
return cjson.encode({[1]=1,[2]=2,[3]=3,[4]=4,[5]=5,[6]=6,[13]=30})
----
return cjson.encode(cjson.decode('[1,null,3]'))
----
return cjson.encode({cjson.decode('{}')})
----
return cjson.encode(cjson.decode('{"1":1,"2":2}'))
----
return #cjson.encode(string.rep('\1', 1000))
----
return cjson.encode({a=1, b=2, aa=3, bb=4, abc=5, [1.5]=6, [3]=7, ['x y']=8})
----
return cjson.encode({[cjson.null]=1})
----
local h = cmsgpack.pack({[cjson.null]=1}) return (h:gsub('.', function(c) return string.format('%02x', c:byte()) end))
----
local t = {[cjson.null]=5} return t[cjson.decode('null')]
----
return tostring(cjson.null == nil) .. tostring(not cjson.null) .. type(cjson.null)
----
return tostring(rawequal(cjson.null, cjson.new().null))
----
local t = {} t[cjson.null] = 1 t.a = 2 t[1] = 3 local o = {} for k, v in pairs(t) do o[#o+1] = tostring(k) end return table.concat(o, ',')
----
return cjson.null .. 'x'
----
return #cjson.null
----
return cjson.null < cjson.null
----
return cjson.null.x
----
return cjson.null()
----
return cjson.null + 1
----
return string.format('%s', cjson.null)
----
return tostring(tonumber(cjson.null))
----
return tostring(getmetatable(cjson.null))
----
local ok, e = pcall(error, cjson.null) return tostring(e)
----
return select('#', cjson.decode('null'))
----
return string.rep('x', 3, cjson.null)
----
return setmetatable({}, {__index = function(t, k) return k end})[cjson.null]
----
return tostring(cjson.decode('[1,null,3]')[2])
----
return bit.tobit(cjson.null)
----
return struct.pack('i', cjson.null)
----
return table.concat({1, cjson.null})
----
local t = {cjson.null, cjson.null} return #t
----
return next({}, cjson.null)
