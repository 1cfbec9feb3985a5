// The scaffolding the editor's tmux tests share: a scratch folder with the fixture image, and
// `samterm edit wide.png` with the tiny fixture model in a detached tmux window.
import XCTest
import Foundation

class EditorTmuxTestCase: XCTestCase {
    /// Holds `wide.png`, the editor's cache and config (`config/samterm/keys.conf`), its session
    /// and its exit status.
    var folder: URL!
    var tmux: TmuxSession?

    override func setUpWithError() throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("samterm-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("config/samterm"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: EditorEndToEndTests.fixtures.appendingPathComponent("image_wide.png"),
                                         to: folder.appendingPathComponent("wide.png"))
    }

    override func tearDownWithError() throws {
        tmux?.kill()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts the editor on `wide.png` (CPU, truecolor, XDG cache and config in the folder) in a
    /// `columns` x `rows` window; its exit status goes to `exit-status` in the folder, and its
    /// standard error to `errors.txt` there when `errorsToFile`.
    @discardableResult
    func startEditor(columns: Int = 120, rows: Int = 40, errorsToFile: Bool = false, arguments: String = "") throws -> TmuxSession {
        let binary = EditorEndToEndTests.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TmuxSession.Failure("\(binary.path) is missing: build the samterm product first (swift build)")
        }
        let checkpoint = EditorEndToEndTests.fixtures.appendingPathComponent("tiny_sam2.1.pt")
        let command = "cd '\(folder.path)' && env LC_ALL=C.UTF-8 XDG_CACHE_HOME='\(folder.path)/cache' "
            + "XDG_CONFIG_HOME='\(folder.path)/config' "
            + "'\(binary.path)' edit wide.png --checkpoint '\(checkpoint.path)' --device cpu --renderer truecolor \(arguments)"
            + (errorsToFile ? " 2> errors.txt" : "") + "; echo $? > exit-status; sleep 60"
        let session = try TmuxSession(command: command, columns: columns, rows: rows)
        tmux = session
        return session
    }
}
