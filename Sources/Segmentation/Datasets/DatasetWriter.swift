// Dataset exports: one set of files for many images (COCO, YOLO, VOC, LabelMe), written image
// by image so memory holds one image's masks at a time. `DatasetExport` drives the writers:
// it seeds the class list, checks what exists, hands each writer every image, then lets each
// finish its dataset-wide files (annotations.json, data.yaml, ...).
//
// Every file is written atomically: a run that fails part-way leaves complete per-image files
// and the dataset-wide files of the previous export, never a torn file.

import Foundation

public enum DatasetFormat: String, CaseIterable, Sendable {
    case cocoDataset = "coco-dataset"
    case yolo
    case voc
    case labelme

    /// The YOLO class ids count from 0; COCO's and VOC's from 1 (VOC's 0 is the background).
    public var firstClassID: Int { self == .yolo ? 0 : 1 }
}

/// One object of a dataset image.
public struct DatasetObject: Sendable {
    /// The object's id within its image (its session's), for ordering and messages.
    public var id: Int
    public var className: String
    /// At the image's size.
    public var mask: BinaryMask
    /// A detector's confidence or the model's predicted IoU, when known.
    public var score: Double?
    /// Polygons (pixel coordinates) to write as they are, instead of tracing the mask: an
    /// imported object's own polygons while its mask is still the imported one.
    public var polygons: [Polygon]?

    public init(id: Int, className: String, mask: BinaryMask, score: Double? = nil, polygons: [Polygon]? = nil) {
        self.id = id
        self.className = className
        self.mask = mask
        self.score = score
        self.polygons = polygons
    }
}

/// One image of a dataset and its objects.
public struct DatasetImage: Sendable {
    /// The image file on disk.
    public var path: String
    /// The name dataset files record (COCO's `file_name`): the path relative to the export's
    /// image root, "/"-separated.
    public var fileName: String
    public var width: Int
    public var height: Int
    public var objects: [DatasetObject]

    public init(path: String, fileName: String, width: Int, height: Int, objects: [DatasetObject]) {
        self.path = path
        self.fileName = fileName
        self.width = width
        self.height = height
        self.objects = objects
    }

    /// The file name without folders and extension: YOLO's, VOC's and LabelMe's per-image name.
    public var stem: String { name.stem }
}

/// Options the formats share; each reads what concerns it.
public struct DatasetOptions: Sendable {
    /// COCO: polygons instead of compressed RLE.
    public var polygons = false
    /// Largest distance (pixels) a dropped contour point may lie from a traced polygon. Half a
    /// pixel: a whole pixel costs small objects more than 2% of their area in YOLO's fillPoly.
    public var polygonTolerance = 0.5
    /// YOLO: copy the images into DIR/images instead of linking them.
    public var copyImages = false
    /// VOC: width in pixels of the 255 ("void") band drawn along each object's boundary; 0 draws none.
    public var vocVoidBorder = 0
    /// LabelMe: the folder for NAME.json files; nil puts each beside its image.
    public var labelmeFolder: String?
    /// Recorded in the files that have room for it.
    public var model: String?

    public init() {}
}

public protocol DatasetWriter: AnyObject {
    /// The files the writer would write for these images, so existing ones can be reported
    /// before anything is written.
    func plannedPaths(for images: [DatasetImage.Name]) -> [String]
    /// Writes the image's own files (if the format has any) and remembers what the
    /// dataset-wide files need. Class ids come from `classes` (names not in it are added
    /// unless it is fixed; a name it refuses throws).
    func add(_ image: DatasetImage, classes: inout ClassList) throws
    /// Writes the dataset-wide files.
    func finish(classes: ClassList) throws
    /// The class list an earlier export of this format left in the folder, if any.
    var earlierClasses: ClassList? { get }
}

extension DatasetImage {
    /// What is known of an image before its masks are made: enough to plan file names.
    public struct Name: Equatable, Sendable {
        public var path: String
        public var fileName: String

        public init(path: String, fileName: String) {
            self.path = path
            self.fileName = fileName
        }

        public var stem: String {
            let name = (fileName as NSString).lastPathComponent
            let stem = (name as NSString).deletingPathExtension
            return stem.isEmpty ? name : stem
        }
    }

    public var name: Name { Name(path: path, fileName: fileName) }
}
