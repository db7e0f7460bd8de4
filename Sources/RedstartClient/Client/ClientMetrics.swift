// swift-metrics hooks: a counter and a timer per command name
// (`redstart_client_commands_total`, `redstart_client_command_duration`, dimension
// `command`), created once per name and cached. Only built when the configuration
// asks for metrics, so a client without them pays nothing.
import CoreMetrics
import NIOConcurrencyHelpers
import NIOCore

final class ClientMetrics: Sendable {
    private let timers = NIOLockedValueBox([String: (CoreMetrics.Counter, CoreMetrics.Timer)]())

    func record(_ name: String, since started: NIODeadline) {
        let (counter, timer) = timers.withLockedValue { cache in
            if let pair = cache[name] { return pair }
            let pair = (
                CoreMetrics.Counter(label: "redstart_client_commands_total", dimensions: [("command", name)]),
                CoreMetrics.Timer(label: "redstart_client_command_duration", dimensions: [("command", name)])
            )
            cache[name] = pair
            return pair
        }
        counter.increment()
        timer.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
    }
}
