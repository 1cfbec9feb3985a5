import ArgumentParser
import Foundation

/// Runs a job over images: skips those already complete (unless overwriting), reports and
/// counts failures and goes on, and says what it did.
struct BatchRunner {
    var overwrite = false

    func run(_ inputs: [String], job: some BatchJob, reporter: ProgressReporter) -> BatchSummary {
        for input in inputs {
            reporter.begin(input)
            do {
                if !overwrite, try job.isComplete(input) {
                    reporter.end(.skipped)
                    continue
                }
                try job.process(input)
                reporter.end(.processed)
            } catch {
                reporter.end(.failed(BatchSummary.failureLine(input: input, error: error)))
            }
        }
        return reporter.finish()
    }
}

/// The arguments every batch command shares: the images, the shard, --overwrite.
struct BatchOptions: ParsableArguments {
    @Argument(help: "PNG or JPEG images, folders of them, or @LIST: a file naming one image per line.")
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Process only slice I of N of the sorted images; I counts from 0 (0/4, 1/4, 2/4, 3/4).",
                               valueName: "I/N"))
    var shard: Shard?

    @Flag(help: "Redo images whose outputs are already complete (by default they are skipped).")
    var overwrite = false

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("<inputs>: give at least one image, folder or @LIST.") }
    }

    /// Expands and sorts the inputs, then checks every one of them with `check` (output name
    /// clashes, say) before keeping this shard's slice, so every shard refuses the same inputs.
    func selectedInputs(check: ([String]) throws -> Void = { _ in }) throws -> (all: Int, selected: [String]) {
        let all = try BatchInputs.expand(inputs)
        try check(all)
        return (all.count, shard.map { $0.slice(all) } ?? all)
    }

    /// The whole run of a batch command: expands the inputs, makes the job (loading the model,
    /// once) only when this shard has images, runs it with a progress report on standard error,
    /// prints the summary line on standard output, calls `afterwards` (with the job, when one
    /// was made); exits 1 when any image failed.
    func run<Job: BatchJob>(command: String, check: ([String]) throws -> Void = { _ in },
                            makeJob: () throws -> Job, afterwards: (Job?) -> Void = { _ in }) throws {
        let (all, selected) = try selectedInputs(check: check)
        var scope = "\(selected.count) of \(all) images"
        if let shard { scope += ", shard \(shard)" }
        FileHandle.standardError.write(Data("samterm \(command): \(scope)\n".utf8))
        var summary = BatchSummary()
        var job: Job?
        if !selected.isEmpty {
            let madeJob = try makeJob()
            job = madeJob
            let reporter = ProgressReporter(total: selected.count, style: ProgressReporter.styleForStandardError())
            summary = BatchRunner(overwrite: overwrite).run(selected, job: madeJob, reporter: reporter)
        }
        print(summary.line)
        afterwards(job)
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}
