// The real samterm binary driven in tmux with the tiny fixture model: what the screen shows and
// which files the editor writes.
import XCTest
import Foundation
import Segmentation

final class EditorEndToEndTests: XCTestCase {
    private var folder: URL!
    private var tmux: TmuxSession?

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/sam2")

    /// The samterm built next to this test bundle (same build folder and configuration). On
    /// Linux the bundle is the build folder itself; on macOS it is an .xctest folder inside it.
    static var binary: URL {
        var folder = Bundle(for: EditorEndToEndTests.self).bundleURL
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("samterm")
    }

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        tmux?.kill()
        try? FileManager.default.removeItem(at: folder)
    }

    func testPointsCandidatesAcceptExportAndQuit() throws {
        let binary = Self.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            return XCTFail("\(binary.path) is missing: build the samterm product first (swift build)")
        }
        let checkpoint = Self.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let image = folder.appendingPathComponent("wide.png")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("image_wide.png"), to: image)
        let size = try RGBImage.load(path: image.path)
        let exitFile = folder.appendingPathComponent("exit-status")

        let command = "cd '\(folder.path)' && env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' "
            + "'\(binary.path)' edit wide.png --checkpoint '\(checkpoint.path)' --device cpu --renderer truecolor; "
            + "echo $? > '\(exitFile.path)'; sleep 60"
        let session = try TmuxSession(command: command, columns: 120, rows: 40)
        tmux = session

        // The image, the model and the renderer show in the status line once all is loaded.
        var screen = try session.waitFor("the model and the image's encoding") { Self.isIdle($0) && $0.contains("wide.png") }
        XCTAssertTrue(screen.contains("wide.png \(size.width)x\(size.height)"), screen)
        XCTAssertTrue(screen.contains("truecolor"), screen)
        XCTAssertTrue(screen.contains("no objects"), screen)
        XCTAssertTrue(screen.contains("│ Objects"), "the objects panel at the right: \(screen)")

        // A foreground point: three candidates with scores, the best chosen.
        try session.send("l", "l", "l", "Space")
        // The click-to-display latency follows in the status line once the frame is out.
        screen = try session.waitFor("three candidates") {
            Self.isIdle($0) && Self.scores(in: $0).count == 3 && Self.statusLine($0).contains(#/\| \d+ ms/#)
        }
        XCTAssertTrue(screen.contains("object 1 (1 of 1)"), screen)
        let firstChoice = try XCTUnwrap(Self.chosenCandidate(in: screen), screen)
        XCTAssertEqual(Self.imageArea(screen).filter { $0 == "+" }.count, 1, "the green +: \(screen)")

        // Tab moves the choice to the next candidate.
        try session.send("Tab")
        screen = try session.waitFor("the next candidate chosen") { Self.chosenCandidate(in: $0) == firstChoice % 3 + 1 }

        // A background point two rows down refines the chosen mask: one candidate.
        try session.send("j", "j", "x")
        screen = try session.waitFor("the refined mask") { Self.isIdle($0) && Self.scores(in: $0).count == 1 }
        XCTAssertEqual(Self.imageArea(screen).filter { $0 == "x" }.count, 1, "the red x: \(screen)")

        // The help overlay lists the keys, and goes away with any key.
        try session.send("?")
        // Whole, not half drawn: the title comes before the keys.
        screen = try session.waitFor("the help") { $0.contains("samterm keys") && $0.contains("background point") }
        XCTAssertTrue(screen.contains("background point"), screen)
        try session.send("Escape")
        _ = try session.waitFor("the help to close") { !$0.contains("samterm keys") }

        // Accept, start the next object.
        try session.send("n")
        screen = try session.waitFor("a new object") { $0.contains("object 2 (2 of 2)") }
        XCTAssertTrue(screen.contains("Accepted object 1"), screen)

        // Export: the dialog, then a PNG per object and the COCO file, in samterm-export/ beside the image.
        try session.send("e")
        screen = try session.waitFor("the export dialog") { $0.contains("Formats (1-6") }
        try session.send("Enter")
        screen = try session.waitFor("the export") { $0.contains("Exported") || $0.contains("Export failed") }
        XCTAssertTrue(screen.contains("Exported 2 files to /") && screen.contains(folder.lastPathComponent + "/samterm-export"),
                      "samterm-export beside the image: \(screen)")

        // Too small a terminal says so; growing it again brings the editor back.
        try session.resize(columns: 30, rows: 8)
        _ = try session.waitFor("the too-small message") { $0.contains("Terminal too small") }
        try session.resize(columns: 120, rows: 40)
        _ = try session.waitFor("the editor again") { $0.contains("object 2 (2 of 2)") }

        // Nothing unsaved: q quits at once, and the shell gets the terminal back.
        try session.send("q")
        let status = try waitForFile(exitFile)
        XCTAssertEqual(status.trimmingCharacters(in: .whitespacesAndNewlines), "0")

        let maskPath = folder.appendingPathComponent("samterm-export/wide_mask_01.png").path
        let mask = try RGBImage.load(path: maskPath)
        XCTAssertEqual(mask.width, size.width)
        XCTAssertEqual(mask.height, size.height)
        XCTAssertTrue(mask.pixels.allSatisfy { $0 == 0 || $0 == 255 }, "a binary mask")
        let coco = try Data(contentsOf: folder.appendingPathComponent("samterm-export/wide_coco.json"))
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: coco) as? [String: Any])
        XCTAssertEqual((document["annotations"] as? [Any])?.count, 1, "one object exported")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("samterm-export/wide_mask_02.png").path),
                       "the empty second object is not exported")
        let cached = FileManager.default.enumerator(atPath: folder.appendingPathComponent("cache/samterm/embeddings").path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".embedding") } ?? []
        XCTAssertEqual(cached.count, 1, "the encoded image is cached for next time")

        // `samterm export --replay` on the session the editor saved writes the very mask the editor
        // exported: both replay the object's steps at full size the same way.
        let replayedFolder = folder.appendingPathComponent("replayed")
        let replayed = try SamtermRun.run(["export", image.path, "--replay", "--format", "png", "--out", replayedFolder.path,
                                           "--checkpoint", checkpoint.path, "--device", "cpu"])
        XCTAssertEqual(replayed.status, 0, replayed.errors)
        XCTAssertFalse(replayed.errors.contains("differs"), replayed.errors)
        XCTAssertEqual(try Data(contentsOf: replayedFolder.appendingPathComponent("wide_mask_01.png")),
                       try Data(contentsOf: URL(fileURLWithPath: maskPath)))
    }

    /// No background work in the message line.
    /// No background work on the message line's right: its activity reads "loading model",
    /// "encoding 1.2 s", "preparing image" or "predicting" (a message such as "Ready: encoding read
    /// from the cache" is not one).
    static func isIdle(_ screen: String) -> Bool {
        screen.firstMatch(of: #/loading model|encoding \d+\.\d s|preparing image|predicting/#) == nil
    }

    /// "1:0.91 [2:0.85] 3:0.40" in the status line.
    static func scores(in screen: String) -> [String] {
        statusLine(screen).matches(of: #/\[?(\d):-?\d+\.\d\d\]?/#).map { String($0.output.1) }
    }

    static func chosenCandidate(in screen: String) -> Int? {
        statusLine(screen).firstMatch(of: #/\[(\d):-?\d+\.\d\d\]/#).flatMap { Int($0.output.1) }
    }

    static func statusLine(_ screen: String) -> String {
        screen.split(separator: "\n", omittingEmptySubsequences: false).first { $0.contains("truecolor") }.map(String.init) ?? ""
    }

    /// The image area of the 120 x 40 screen: the 38 rows above the status lines, left of the
    /// objects panel (the last 24 columns).
    static func imageArea(_ screen: String) -> String {
        screen.split(separator: "\n", omittingEmptySubsequences: false).prefix(38).map { String($0.prefix(96)) }
            .joined(separator: "\n")
    }

    private func waitForFile(_ file: URL) throws -> String {
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8), text.hasSuffix("\n") { return text }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TmuxSession.Failure("samterm did not exit; the screen:\n\(tmux?.capture() ?? "")")
    }
}

/// A tmux server of its own (its own socket), one session running a command.
final class TmuxSession {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private let socket = "samterm-e2e-\(UUID().uuidString.prefix(8))"

    init(command: String, columns: Int, rows: Int) throws {
        try run(["new-session", "-d", "-s", "editor", "-x", "\(columns)", "-y", "\(rows)", command])
    }

    func send(_ keys: String...) throws {
        try run(["send-keys", "-t", "editor"] + keys)
    }

    func resize(columns: Int, rows: Int) throws {
        try run(["resize-window", "-t", "editor", "-x", "\(columns)", "-y", "\(rows)"])
    }

    func capture() -> String {
        (try? run(["capture-pane", "-p", "-t", "editor"])) ?? ""
    }

    /// Polls the screen until `done` holds (`seconds` at most: the machine may be busy).
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 60, _ done: (String) -> Bool) throws -> String {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var screen = ""
        while Date() < deadline {
            screen = capture()
            if done(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw Failure("timed out waiting for \(what); the screen:\n\(screen)")
    }

    /// Ends the server and removes its socket file, which kill-server leaves behind.
    func kill() {
        let socketPath = (try? run(["display-message", "-p", "#{socket_path}"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try? run(["kill-server"])
        if let socketPath, !socketPath.isEmpty { try? FileManager.default.removeItem(atPath: socketPath) }
    }

    /// Runs tmux and returns what it printed. posix_spawn and waitpid rather than Foundation's
    /// Process, which can lose the exit of a client whose server (started by new-session)
    /// lives on with the client's descriptors; output goes through a file for the same reason.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "\(socket)-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Its own socket and no configuration file: nothing of the user's tmux leaks in.
        let argv = ["tmux", "-u", "-f", "/dev/null", "-L", socket] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw Failure("cannot run tmux: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally with status 0 (the wait status is the exit code shifted left by 8).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw Failure("tmux \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}
