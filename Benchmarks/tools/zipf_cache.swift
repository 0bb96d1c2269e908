// Cache-aside load generator for the eviction benchmark (Benchmarks/eviction.py).
//
//   zipf_cache --port P [--keys 1000000] [--requests 8000000] [--warmup 2000000]
//              [--skew 0.99] [--pipeline 64] [--value 32] [--seed 7] [--shift]
//              [--simulate CAPACITY]
//
// Replays one Zipf-distributed trace of key ids (fixed seed, so every server
// sees the same trace): GET each key, SET it on a miss. Prints the hit ratio
// after the warm-up. `--shift` remaps the popularity ranks halfway, so the
// hot set changes and stale frequencies must decay. `--simulate C` prints the
// hit ratios of exact LRU and exact LFU holding C keys on the same trace,
// without any server.
#if canImport(Glibc)
import Glibc
#endif

var options: [String: String] = [:]
var flags = Set<String>()
var argv = Array(CommandLine.arguments.dropFirst())
while !argv.isEmpty {
    let a = argv.removeFirst()
    if a == "--shift" { flags.insert("shift"); continue }
    options[String(a.dropFirst(2))] = argv.isEmpty ? "" : argv.removeFirst()
}
func option(_ name: String, _ fallback: Int) -> Int { options[name].flatMap { Int($0) } ?? fallback }
let keyCount = option("keys", 1_000_000)
let requests = option("requests", 8_000_000)
let warmup = option("warmup", 2_000_000)
let pipeline = option("pipeline", 64)
let valueSize = option("value", 32)
let skew = Double(options["skew"] ?? "0.99") ?? 0.99
var rngState = UInt64(option("seed", 7)) | 1

func nextRandom() -> Double {
    rngState ^= rngState >> 12; rngState ^= rngState << 25; rngState ^= rngState >> 27
    return Double((rngState &* 0x2545_F491_4F6C_DD1D) >> 11) / 9_007_199_254_740_992.0
}

// Inverse-CDF Zipf sampler over ranks 1...keyCount.
var cumulative = [Double](repeating: 0, count: keyCount)
var total = 0.0
for i in 0..<keyCount { total += 1.0 / pow(Double(i + 1), skew); cumulative[i] = total }
func sampleRank() -> Int {
    let target = nextRandom() * total
    var lo = 0, hi = keyCount - 1
    while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < target { lo = mid + 1 } else { hi = mid } }
    return lo
}
// Ranks map to key ids through a permutation (popular keys are not adjacent);
// with --shift a second permutation takes over halfway.
func permutation(_ seed: UInt64) -> [Int32] {
    var p = (0..<Int32(keyCount)).map { $0 }
    var s = seed | 1
    for i in stride(from: keyCount - 1, to: 0, by: -1) {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27
        let j = Int((s &* 0x2545_F491_4F6C_DD1D) % UInt64(i + 1))
        p.swapAt(i, j)
    }
    return p
}
let first = permutation(11), second = permutation(23)
var trace = [Int32](repeating: 0, count: requests)
for i in 0..<requests {
    let rank = sampleRank()
    trace[i] = (flags.contains("shift") && i >= requests / 2) ? second[rank] : first[rank]
}

