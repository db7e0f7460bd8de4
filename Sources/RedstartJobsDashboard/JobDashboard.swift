// The jobs dashboard as a service: a Hummingbird web server and the sampler that reads
// the server once per interval. Run it in a worker's own process (add it to the
// ServiceGroup beside the JobWorker) or on its own (`redstart-jobs dashboard`).
import Foundation
import Hummingbird
import Logging
import RedstartClient
import RedstartJobs
import ServiceLifecycle

/// A web dashboard of one job namespace: queues, charts, workers, jobs and their
/// actions, and the server's health. Stops on graceful shutdown.
public struct JobDashboard: Service {
    public struct Configuration: Sendable {
        /// Where to listen; 127.0.0.1 unless the dashboard should be reachable from elsewhere
        /// (it can retry, cancel and delete jobs, and has no login of its own).
        public var host = "127.0.0.1"
        /// 0: any free port (see `onListening`).
        public var port = 8080
        /// How often the server is read and the charts get a point.
        public var interval: Duration = .seconds(1)
        /// How many points the charts keep (ten minutes at one a second).
        public var historyLength = 600
        /// How long one live stream lasts before the page reconnects (streams end, so a
        /// stopping dashboard never waits for an open page).
        public var liveStreamLifetime: Duration = .seconds(30)
        public var logger = Logger(label: "redstart.jobs.dashboard")
        /// Called with the port once the server listens.
        public var onListening: @Sendable (Int) async -> Void = { _ in }

        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }

    public let jobs: JobQueue
    public let configuration: Configuration

    public init(jobs: JobQueue, configuration: Configuration = Configuration()) {
        self.jobs = jobs
        self.configuration = configuration
    }

    public func run() async throws {
        let configuration = configuration
        let sampler = DashboardSampler(
            reader: DashboardReader(jobs: jobs), interval: configuration.interval,
            historyLength: configuration.historyLength, logger: configuration.logger)
        let application = Application(
            router: DashboardRoutes(sampler: sampler, streamLifetime: configuration.liveStreamLifetime).router(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "redstart-jobs"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                configuration.logger.info("dashboard listening on http://\(configuration.host):\(port)/")
                await configuration.onListening(port)
            },
            logger: configuration.logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await sampler.run() }
            try await withGracefulShutdownHandler {
                try await application.run()
            } onGracefulShutdown: {
                sampler.stop()
            }
            sampler.stop()
        }
    }
}
