// Process figures for INFO: resident memory (/proc/self/statm), heap in use (the
// server executable's counting malloc, else glibc's mallinfo2), CPU time
// (getrusage), total system memory (sysinfo).
import CRedstartShims
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

public enum ProcessResources {
    /// Reads the current figures.
    static func usage() -> ResourceUsage {
        var usage = ResourceUsage()
        usage.residentBytes = residentBytes()
        usage.allocatedBytes = allocatedBytes()
        usage.systemMemoryBytes = Int(redstart_total_system_memory())
        var resources = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &resources) == 0 {
            usage.userCPUSeconds = Double(resources.ru_utime.tv_sec) + Double(resources.ru_utime.tv_usec) / 1e6
            usage.systemCPUSeconds = Double(resources.ru_stime.tv_sec) + Double(resources.ru_stime.tv_usec) / 1e6
        }
        return usage
    }

    /// Resident set size in bytes.
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The counter of allocated bytes, when the executable counts its allocations
    /// (redstart-server does: CRedstartAllocator). Set once at start-up, before any thread.
    nonisolated(unsafe) public static var allocatedBytesProbe: (() -> Int)?

    /// glibc's malloc_info report.
    static func allocatorReport() -> String {
        guard let text = redstart_malloc_info() else { return "" }
        defer { free(text) }
        return String(cString: text)
    }

    /// malloc_trim(0): true when memory went back to the system.
    static func trimHeap() -> Bool { redstart_malloc_trim() != 0 }

    /// The AnonHugePages total of /proc/self/smaps_rollup, in bytes.
    static func anonymousHugePagesBytes() -> Int {
        guard let file = fopen("/proc/self/smaps_rollup", "r") else { return 0 }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix("AnonHugePages:") else { continue }
            let fields = line.split(separator: " ")
            return fields.count > 1 ? (Int(fields[1]) ?? 0) * 1024 : 0
        }
        return 0
    }

    /// Bytes handed out by malloc and not yet freed: the executable's counter (cheap), or
    /// mallinfo2 (which walks the heap's free lists).
    static func allocatedBytes() -> Int {
        if let probe = allocatedBytesProbe { return probe() }
        return Int(redstart_heap_allocated_bytes())
    }
}
