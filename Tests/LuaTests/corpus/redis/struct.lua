return struct.pack('>i', 1)
----
return struct.pack('<i', -2)
----
return struct.pack('i', 2^31)
----
return struct.unpack('i', struct.pack('i4', 2^31))
----
return struct.pack('>I', 2^32)
----
return struct.pack('>L', 0/0)
----
return struct.pack('>L', 2^64)
----
return struct.pack('>L', 2^63)
----
return struct.pack('>L', 2^63 + 2^62)
----
return struct.pack('>L', 1e30)
----
return struct.pack('>l', -1e30)
----
return struct.pack('>l', -2^63)
----
return struct.pack('>l', 1/0)
----
return struct.pack('>l', -1/0)
----
return struct.pack('>b', 300)
----
return struct.pack('>B', -1)
----
return struct.pack('>h', 1.9)
----
return struct.pack('>h', -1.9)
----
return struct.pack('>H', 65535)
----
return struct.pack('<T', 12345)
----
return struct.pack('>i16', -1)
----
return struct.pack('<i16', -1)
----
return struct.pack('>i3', 0x123456)
----
return struct.pack('<i3', 0x123456)
----
return struct.pack('i0', 5)
----
return struct.pack('i33', 1)
----
return struct.pack('i32', 1)
----
return struct.pack('i99999999999', 1)
----
return struct.pack('i2147483647', 1)
----
return struct.pack('c2147483648', 'a')
----
return struct.pack('>f', 1.5)
----
return struct.pack('<f', 1.5)
----
return struct.pack('f', 0.1)
----
return struct.pack('>d', 0.1)
----
return struct.pack('<d', -0.0)
----
return struct.pack('d', 1/0)
----
return struct.pack('s', 'abc')
----
return struct.pack('s', 'a\0c')
----
return struct.pack('c', 'abc')
----
return struct.pack('c3', 'abc')
----
return struct.pack('c5', 'abc')
----
return struct.pack('c0', 'abcdef')
----
return struct.pack('bc5', 1, 'abc')
----
return struct.pack('xxbx', 1)
----
return struct.pack('!4bi', 1, 2)
----
return struct.pack('!bi', 1, 2)
----
return struct.pack('!2bibd', 1, 2, 3, 4)
----
return struct.pack('!8bdbh', 1, 2, 3, 4)
----
return struct.pack('!3b', 1)
----
return struct.pack('!0b', 1)
----
return struct.pack('!16bd', 1, 2)
----
return struct.pack('!8b i3 b i3', 1, 2, 3, 4)
----
return struct.pack('q', 1)
----
return struct.pack('5', 1)
----
return struct.pack('\200', 1)
----
return struct.pack('i', 'x')
----
return struct.pack('i')
----
return struct.pack('s')
----
return struct.pack('d', {})
----
return struct.pack()
----
return struct.pack('')
----
return struct.pack('b\0b', 1, 2)
----
return struct.pack('>i<i', 1, 1)
----
return struct.pack(123, 1)
----
return struct.size('i')
----
return struct.size('bhlLTfdxc3')
----
return struct.size('!8bd')
----
return struct.size('!bd')
----
return struct.size('!4bdi2b')
----
return struct.size('s')
----
return struct.size('c0')
----
return struct.size('c')
----
return struct.size('q')
----
return struct.size('qz')
----
return struct.size('5')
----
return struct.size('#')
----
return struct.size('\200')
----
return struct.size('!5')
----
return struct.size('i40')
----
return struct.size('')
----
return struct.size()
----
return struct.size('i', 'extra')
----
return table.concat({struct.unpack('>i', '\0\0\1\0')}, ',')
----
return table.concat({struct.unpack('<i', '\255\255\255\255')}, ',')
----
return table.concat({struct.unpack('<I', '\255\255\255\255')}, ',')
----
return table.concat({struct.unpack('bB', '\255\255')}, ',')
----
return table.concat({struct.unpack('hH', '\255\255\255\255')}, ',')
----
return table.concat({struct.unpack('<l', '\255\255\255\255\255\255\255\255')}, ',')
----
return table.concat({struct.unpack('<L', '\255\255\255\255\255\255\255\255')}, ',')
----
return table.concat({struct.unpack('<L', '\1\0\0\0\0\0\0\128')}, ',')
----
return table.concat({struct.unpack('<i16', string.rep('\255', 16))}, ',')
----
return table.concat({struct.unpack('>i16', string.rep('\255', 16))}, ',')
----
return table.concat({struct.unpack('<i9', string.rep('\255', 9))}, ',')
----
return table.concat({struct.unpack('<I9', string.rep('\255', 9))}, ',')
----
return table.concat({struct.unpack('>i9', '\1' .. string.rep('\0', 7) .. '\200')}, ',')
----
return table.concat({struct.unpack('i3', '\255\255\127')}, ',')
----
return table.concat({struct.unpack('i3', '\255\255\128')}, ',')
----
return table.concat({struct.unpack('I3', '\255\255\128')}, ',')
----
return table.concat({struct.unpack('i0', 'abc')}, ',')
----
return table.concat({struct.unpack('>f', struct.pack('>f', 0.1))}, ',')
----
return table.concat({struct.unpack('<d', struct.pack('<d', 1/3))}, ',')
----
return table.concat({struct.unpack('d', struct.pack('>d', 1/3))}, ',')
----
return table.concat({struct.unpack('s', 'abc\0def\0')}, ',')
----
return table.concat({struct.unpack('ss', 'abc\0def\0')}, ',')
----
return table.concat({struct.unpack('s', 'abc')}, ',')
----
return table.concat({struct.unpack('c2c0', '3xabcdef')}, ',')
----
return table.concat({struct.unpack('bc0', '\3abcdef')}, ',')
----
return table.concat({struct.unpack('bc0', '\9abcdef')}, ',')
----
return table.concat({struct.unpack('c0', 'abc')}, ',')
----
return table.concat({struct.unpack('xc0', 'abc')}, ',')
----
return table.concat({struct.unpack('c1c0', 'xabc')}, ',')
----
return table.concat({struct.unpack('c1c0', '2abc')}, ',')
----
return table.concat({struct.unpack('b', '\255', 1)}, ',')
----
return table.concat({struct.unpack('b', 'ab', 2)}, ',')
----
return table.concat({struct.unpack('b', 'ab', 3)}, ',')
----
return table.concat({struct.unpack('b', 'ab', 0)}, ',')
----
return table.concat({struct.unpack('b', 'ab', -1)}, ',')
----
return table.concat({struct.unpack('', 'ab', -5)}, ',')
----
return table.concat({struct.unpack('', 'ab', 10)}, ',')
----
return table.concat({struct.unpack('x', 'ab', 3)}, ',')
----
return table.concat({struct.unpack('i', 'abc')}, ',')
----
return table.concat({struct.unpack('c4', 'abc')}, ',')
----
return table.concat({struct.unpack('!4bi', '\1\0\0\0\2\0\0\0')}, ',')
----
return table.concat({struct.unpack('!4bi', '\1\0\0\0\2\0\0')}, ',')
----
return table.concat({struct.unpack('>!8bd', struct.pack('>!8bd', 7, 2.5))}, ',')
----
return table.concat({struct.unpack('q', 'abc')}, ',')
----
return table.concat({struct.unpack('<>', 'abc')}, ',')
----
return table.concat({struct.unpack('b')}, ',')
----
return table.concat({struct.unpack('b', 'a', 'x')}, ',')
----
return table.concat({struct.unpack('b', 'a', 1.9)}, ',')
----
return select('#', struct.unpack(string.rep('b', 7996), string.rep('x', 8000)))
----
return select('#', struct.unpack(string.rep('b', 7997), string.rep('x', 8000)))
----
return select('#', struct.unpack(string.rep('b', 7996), string.rep('x', 8000), 1))
----
return select('#', struct.unpack(string.rep('b', 7995), string.rep('x', 8000), 1))
----
local t = {} for k in pairs(struct) do t[#t+1] = k end table.sort(t) return table.concat(t, ' ')
----
return struct.pack('ii', 1)
----
return struct.pack('iii', 1)
----
return struct.pack('bs', 1)
----
return struct.pack('bsd', 1)
----
return #struct.pack('c0c0', string.rep('x', 9000), 1)
----
return struct.pack('c0i', string.rep('x', 9000))
----
return struct.pack('c0ii', string.rep('x', 9000))
