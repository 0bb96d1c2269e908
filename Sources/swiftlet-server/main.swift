// swiftlet-server: a drop-in for redis-server.
//
//   swiftlet-server [/path/to/redis.conf | -] [--directive value ...]
//
// Exit codes: 0 after a clean shutdown, 1 on a configuration or bind error.
import Swiftlet
import Commands
import Networking
import CSystem
#if canImport(Glibc)
import Glibc
#endif

// Huge pages for the heap. A cache's lookups land on random entries all over
// a heap of hundreds of megabytes, and with 4 KiB pages nearly each one is a
// TLB miss on top of its cache miss: backing the malloc heap with 2 MiB pages
// cut server CPU per request by 15-30% for 1 KiB values (GET and SET at
// pipeline 16, 1M keys; docs/DESIGN.md "Hot path notes"), for about 2 bytes
// of RSS per key. glibc does this when its `glibc.malloc.hugetlb=1` tunable
// is set, and reads tunables only when a process starts, so the server runs
// itself again with it set, first thing (nothing has been read or written
// yet: a config on standard input is still unread). A GLIBC_TUNABLES the
// user set is left alone, which is also how to opt out (`GLIBC_TUNABLES=`).
// Redis's `disable-thp` guards against copy-on-write latency after fork;
// Swiftlet never forks, so that directive is accepted and has no effect.
// On a virtual machine that gives its free memory back to its host, new huge
// pages are slow to fault in and the heap keeps 4 KiB pages (`HeapPages`).
let tunablesGiven = getenv("GLIBC_TUNABLES") != nil
let hostReclaimsFreeMemory = !tunablesGiven && HeapPages.hostReclaimsFreeMemory()
if !tunablesGiven && !hostReclaimsFreeMemory {
    setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // Could not run itself again (no /proc): carry on with normal pages.
}

/// How the heap is paged, for the startup log line.
let heapPages: String = {
    guard let tunables = getenv("GLIBC_TUNABLES").map({ String(cString: $0) }) else {
        return hostReclaimsFreeMemory ? "4k (free memory goes back to the host)" : "4k"
    }
    if tunables.contains("glibc.malloc.hugetlb=1") { return "2m (transparent huge pages)" }
    if tunables.contains("glibc.malloc.hugetlb=2") { return "2m (hugetlbfs)" }
    return "4k"
}()

let arguments = Array(CommandLine.arguments.dropFirst())

if arguments.first == "-v" || arguments.first == "--version" {
    print("Swiftlet server v=\(SwiftletVersion.current) redis_version=\(SwiftletVersion.redisCompatible) bits=64")
    exit(0)
}
if arguments.first == "-h" || arguments.first == "--help" {
    print("""
    Usage: swiftlet-server [/path/to/redis.conf] [options] [-]
           swiftlet-server - (read config from stdin)
           swiftlet-server -v or --version
           swiftlet-server -h or --help

    Examples:
           swiftlet-server (run the server with default config)
           swiftlet-server /etc/redis/6379.conf
           swiftlet-server --port 7777
           swiftlet-server --port 7777 --replicaof 127.0.0.1 8888
           swiftlet-server /etc/myredis.conf --loglevel verbose -
           swiftlet-server /etc/myredis.conf --loglevel verbose

    Any redis.conf directive may be given as --name value.
    """)
    exit(0)
}

let configuration = Configuration()
let knownCommands = CommandTable(CommandCatalog.all())
configuration.setCommandValidator { name in knownCommands.lookup(name) != nil }
if arguments.contains("-") {
    // Redis logs this before reading (the line appears even if parsing then fails).
    Logger(path: "", level: .notice).log(.notice, "Reading config from stdin")
}
do {
    try configuration.load(arguments: arguments, readFile: Configuration.readFileFromDisk,
                           standardInput: Configuration.readStandardInput)
} catch let error as ConfigFileError {
    if error.isLogMessage {
        // Redis reports these as a warning log line on stdout, not the FATAL block.
        Logger(path: "", level: .notice).log(.warning, error.message)
    } else {
        fputs(error.message, stderr)
    }
    exit(1)
} catch {
    fputs("\(error)\n", stderr)
    exit(1)
}

// One malloc arena when one event loop runs the commands (the default).
// glibc gives each further thread its own arena, a heap that grows by
// mprotect one page at a time: a SET of 1 KiB values into a growing
// keyspace made one mprotect per four requests. The main arena grows with
// brk by M_TOP_PAD at a time instead. With more loops, each keeps its own
// arena so that they do not queue on one lock.
if configuration.ioThreads <= 1 {
    cs_use_one_malloc_arena()
}

// Signals are taken synchronously by one thread: block them everywhere first
// (threads inherit the mask), then wait for them with sigwait.
var shutdownSignals = sigset_t()
sigemptyset(&shutdownSignals)
sigaddset(&shutdownSignals, SIGTERM)
sigaddset(&shutdownSignals, SIGINT)
pthread_sigmask(SIG_BLOCK, &shutdownSignals, nil)

let server = SwiftletServer(configuration: configuration)
server.log(.notice, "oO0OoO0OoO0Oo Swiftlet is starting oO0OoO0OoO0Oo")
server.log(.notice, "Swiftlet version=\(SwiftletVersion.current) (Redis \(SwiftletVersion.redisCompatible) compatible), bits=64, pid=\(getpid()), just started")
if configuration.configFilePath == nil {
    server.log(.warning, "Warning: no config file specified, using the default config. In order to specify a config file use swiftlet-server /path/to/redis.conf")
} else {
    server.log(.notice, "Configuration loaded")
}
do {
    try server.start()
} catch {
    server.log(.warning, "\(error)")
    exit(1)
}
server.log(.notice, "Running mode=standalone, port=\(server.port), io-threads=\(max(1, configuration.ioThreads)), io=\(server.usesRing ? "io_uring" : "epoll"), heap-pages=\(heapPages).")
server.log(.notice, "Server initialized")
server.log(.notice, "Ready to accept connections tcp")

// Detached: nobody joins it (after SHUTDOWN it is still waiting when the process exits).
pthread_detach(startThread {
    var signal: Int32 = 0
    sigwait(&shutdownSignals, &signal)
    server.log(.warning, "Received \(signal == SIGINT ? "SIGINT" : "SIGTERM") scheduling shutdown...")
    server.requestShutdown(.plain)
})

server.waitForShutdown()
server.log(.warning, "Swiftlet is now ready to exit, bye bye...")
exit(0)
