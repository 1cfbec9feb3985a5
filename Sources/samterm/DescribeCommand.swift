import ArgumentParser
import Foundation
import Segmentation

/// `samterm describe`: an object's cut-out handed to any command (a local vision-language model,
/// `file`, a script), its output printed and, if asked, its first line kept as the object's name.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand an object's cut-out to a command and print what it says (e.g. a local vision-language model).",
        discussion: """
            The object's cut-out (RGBA PNG cropped to its box, as the cutout export) is written to a \
            temporary file and CMD runs through /bin/sh with the file's path in place of {} (or \
            appended). samterm ships no such model: point --command at one you run, e.g. \
            llama.cpp's `llama-mtmd-cli -m MODEL.gguf --mmproj MMPROJ.gguf --image {} -p "Name this object in two words."`. \
            With --keep-name the first line of its output becomes the object's name in the session.
            """)

    @Argument(help: ArgumentHelp("Object N of the image's session, as the editor numbers it.", valueName: "image#n"))
    var object: String

    @Option(help: ArgumentHelp("The command line; {} is the cut-out's path.", valueName: "cmd"))
    var command: String

    @Option(help: "Seconds before the command is stopped.")
    var timeout: Double = 60

    @Flag(help: "Keep the first line of the output as the object's name (saved in the session).")
    var keepName = false

    @Option(help: ArgumentHelp("Folder holding sessions, when they are not beside their images.", valueName: "dir"))
    var sessionDir: String?

    /// Used only when the object's mask must be replayed.
    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if command.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--command: give a command line") }
        if !(timeout > 0) { throw ValidationError("--timeout \(timeout): must be more than 0 seconds") }
    }

    func run() throws {
        let reference: ObjectReference
        do { reference = try ObjectReference.parse(object) } catch { throw UsageError("<image#n>: \(error)") }
        let store = SessionStore(imagePath: reference.imagePath, folder: sessionDir)
        guard FileManager.default.fileExists(atPath: reference.imagePath) else { throw ExportFailure("\(reference.imagePath): no such image") }
        guard let opened = try OpenedSession.open(store) else {
            throw ExportFailure("\(reference.imagePath): no session found (looked for \(store.path)); open the image in samterm first")
        }
        let position = try opened.position(ofObject: reference.number, argument: "<image#n>: \(object)")
        let target = opened.objects[position]
        let mask = try SessionMasks(modelOptions: modelOptions, replay: false).masks(of: opened)[position].mask
        guard !mask.isEmpty else { throw ExportFailure("\(object): the object's mask is empty; nothing to cut out") }

        let folder = NSTemporaryDirectory() + "samterm-describe-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try Exporter(image: opened.image, imagePath: opened.imagePath,
                                 objects: [ExportObject(id: target.id, name: target.name, color: target.color, mask: mask)])
            .write(formats: [.cutout], to: folder)
        guard let cutout = files.first else { throw ExportFailure("\(object): no cut-out was written") }

        let result = try CommandRunner.run(CommandRunner.commandLine(command, path: cutout), timeout: timeout)
        FileHandle.standardOutput.write(Data(result.output.utf8))
        if let failure = result.failure { throw ExportFailure("--command \(command): \(failure)") }
        guard keepName else { return }
        guard let name = result.nameLine else { throw ExportFailure("--command \(command): printed nothing to keep as a name") }
        try rename(objectID: target.id, to: name, in: store)
        FileHandle.standardError.write(Data("\(store.path): object \(target.id) is now \"\(name)\"\n".utf8))
    }

    /// Writes the name into the session, unless an editor has the image open.
    private func rename(objectID: Int, to name: String, in store: SessionStore) throws {
        let acquisition = try SessionLock.acquire(sessionPath: store.path)
        guard case .acquired(let lock) = acquisition else {
            if case .heldBy(let holder) = acquisition {
                throw ExportFailure("\(store.path): a samterm editor has it open (\(holder.description)); the name was not kept (use ! there)")
            }
            throw ExportFailure("\(store.path): cannot lock it; the name was not kept")
        }
        defer { lock.release() }
        guard var session = try store.load(), let index = session.objects.firstIndex(where: { $0.id == objectID }) else {
            throw ExportFailure("\(store.path): the object is gone from the session; the name was not kept")
        }
        session.objects[index].name = name
        try store.save(session)
    }
}
