// `samterm embed` and `samterm segment` over folders, as a cluster job runs them: killed
// mid-way and started again, sharded, with a broken image among the good ones. The real
// binary and the tiny SAM 2.1 fixture model (Tests/Fixtures/sam2).

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Segmentation
import XCTest

final class BatchCommandTests: XCTestCase {
    private static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()
    private static let checkpoint = repositoryRoot.appendingPathComponent("Tests/Fixtures/sam2/tiny_sam2.1.pt").path

    private var work = ""
    private var cacheHome: String { work + "/cache" }

    override func setUpWithError() throws {
        work = NSTemporaryDirectory() + "samterm-batch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    /// The samterm built beside this test bundle.
    private var samtermPath: String {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        return folder.appendingPathComponent("samterm").path
    }

    private struct Run {
        let status: Int32
        let output: String
        let errors: String
        /// How often the model was loaded: `loadModel` says "Running on:" each time.
        var modelLoads: Int { errors.components(separatedBy: "Running on:").count - 1 }
    }

    /// Starts samterm with its output going to files (read once it has ended), the cache
    /// under the test's folder.
    private func start(_ arguments: [String], logName: String, environment extra: [String: String] = [:]) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: samtermPath) else {
            XCTFail("\(samtermPath) is missing: `swift build -c release` before the tests")
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: samtermPath)
        process.arguments = arguments + ["--checkpoint", Self.checkpoint, "--device", "cpu"]
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cacheHome
        environment.removeValue(forKey: "SAMTERM_CHECKPOINT")
        environment.removeValue(forKey: "SAMTERM_CACHE_MAX_GB")
        process.environment = environment.merging(extra) { $1 }
        for suffix in ["out", "err"] { FileManager.default.createFile(atPath: "\(work)/\(logName).\(suffix)", contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: "\(work)/\(logName).out")
        process.standardError = FileHandle(forWritingAtPath: "\(work)/\(logName).err")
        try process.run()
        return process
    }

    private func finish(_ process: Process, logName: String) -> Run {
        process.waitUntilExit()
        func text(_ suffix: String) -> String {
            String(decoding: FileManager.default.contents(atPath: "\(work)/\(logName).\(suffix)") ?? Data(), as: UTF8.self)
        }
        return Run(status: process.terminationStatus, output: text("out"), errors: text("err"))
    }

    private var runCount = 0
    private func samterm(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        runCount += 1
        let name = "run\(runCount)"
        return finish(try start(arguments, logName: name, environment: environment), logName: name)
    }

