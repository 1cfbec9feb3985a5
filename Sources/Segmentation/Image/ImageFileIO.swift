#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whole-file reads and atomic writes for image files, reporting failures as `ImageError`s that
/// name the file and the operating system's reason.
enum ImageFileIO {
    /// Bigger than any PNG or JPEG we could decode under the pixel limit; refusing it early keeps
    /// a mistaken path (a video, a disk image) from being read into memory.
    static let maxFileBytes = 1 << 30

    static func systemError(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Reads the whole file. `checkStart` sees the first bytes (at least 16 unless the file is
    /// shorter) before the rest is read, so that a file which is plainly not an image (a video,
    /// /dev/zero) is refused without reading it all.
    static func readAll(path: String, checkStart: ([UInt8]) throws -> Void = { _ in }) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ImageError(path: path, reason: .unreadable(systemError()))
        }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ImageError(path: path, reason: .unreadable(systemError()))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw ImageError(path: path, reason: .unreadable("it is a folder"))
        }
        if Int(status.st_size) > maxFileBytes {
            throw ImageError(path: path, reason: .unreadable("it is larger than 1 GiB, too large for an image"))
        }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var startChecked = false
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ImageError(path: path, reason: .unreadable(systemError()))
            }
            if count == 0 {
                if !startChecked { try checkStart(bytes) }
                return bytes
            }
            bytes.append(contentsOf: chunk[0..<count])
            if !startChecked && bytes.count >= 16 {
                try checkStart(bytes)
                startChecked = true
            }
            if bytes.count > maxFileBytes {
                throw ImageError(path: path, reason: .unreadable("it is larger than 1 GiB, too large for an image"))
            }
        }
    }

    /// Writes the whole file or nothing (AtomicFileWriter), replacing `path`; failures are
    /// image errors naming the file.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do {
            try AtomicFileWriter.write(bytes, to: path, replacing: true)
        } catch let error as FileWriteError {
            throw ImageError(path: path, reason: .unwritable(error.path == path ? error.reasonText : error.description))
        }
    }
}
