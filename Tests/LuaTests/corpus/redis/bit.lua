return bit.tobit(1.5)
----
return bit.tobit(2.5)
----
return bit.tobit(-1.5)
----
return bit.tobit(-2.5)
----
return bit.tobit(0.5)
----
return bit.tobit(2^32+1)
----
return bit.tobit(0xffffffff)
----
return bit.tobit(2^31)
----
return bit.tobit(-2^31)
----
return bit.tobit(2^52)
----
return bit.tobit(2^52+3)
----
return bit.tobit(2^53+5)
----
return bit.tobit(2^60+12345)
----
return bit.tobit(-2^60-12345)
----
return bit.tobit(1e100)
----
return bit.tobit(1/0)
----
return bit.tobit(-1/0)
----
return bit.tobit(0/0)
----
return bit.tobit('7')
----
return bit.tobit('0x10')
----
return bit.tobit('  12  ')
----
return bit.tobit('x')
----
return bit.tobit()
----
return bit.tobit(nil)
----
return bit.tobit({})
----
return bit.tobit(true)
----
return bit.tobit(1e-300)
----
return bit.tobit(-0)
----
return bit.tobit(123456789.49)
----
return bit.tobit(123456789.51)
----
return bit.bnot(0)
----
return bit.bnot(-1)
----
return bit.bnot(5)
----
return bit.bnot('x')
----
return bit.band(7, 3)
----
return bit.band('7', 3)
----
return bit.band(0xff00ff, 0x0ff0f0, 0xf0f0f0)
----
return bit.band()
----
return bit.band(1)
----
return bit.band(1, 'x', 3)
----
return bit.band(1, 2, 'y')
----
return bit.bor()
----
return bit.bor(1, 2, 4, 8, 2^31)
----
return bit.bxor(5, 3)
----
return bit.bxor(-1, 2^32-1)
----
return bit.lshift(1, 32)
----
return bit.lshift(1, 31)
----
return bit.lshift(1, 33)
----
return bit.lshift(1, -1)
----
return bit.lshift(255, 4)
----
return bit.lshift(1)
----
return bit.rshift(-1, 28)
----
return bit.rshift(-1, 0)
----
return bit.rshift(256, 4)
----
return bit.arshift(-256, 4)
----
return bit.arshift(-1, 31)
----
return bit.arshift(2^31, 1)
----
return bit.rol(0x12345678, 4)
----
return bit.rol(0x12345678, 0)
----
return bit.rol(0x12345678, 32)
----
return bit.rol(0x12345678, 36)
----
return bit.ror(0x12345678, 4)
----
return bit.ror(0x12345678, 0)
----
return bit.ror(1, 1)
----
return bit.bswap(0x12345678)
----
return bit.bswap(-1)
----
return bit.bswap(0xff)
----
return bit.tohex(1)
----
return bit.tohex(-1)
----
return bit.tohex(255, 2)
----
return bit.tohex(255, -2)
----
return bit.tohex(0xabcdef, -8)
----
return bit.tohex(0xabcdef, 0)
----
return bit.tohex(0xabcdef, 20)
----
return bit.tohex(0xabcdef, -20)
----
return bit.tohex(1, -2147483648)
----
return bit.tohex(1, 2147483647)
----
return bit.tohex(-1, -2147483647)
----
return bit.tohex(255, 2^31)
----
return bit.tohex(255, 2^32+3)
----
return bit.tohex(255, 3.5)
----
return bit.tohex('x')
----
return bit.tohex(1, 'x')
----
return bit.tohex(1, nil)
----
return bit.tohex()
----
return bit.tohex(0x1234abcd, 4)
----
return bit.tohex(2^40)
----
return bit.tohex(-2^31)
----
return (bit.band(2^31, 2^31))
----
return bit.tobit(2^31 + 0.5)
----
return bit.tobit(-2^31 - 0.5)
----
return bit.tobit(4294967295.5)
----
return bit.tobit(4294967296.5)
----
return bit.tobit(6755399441055744)
----
return bit.tobit(-6755399441055744)
----
return bit.tobit(2^51)
----
return bit.tobit(2^51 + 0.5)
----
return bit.tobit(3*2^51)
----
return bit.tobit(2^53)
----
return bit.tobit(2^84+2^33+7)
----
local t = {} for k in pairs(bit) do t[#t+1] = k end table.sort(t) return table.concat(t, ' ')