if let capacityText = options["simulate"], let capacity = Int(capacityText) {
    // Exact LRU: a doubly linked list over key ids.
    var prev = [Int32](repeating: -1, count: keyCount), next = [Int32](repeating: -1, count: keyCount)
    var inCache = [Bool](repeating: false, count: keyCount)
    var head: Int32 = -1, tail: Int32 = -1, size = 0, hits = 0, counted = 0
    func unlink(_ k: Int32) {
        let p = prev[Int(k)], n = next[Int(k)]
        if p >= 0 { next[Int(p)] = n } else { head = n }
        if n >= 0 { prev[Int(n)] = p } else { tail = p }
    }
    func pushFront(_ k: Int32) { prev[Int(k)] = -1; next[Int(k)] = head; if head >= 0 { prev[Int(head)] = k }; head = k; if tail < 0 { tail = k } }
    for (i, k) in trace.enumerated() {
        let hit = inCache[Int(k)]
        if i >= warmup { counted += 1; if hit { hits += 1 } }
        if hit { unlink(k) } else {
            if size == capacity { let victim = tail; unlink(victim); inCache[Int(victim)] = false; size -= 1 }
            inCache[Int(k)] = true; size += 1
        }
        pushFront(k)
    }
    let lru = Double(hits) / Double(counted)
    // Exact LFU (counts kept while cached, least frequent evicted, ties by age):
    // a binary heap of (count, stamp, key).
    var count = [Int32](repeating: 0, count: keyCount)
    var position = [Int32](repeating: -1, count: keyCount)
    var stamp = [Int64](repeating: 0, count: keyCount)
    var heap: [Int32] = []
    heap.reserveCapacity(capacity)
    func less(_ a: Int32, _ b: Int32) -> Bool {
        count[Int(a)] != count[Int(b)] ? count[Int(a)] < count[Int(b)] : stamp[Int(a)] < stamp[Int(b)]
    }
    func swapAt(_ i: Int, _ j: Int) { heap.swapAt(i, j); position[Int(heap[i])] = Int32(i); position[Int(heap[j])] = Int32(j) }
    func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(heap[l], heap[m]) { m = l }
            if r < heap.count && less(heap[r], heap[m]) { m = r }
            if m == i { return }
            swapAt(i, m); i = m
        }
    }
    func siftUp(_ start: Int) {
        var i = start
        while i > 0 { let p = (i - 1) / 2; if less(heap[i], heap[p]) { swapAt(i, p); i = p } else { return } }
    }
    hits = 0; counted = 0
    for (i, k) in trace.enumerated() {
        let key = Int(k)
        let hit = position[key] >= 0
        if i >= warmup { counted += 1; if hit { hits += 1 } }
        stamp[key] = Int64(i)
        if hit {
            count[key] += 1
            siftDown(Int(position[key]))
        } else {
            if heap.count == capacity {
                let victim = heap[0]
                swapAt(0, heap.count - 1); heap.removeLast(); position[Int(victim)] = -1
                if !heap.isEmpty { siftDown(0) }
            }
            count[key] = 1
            heap.append(k); position[key] = Int32(heap.count - 1); siftUp(heap.count - 1)
        }
    }
    let lfu = Double(hits) / Double(counted)
    print("exact_lru \(lru)")
    print("exact_lfu \(lfu)")
    exit(0)
}

// Drive a server.
let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_port = UInt16(option("port", 6379)).bigEndian
inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
if rc != 0 { print("connect failed"); exit(1) }

var input: [UInt8] = []
var inputStart = 0
func sendAll(_ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { print("write failed"); exit(1) }
        off += n
    }
}
func fill() {
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    let n = read(fd, &chunk, chunk.count)
    if n <= 0 { print("connection closed"); exit(1) }
    if inputStart > 0 && inputStart == input.count { input.removeAll(keepingCapacity: true); inputStart = 0 }
    input += chunk[0..<n]
}
/// Reads one reply; returns true for a non-null bulk (a hit) or a status, false for null; counts errors.
var errors = 0
func readReply() -> Bool {
    while true {
        if let cr = input[inputStart...].firstIndex(of: 13), cr + 1 < input.count {
            let marker = input[inputStart]
            let line = input[(inputStart + 1)..<cr]
            if marker == 36 {  // '$'
                let n = Int(String(decoding: line, as: UTF8.self)) ?? -1
                if n < 0 { inputStart = cr + 2; return false }
                while input.count < cr + 2 + n + 2 { fill() }
                inputStart = cr + 2 + n + 2
                return true
            }
            if marker == 45 { errors += 1 }
            inputStart = cr + 2
            return marker != 45
        }
        fill()
    }
}
func command(_ parts: [[UInt8]]) -> [UInt8] {
    var out = Array("*\(parts.count)\r\n".utf8)
    for p in parts { out += Array("$\(p.count)\r\n".utf8); out += p; out += [13, 10] }
    return out
}
let value = [UInt8](repeating: 0x76, count: valueSize)
func keyBytes(_ id: Int32) -> [UInt8] {
    var digits = Array(String(id).utf8)
    while digits.count < 7 { digits.insert(0x30, at: 0) }
    return Array("key:".utf8) + digits
}
var hits = 0, counted = 0
var i = 0
while i < requests {
    let end = min(requests, i + pipeline)
    var batch: [UInt8] = []
    for j in i..<end { batch += command([Array("GET".utf8), keyBytes(trace[j])]) }
    sendAll(batch)
    var misses: [Int32] = []
    for j in i..<end {
        let hit = readReply()
        if j >= warmup { counted += 1; if hit { hits += 1 } }
        if !hit { misses.append(trace[j]) }
    }
    if !misses.isEmpty {
        var sets: [UInt8] = []
        for k in misses { sets += command([Array("SET".utf8), keyBytes(k), value]) }
        sendAll(sets)
        for _ in misses { _ = readReply() }
    }
    i = end
}
print("hit_ratio \(Double(hits) / Double(max(counted, 1)))")
print("errors \(errors)")
