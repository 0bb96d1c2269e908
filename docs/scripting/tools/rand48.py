# Model of Redis 7.0 math.random / math.randomseed (process-global drand48-style LCG).
A, C, M = 0x5DEECE66D, 0xB, (1 << 48) - 1
X = 0x1234ABCD330E          # state at server start

def randomseed(n):
    global X
    n &= 0xFFFFFFFF
    X = ((n >> 16) & 0xFFFF) << 32 | (n & 0xFFFF) << 16 | 0x330E

def random(*args):
    global X
    X = (A * X + C) & M
    r = ((X >> 17) % 2147483647) / 2147483647
    if not args: return r
    if len(args) == 1: return int(r * int(args[0])) + 1          # floor for r>=0
    l, u = int(args[0]), int(args[1])
    import math; return math.floor(r * (u - l + 1)) + l

if __name__ == '__main__':
    print(['%.17g' % random() for _ in range(5)])   # 0.39646477363839039 ...
    randomseed(10); print('%.17g' % random())      # 0.87885112309774904