    /// `count` distinct small PNGs, image-000.png ..., each with different content (the
    /// cache keys images by their bytes).
    private func makeImages(_ count: Int, in folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try (0..<count).map { index in
            let width = 40, height = 32
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let inside = x >= 8 + index % 10 && x < 28 && y >= 6 && y < 24 + index % 7
                    pixels[(y * width + x) * 3] = inside ? 220 : UInt8(index)
                    pixels[(y * width + x) * 3 + 1] = inside ? 40 : UInt8(x * 6)
                    pixels[(y * width + x) * 3 + 2] = UInt8(y * 7)
                }
            }
            let path = String(format: "%@/image-%03d.png", folder, index)
            try PNGWriter(rgb: pixels, width: width, height: height).write(to: path)
            return path
        }
    }

    /// Waits until `countDone()` reaches `target`, then SIGKILLs the process. Returns the count
    /// seen just before the kill.
    private func kill(_ process: Process, whenDone target: Int, countDone: () -> Int) {
        let deadline = Date().addingTimeInterval(300)
        while countDone() < target && process.isRunning && Date() < deadline { usleep(500) }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private func files(in folder: String, withSuffix suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { "\(folder)/\($0)" }
    }

    private func summaryLine(_ run: Run) -> String {
        run.output.split(separator: "\n").last.map(String.init) ?? ""
    }

    // MARK: embed

    private func embeddingFolder() -> String {
        let root = cacheHome + "/samterm/embeddings"
        let models = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return models.first.map { "\(root)/\($0)" } ?? root + "/none"
    }

    func testEmbedKilledMidwayResumesWhereItStoppedAndFillsTheEditorsCache() throws {
        let images = try makeImages(100, in: work + "/images")
        let first = try start(["embed", work + "/images"], logName: "first")
        kill(first, whenDone: 5) { files(in: embeddingFolder(), withSuffix: ".embedding").count }
        let killed = finish(first, logName: "first")
        XCTAssertEqual(killed.status, SIGKILL, "the first run should still have been running: \(killed.errors)")
        XCTAssertEqual(killed.modelLoads, 1)

        let model = try Model(path: Self.checkpoint, device: .cpu)
        let predictor = try Predictor(model: model)
        let cache = EmbeddingCache(directory: cacheHome + "/samterm/embeddings")
        let modelKey = EmbeddingCache.modelKey(modelName: model.name, checkpointPath: Self.checkpoint)
        var finished = 0
        for image in images {
            let key = try SHA256.hexDigest(ofFileAt: image)
            let path = cache.path(modelKey: modelKey, imageKey: key)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            finished += 1
            XCTAssertTrue(EmbeddingFileHeader.isComplete(path: path, modelName: model.name, imageKey: key), path)
            XCTAssertNoThrow(try predictor.loadEmbedding(path: path, imageKey: key), "a file the kill left behind is whole")
        }
        XCTAssertEqual(finished, files(in: embeddingFolder(), withSuffix: ".embedding").count, "one file per image, where the editor looks")
        XCTAssertGreaterThanOrEqual(finished, 5)
        XCTAssertLessThan(finished, 100, "the run was killed before the end")

        let second = try samterm(["embed", work + "/images"])
        XCTAssertEqual(second.status, 0, second.errors)
        XCTAssertEqual(second.modelLoads, 1, "the model is loaded once for the whole folder")
        XCTAssertTrue(summaryLine(second).hasPrefix("100 images: \(100 - finished) processed, \(finished) skipped, 0 failed in "),
                      second.output)
        XCTAssertFalse(second.errors.contains("\u{1B}"), "no escape codes when standard error is not a terminal")
        XCTAssertFalse(second.errors.contains("warning:"), "100 MB fit the editor's default budget")
        for image in images {
            let key = try SHA256.hexDigest(ofFileAt: image)
            let path = cache.path(modelKey: modelKey, imageKey: key)
            XCTAssertTrue(EmbeddingFileHeader.isComplete(path: path, modelName: model.name, imageKey: key), path)
        }
        XCTAssertNoThrow(try predictor.loadEmbedding(path: cache.path(modelKey: modelKey, imageKey: try SHA256.hexDigest(ofFileAt: images[99])),
                                                     imageKey: try SHA256.hexDigest(ofFileAt: images[99])))
        XCTAssertNoThrow(try predictor.predict(Prompt(points: [PromptPoint(x: 20, y: 15, label: .foreground)])),
                         "the loaded embedding predicts")

        let third = try samterm(["embed", work + "/images"], environment: ["SAMTERM_CACHE_MAX_GB": "0.05"])
        XCTAssertTrue(summaryLine(third).hasPrefix("100 images: 0 processed, 100 skipped, 0 failed"), third.output)
        XCTAssertTrue(third.errors.contains("warning: the cache holds 0.10 GiB, more than the editor keeps (0.05 GiB)"), third.errors)
    }

    // MARK: segment

    private func checkSegmentOutputsAreWhole(in out: String) throws -> Int {
        var complete = 0
        // Hidden folders are a killed run's staging (OutputFolders.replaceFolder): not outputs.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [] where !name.hasPrefix(".") {
            let folder = "\(out)/\(name)"
            for mask in files(in: folder, withSuffix: ".png") where !mask.contains("/.") {
                XCTAssertNoThrow(try RGBImage.load(path: mask), "\(mask) is whole")
            }
            for logits in files(in: folder, withSuffix: ".npy") where !logits.contains("/.") {
                XCTAssertNoThrow(try NumpyArray.read(path: logits), "\(logits) is whole")
            }
            guard let data = FileManager.default.contents(atPath: folder + "/result.json") else { continue }
            complete += 1
            let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], folder)
            XCTAssertEqual((result["image"] as? [String: Any])?["path"] as? String, "\(work)/images/\(name).png")
            for index in 0..<3 {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/mask-\(index).png"), "result.json comes last")
            }
            XCTAssertEqual(try NumpyArray.read(path: folder + "/logits.npy").shape, [3, 256, 256])
        }
        return complete
    }

    func testSegmentFolderKilledMidwayResumesAndEveryImageGetsItsOwnFolder() throws {
        _ = try makeImages(100, in: work + "/images")
        let out = work + "/out"
        let arguments = ["segment", work + "/images", "--box", "6,4,30,26", "--out", out]
        let first = try start(arguments, logName: "first")
        kill(first, whenDone: 5) {
            ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [])
                .filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(out)/\($0)/result.json") }.count
        }
        let killed = finish(first, logName: "first")
        XCTAssertEqual(killed.status, SIGKILL, killed.errors)
        let finished = try checkSegmentOutputsAreWhole(in: out)
        XCTAssertGreaterThanOrEqual(finished, 5)
        XCTAssertLessThan(finished, 100)

        let second = try samterm(arguments)
        XCTAssertEqual(second.status, 0, second.errors)
        XCTAssertEqual(second.modelLoads, 1)
        XCTAssertTrue(summaryLine(second).hasPrefix("100 images: \(100 - finished) processed, \(finished) skipped, 0 failed in "),
                      second.output)
        XCTAssertEqual(try checkSegmentOutputsAreWhole(in: out), 100)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains(".partial-") }
        XCTAssertEqual(leftovers, [], "temporary files of the killed run are cleared when their image is redone")
    }

    /// Killed at random moments (loading the model, predicting, writing), an image's folder is
    /// always whole or absent, and the next run finishes the rest.
    func testSegmentKilledAtRandomMomentsNeverLeavesAPartialImage() throws {
        _ = try makeImages(24, in: work + "/images")
        let out = work + "/out"
        let arguments = ["segment", work + "/images", "--box", "6,4,30,26", "--out", out]
        var random = SeededRandom(seed: 0x6b11)
        var kills = 0
        for attempt in 0..<12 {
            let process = try start(arguments, logName: "killed\(attempt)")
            let deadline = Date().addingTimeInterval(0.2 + Double(random.next(1600)) / 1000)
            while process.isRunning && Date() < deadline { usleep(1000) }
            if process.isRunning {
                Glibc.kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [] where !name.hasPrefix(".") {
                let present = Set((try? FileManager.default.contentsOfDirectory(atPath: "\(out)/\(name)")) ?? [])
                XCTAssertEqual(present, ["mask-0.png", "mask-1.png", "mask-2.png", "logits.npy", "best-logits.npy", "result.json"],
                               "after kill \(attempt): \(name) is whole")
            }
            XCTAssertEqual(try checkSegmentOutputsAreWhole(in: out),
                           ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasPrefix(".") }.count)
        }
        XCTAssertGreaterThanOrEqual(kills, 6, "most runs were killed before their end")

        let done = try checkSegmentOutputsAreWhole(in: out)
        let last = try samterm(arguments)
        XCTAssertEqual(last.status, 0, last.errors)
        XCTAssertTrue(summaryLine(last).hasPrefix("24 images: \(24 - done) processed, \(done) skipped, 0 failed"), last.output)
        XCTAssertEqual(try checkSegmentOutputsAreWhole(in: out), 24)
        let hidden = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".") }
        XCTAssertEqual(hidden, [], "the killed runs' hidden folders are gone once their images are done")
    }

    // MARK: auto

    func testAutoFolderKilledMidwayResumesAndEveryImageGetsItsCOCOFile() throws {
        let images = try makeImages(100, in: work + "/images")
        let out = work + "/auto"
        // A small grid keeps the 100 images quick; the generator is the same.
        let arguments = ["auto", work + "/images", "--out", out, "--points-per-side", "4", "--pred-iou-thresh", "0",
                         "--stability-score-thresh", "0"]
        let first = try start(arguments, logName: "first")
        kill(first, whenDone: 5) { files(in: out, withSuffix: ".json").count }
        let killed = finish(first, logName: "first")
        XCTAssertEqual(killed.status, SIGKILL, "the first run should still have been running: \(killed.errors)")
        XCTAssertEqual(killed.modelLoads, 1)
        let done = files(in: out, withSuffix: ".json")
        XCTAssertGreaterThanOrEqual(done.count, 5)
        XCTAssertLessThan(done.count, 100, "the run was killed before the end")
        for file in done {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))),
                             "\(file) is whole")
        }
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasSuffix(".json") }
        XCTAssertTrue(leftovers.allSatisfy { $0.hasPrefix(".") }, "only hidden temporary names besides the outputs: \(leftovers)")

        let second = try samterm(arguments)
        XCTAssertEqual(second.status, 0, second.errors)
        XCTAssertEqual(second.modelLoads, 1, "the model is loaded once for the whole folder")
        XCTAssertTrue(summaryLine(second).hasPrefix("100 images: \(100 - done.count) processed, \(done.count) skipped, 0 failed in "),
                      second.output)
        XCTAssertEqual(files(in: out, withSuffix: ".json").count, 100)
        let coco = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/image-099.json")))
                                 as? [String: Any])
        XCTAssertEqual((coco["images"] as? [[String: Any]])?.first?["file_name"] as? String, URL(fileURLWithPath: images[99]).lastPathComponent)
        XCTAssertNotNil(coco["annotations"] as? [Any])

        let refused = try samterm(["auto", work + "/images", "--points-per-side", "4"])
        XCTAssertEqual(refused.status, 2, "several images need --out: \(refused.errors)")
        XCTAssertTrue(refused.errors.contains("--out"), refused.errors)
    }

    func testAnUnreadableImageIsReportedAndCountedAndTheOthersAreDone() throws {
        _ = try makeImages(4, in: work + "/images")
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: work + "/images/image-001b.png"))
        let out = work + "/out"
        let run = try samterm(["segment", work + "/images", "--box", "6,4,30,26", "--out", out])
        XCTAssertEqual(run.status, 1, "a failed image makes the exit status 1")
        let failures = run.errors.split(separator: "\n").filter { $0.hasPrefix("failed:") }
        XCTAssertEqual(failures, ["failed: \(work)/images/image-001b.png: not a PNG or JPEG file"])
        XCTAssertTrue(summaryLine(run).hasPrefix("5 images: 4 processed, 0 skipped, 1 failed in "), run.output)
        XCTAssertEqual(try checkSegmentOutputsAreWhole(in: out), 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/image-001b/result.json"))

        let again = try samterm(["embed", work + "/images"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(summaryLine(again).hasPrefix("5 images: 4 processed, 0 skipped, 1 failed in "), again.output)
    }

    func testOverwriteRedoesAndAnotherPromptIsNotMixedWithTheOldOutputs() throws {
        _ = try makeImages(3, in: work + "/images")
        let out = work + "/out"
        let base = ["segment", work + "/images", "--out", out]
        XCTAssertEqual(try samterm(base + ["--box", "6,4,30,26"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/image-000/result.json"))

        let otherPrompt = try samterm(base + ["--box", "2,2,20,20"])
        XCTAssertEqual(otherPrompt.status, 1)
        XCTAssertTrue(otherPrompt.errors.contains("image-000/result.json was made with another model, prompt or clean-up: pass --overwrite"),
                      otherPrompt.errors)
        XCTAssertTrue(summaryLine(otherPrompt).hasPrefix("3 images: 0 processed, 0 skipped, 3 failed"), otherPrompt.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/image-000/result.json")), before, "left as it was")

        let overwritten = try samterm(base + ["--box", "2,2,20,20", "--single", "--overwrite"])
        XCTAssertEqual(overwritten.status, 0, overwritten.errors)
        XCTAssertTrue(summaryLine(overwritten).hasPrefix("3 images: 3 processed, 0 skipped, 0 failed"), overwritten.output)
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/image-000/result.json"))) as? [String: Any]
        XCTAssertEqual((result?["prompt"] as? [String: Any])?["box"] as? [Double], [2, 2, 20, 20])
        XCTAssertEqual(files(in: out + "/image-000", withSuffix: ".png"), [out + "/image-000/mask-0.png"],
                       "the masks of the earlier three-candidate run are gone")

        let resumed = try samterm(base + ["--box", "2,2,20,20", "--single"])
        XCTAssertTrue(summaryLine(resumed).hasPrefix("3 images: 0 processed, 3 skipped, 0 failed"), resumed.output)
    }

    func testShardsSplitTheSortedInputsWithoutOverlap() throws {
        let images = try makeImages(10, in: work + "/images")
        // Listed out of order, twice over: the list is sorted and deduplicated before slicing.
        try (images.reversed() + images).joined(separator: "\n").write(toFile: work + "/list.txt", atomically: true, encoding: .utf8)
        let out = work + "/out"
        var seen: Set<String> = []
        for (index, expected) in [(0, ["image-000", "image-001", "image-002"]), (1, ["image-003", "image-004", "image-005"]),
                                  (2, ["image-006", "image-007", "image-008", "image-009"])] {
            let run = try samterm(["segment", "@" + work + "/list.txt", "--box", "6,4,30,26", "--out", out, "--shard", "\(index)/3"])
            XCTAssertEqual(run.status, 0, run.errors)
            XCTAssertTrue(summaryLine(run).hasPrefix("\(expected.count) images: \(expected.count) processed, 0 skipped"), run.output)
            let now = Set(try FileManager.default.contentsOfDirectory(atPath: out))
            XCTAssertEqual(now.subtracting(seen), Set(expected), "shard \(index)/3")
            seen = now
        }
        let bad = try samterm(["segment", work + "/images", "--box", "6,4,30,26", "--out", out, "--shard", "3/3"])
        XCTAssertEqual(bad.status, 2, "shard indices count from 0")
    }

    func testOneImageKeepsTheSingleImageBehaviourAndBatchOnlyMistakesAreUsageErrors() throws {
        let images = try makeImages(2, in: work + "/images")
        let single = try samterm(["segment", images[0], "--box", "6,4,30,26", "--out", work + "/r1"])
        XCTAssertEqual(single.status, 0, single.errors)
        XCTAssertTrue(single.output.contains("candidate 0"), single.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/r1/mask-0.png"), "outputs directly in --out")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/r1/result.json"))

        for (arguments, message) in [(["--out", work + "/o", "--overlay", work + "/x.png"], "--overlay takes one image"),
                                     (["--json", "--out", work + "/o"], "--json takes one image"),
                                     ([], "several images need --out")] {
            let run = try samterm(["segment", work + "/images", "--box", "6,4,30,26"] + arguments)
            XCTAssertEqual(run.status, 2, run.errors)
            XCTAssertTrue(run.errors.contains(message), run.errors)
        }
        try FileManager.default.createDirectory(atPath: work + "/more", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: images[0], toPath: work + "/more/image-000.png")
        let clash = try samterm(["segment", work + "/images", work + "/more", "--box", "6,4,30,26", "--out", work + "/o"])
        XCTAssertEqual(clash.status, 2)
        XCTAssertTrue(clash.errors.contains("would both write their outputs into the folder image-000"), clash.errors)
    }
}
