// An export replaces the image's previous one: the files the previous export wrote (the record in
// the image's session) that the new one did not write again are removed, so that renaming an
// object does not leave `photo_mask_02.png` beside `photo_mask_02_tripod.png`. Only recorded
// files are touched, only after the new files are all in place, and only in the folder the new
// export went to: files an export to another folder wrote stay (and stay recorded).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public enum EarlierExports {
    public struct Replacement: Equatable, Sendable {
        /// Earlier files removed now (or already gone), absolute paths.
        public var removed: [String]
        /// What the image's record holds now: the files written, then the earlier files that
        /// stay (in another folder, or that could not be removed), absolute paths.
        public var record: [String]
    }

    /// After an export wrote `written` into `folder`: removes the files of `earlier` in that
    /// folder that were not written again.
    public static func replace(earlier: [String], written: [String], folder: String) -> Replacement {
        let writtenPaths = Set(written.map(SessionStore.absolutePath))
        let target = SessionStore.absolutePath(folder)
        var removed: [String] = [], kept: [String] = []
        for file in earlier.map(SessionStore.absolutePath) where !writtenPaths.contains(file) && !kept.contains(file) {
            guard (file as NSString).deletingLastPathComponent == target else {
                kept.append(file)
                continue
            }
            // A link is removed, not what it points to; a folder in its place is not ours.
            var info = stat()
            if lstat(file, &info) != 0 {
                if errno == ENOENT { removed.append(file) } else { kept.append(file) }
            } else if (info.st_mode & S_IFMT) != S_IFDIR && unlink(file) == 0 {
                removed.append(file)
            } else {
                kept.append(file)
            }
        }
        return Replacement(removed: removed, record: written.map(SessionStore.absolutePath) + kept)
    }
}
