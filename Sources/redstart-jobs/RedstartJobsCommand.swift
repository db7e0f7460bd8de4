// redstart-jobs: RedstartJobs from the command line. `demo` enqueues and runs example
// jobs; `bench` measures RedstartJobs against rq and BullMQ on the same server;
// `dashboard` serves the web dashboard of a server's queues.
import ArgumentParser

@main
struct RedstartJobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redstart-jobs",
        abstract: "Reliable background jobs on Redstart or Redis: the dashboard, example jobs and the benchmark.",
        subcommands: [DashboardCommand.self, DemoCommand.self, BenchCommand.self])
}
