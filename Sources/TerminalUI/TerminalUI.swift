// The terminal editor: pure state and transitions, rendering, input, and the curses adapter.
import Segmentation
