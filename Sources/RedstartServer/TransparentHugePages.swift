// disable-thp: with the kernel's transparent huge pages, a write to one byte of a
// freshly faulted 2 MB page costs the whole page, and freed memory stays resident
// in huge pages; Redis turns them off for itself at start-up. Redstart does the same
// whenever disable-thp is yes (under `madvise` it changes nothing: the heap never
// asks for huge pages), and warns as Redis when THP is `always` and stays on.
import CRedstartShims
import RedstartEngine

enum TransparentHugePages {
    static let settingPath = "/sys/kernel/mm/transparent_hugepage/enabled"

    static func applyAtStartup(_ config: ConfigStore, log: ServerLog) {
        if config.bool("disable-thp") && redstart_disable_transparent_huge_pages() == 0 { return }
        guard let setting = readWholeFile(settingPath), String(decoding: setting, as: UTF8.self).contains("[always]") else { return }
        log.write(
            .warning,
            "WARNING You have Transparent Huge Pages (THP) support enabled in your kernel. This will create latency and memory usage issues with Redis. To fix this issue run the command 'echo madvise > \(settingPath)' as root, and add it to your /etc/rc.local in order to retain the setting after a reboot. Redis must be restarted after THP is disabled (set to 'madvise' or 'never')."
        )
    }
}
