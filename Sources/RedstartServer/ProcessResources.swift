// Process figures for INFO: resident memory (/proc/self/statm), heap in use and
// the allocator's figures (the server executable's counting jemalloc, else
// glibc's mallinfo2), CPU time (getrusage), total system memory (sysinfo).
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
        if let allocator {
            usage.allocatorName = allocator.name
            usage.allocator = allocator.statistics()
        }
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

    /// The heap allocator the executable brings, with its counter of allocated bytes
    /// (redstart-server does: jemalloc through CRedstartAllocator); nil leaves glibc's.
    /// Set once at start-up, before any thread.
    nonisolated(unsafe) public static var allocator: Allocator?

    /// What the server asks of an allocator the executable brings.
    public struct Allocator {
        /// INFO's mem_allocator ("jemalloc-5.3.0").
        public var name: String
        /// Bytes handed out and not yet freed (used_memory); cheap.
        public var allocatedBytes: () -> Int
        /// The allocator's own totals: allocated, active and resident bytes.
        public var statistics: () -> (allocated: Int, active: Int, resident: Int)?
        /// Gives unused pages back to the system; true on success.
        public var purge: () -> Bool
        /// The allocator's statistics report (MEMORY MALLOC-STATS).
        public var report: () -> String
        /// Its settings by name (DEBUG MALLCTL / MALLCTL-STR), read and optionally written.
        public var numberSetting: (@Sendable (String, Int64?) -> AllocatorSettingReply)?
        public var stringSetting: (@Sendable (String, String?) -> AllocatorSettingReply)?

        public init(
            name: String, allocatedBytes: @escaping () -> Int,
            statistics: @escaping () -> (allocated: Int, active: Int, resident: Int)?,
            purge: @escaping () -> Bool, report: @escaping () -> String,
            numberSetting: (@Sendable (String, Int64?) -> AllocatorSettingReply)? = nil,
            stringSetting: (@Sendable (String, String?) -> AllocatorSettingReply)? = nil
        ) {
            self.numberSetting = numberSetting
            self.stringSetting = stringSetting
            self.name = name
            self.allocatedBytes = allocatedBytes
            self.statistics = statistics
            self.purge = purge
            self.report = report
        }
    }

    /// The allocator's statistics report: the executable's allocator, else glibc's malloc_info.
    static func allocatorReport() -> String {
        if let allocator { return allocator.report() }
        guard let text = redstart_malloc_info() else { return "" }
        defer { free(text) }
        return String(cString: text)
    }

    /// Gives free heap memory back to the system (jemalloc's purge, else malloc_trim(0));
    /// true when that worked or released something.
    static func trimHeap() -> Bool {
        if let allocator { return allocator.purge() }
        return redstart_malloc_trim() != 0
    }

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
        if let allocator { return allocator.allocatedBytes() }
        return Int(redstart_heap_allocated_bytes())
    }
}
