// `redstart-jobs dashboard`: serves the jobs dashboard of one namespace on a server until
// SIGTERM or SIGINT. Prints `dashboard listening on http://HOST:PORT/` once it listens
// (with --port 0, the port it was given).
import ArgumentParser
import Foundation
import Logging
import RedstartClient
import RedstartJobs
import RedstartJobsDashboard
import ServiceLifecycle

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "Serve the web dashboard of a server's job queues.")

    @Option(help: "The server (redis:// or rediss:// URL).")
    var url = "redis://127.0.0.1:6379"

    @Option(help: "The port to serve the dashboard on (0: any free port).")
    var port = 8080

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The namespace of the jobs' keys.")
    var namespace = "rj"

    @Option(help: "Seconds between readings of the server (the charts' resolution).")
    var interval = 1.0

    func run() async throws {
        let client = try RedstartClient(url: url)
        var configuration = JobDashboard.Configuration(host: host, port: port)
        // Warnings only: the line below says where it listens.
        configuration.logger.logLevel = .warning
        configuration.interval = .milliseconds(Int64(max(0.1, interval) * 1000))
        configuration.onListening = { port in
            // Written at once (not buffered): scripts wait for this line.
            FileHandle.standardOutput.write(Data("dashboard listening on http://\(host):\(port)/\n".utf8))
        }
        let dashboard = JobDashboard(jobs: JobQueue(client: client, namespace: namespace), configuration: configuration)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: dashboard)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "redstart.jobs.dashboard")))
        try await group.run()
        await client.shutdown()
    }
}
