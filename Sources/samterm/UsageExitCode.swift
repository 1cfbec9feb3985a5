import ArgumentParser
import Foundation

extension Samterm {
    /// ArgumentParser's own entry point, except that usage errors exit with 2 (the shell
    /// convention) instead of EX_USAGE (64). Other failures still exit with 1, help with 0.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let usage as UsageError {
            FileHandle.standardError.write(Data("Error: \(usage)\n".utf8))
            Foundation.exit(2)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
