import SwiftletTesting
#if canImport(Glibc)
import Glibc
#endif

// Usage: fixture-startstop [cycles] [alive]
//   cycles: start+stop cycles to time (default 100)
//   alive:  servers to hold open at once for the memory figure (default 100)
let arguments = CommandLine.arguments
let cycles = arguments.count > 1 ? Int(arguments[1]) ?? 100 : 100
let alive = arguments.count > 2 ? Int(arguments[2]) ?? 100 : 100

func microseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
}

func residentKB() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var size = 0, resident = 0
    withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            _ = withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

func report(_ label: String, _ samples: [Double]) {
    let sorted = samples.sorted()
    let mean = sorted.reduce(0, +) / Double(sorted.count)
    func p(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
    func us(_ v: Double) -> String { "\(Int(v.rounded())) us" }
    print("\(label): n=\(sorted.count) mean \(us(mean)) p50 \(us(p(0.5))) p90 \(us(p(0.9))) p99 \(us(p(0.99))) max \(us(sorted.last ?? 0))")
}

// The first fixture in a process also calibrates the server's cycle counter (20 ms, once).
var t0 = microseconds()
let first = try await TestServer.start()
await first.stop()
print("first start+stop in the process: \(Int((microseconds() - t0).rounded())) us")

var startStop: [Double] = [], starts: [Double] = [], stops: [Double] = []
for _ in 0..<cycles {
    t0 = microseconds()
    let server = try await TestServer.start()
    let t1 = microseconds()
    await server.stop()
    let t2 = microseconds()
    startStop.append(t2 - t0); starts.append(t1 - t0); stops.append(t2 - t1)
}
report("start+stop", startStop)
report("start     ", starts)
report("stop      ", stops)

let before = residentKB()
var servers: [TestServer] = []
for i in 0..<alive {
    let server = try await TestServer.start()
    try await server.set("k", "\(i)")
    servers.append(server)
}
let after = residentKB()
print("\(alive) servers alive: RSS +\((after - before) / 1024) MB (\((after - before) / max(1, alive)) KB each)")
for server in servers { await server.stop() }
