import ArgumentParser

/// `--metrics-file`, for every command that runs a job (push, pull, resume).
struct MetricsOption: ParsableArguments {
    @Option(
        name: .customLong("metrics-file"),
        help: "Write the run's metrics to PATH (Prometheus text format, for node_exporter's textfile collector).")
    var path: String?
}
