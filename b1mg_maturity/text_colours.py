"""The text colours every surface shares (charts, the app's CSS, the PDF), in a module that imports nothing,
so that a page's stylesheet does not load the chart machinery."""

DARK_TEXT = "#1a1a1a"
LIGHT_TEXT = "#ffffff"
MUTED_TEXT = "#595959"  # 7:1 on white: captions and secondary labels (WCAG 1.4.3 asks 4.5:1)
