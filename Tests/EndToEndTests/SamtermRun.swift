// Runs the samterm built beside the test bundle to its end and keeps what it printed.
import Foundation
import XCTest

struct SamtermRun {
    /// The exit status, or the signal's number when `killedBySignal`.
    let status: Int32
    let output: String
    let errors: String
    var killedBySignal = false

    /// `samterm ARGUMENTS`, without $SAMTERM_CHECKPOINT so every run names its model, with `extra`
    /// variables (e.g. XDG_CACHE_HOME, so runs leave the user's cache alone); killed
    /// (and failed) after `timeout` seconds.
    static func run(_ arguments: [String], timeout: Double = 600, environment extra: [String: String] = [:]) throws -> SamtermRun {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("\(binary.path) is missing: build the samterm product with the tests")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SAMTERM_CHECKPOINT")
        environment.merge(extra) { $1 }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Both pipes drain at once, or a chatty process fills one and never ends.
        let errorReading = DispatchGroup()
        nonisolated(unsafe) var errorBytes = Data()
        DispatchQueue.global().async(group: errorReading) { errorBytes = errors.fileHandleForReading.readDataToEndOfFile() }
        let watchdog = DispatchWorkItem { [process] in
            XCTFail("samterm \(arguments.joined(separator: " ")) ran longer than \(Int(timeout)) s")
            process.terminate()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let outputBytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        errorReading.wait()
        return SamtermRun(status: process.terminationStatus, output: String(decoding: outputBytes, as: UTF8.self),
                          errors: String(decoding: errorBytes, as: UTF8.self),
                          killedBySignal: process.terminationReason == .uncaughtSignal)
    }
}
