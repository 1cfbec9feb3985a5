// How the screen is divided: the image area, the objects panel, the status and message lines.

public struct ScreenLayout: Equatable, Sendable {
    public static let minimumColumns = 40
    public static let minimumRows = 10
    /// The objects panel shows from this width on; narrower screens keep every column for the image.
    static let panelMinimumScreenColumns = 90
    static let panelWidth = 24

    public let terminal: TerminalSize
    public let imageArea: CellRect
    /// Includes its one-column left border.
    public let objectPanel: CellRect?
    /// Rows between the image and the status line (a video's timeline), empty without one.
    public let bottomArea: CellRect
    public let statusRow: Int
    public let messageRow: Int
    /// The terminal's picture limit, when it made the image area smaller than the room for it.
    public let pictureLimited: PixelSize?

    public init(terminal: TerminalSize, bottomRows: Int = 0) {
        self.terminal = terminal
        let hasPanel = terminal.columns >= Self.panelMinimumScreenColumns
        let panelWidth = hasPanel ? Self.panelWidth : 0
        // The bottom rows never take more than a third of the screen.
        let bottom = min(max(bottomRows, 0), max(terminal.rows - 2, 0) / 3)
        let imageRows = max(terminal.rows - 2 - bottom, 0)
        bottomArea = CellRect(column: 0, row: imageRows, width: terminal.columns, height: bottom)
        let room = CellRect(column: 0, row: 0, width: max(terminal.columns - panelWidth, 0), height: imageRows)
        if let limit = terminal.pictureLimit, let cellWidth = terminal.cellPixelWidth, let cellHeight = terminal.cellPixelHeight,
           cellWidth > 0, cellHeight > 0, room.width * cellWidth > limit.width || room.height * cellHeight > limit.height {
            imageArea = CellRect(column: 0, row: 0, width: min(room.width, limit.width / cellWidth),
                                 height: min(room.height, limit.height / cellHeight))
            pictureLimited = limit
        } else {
            imageArea = room
            pictureLimited = nil
        }
        objectPanel = hasPanel
            ? CellRect(column: terminal.columns - panelWidth, row: 0, width: panelWidth, height: imageRows)
            : nil
        statusRow = max(terminal.rows - 2, 0)
        messageRow = max(terminal.rows - 1, 0)
    }

    /// Too small to lay out anything useful: the screen says so instead.
    public var isTooSmall: Bool {
        terminal.columns < Self.minimumColumns || terminal.rows < Self.minimumRows
    }

    public var tooSmallMessage: String {
        "Terminal too small: \(terminal.columns)x\(terminal.rows), need at least \(Self.minimumColumns)x\(Self.minimumRows)"
    }
}
