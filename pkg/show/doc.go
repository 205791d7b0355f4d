// Package show is what a learner sees: image grids with their label
// matrices, and training curves.
//
// It reproduces the document's helpers:
//
//	show_images(images, rows, colums, labels)  ->  show.ShowImages(images, rows, cols, labels)
//	torchvision.utils.make_grid(images, nrow)  ->  show.Grid(images, cols)
//	plt.plot(...); plt.legend(...); plt.show() ->  show.PlotCurves(title, "epochs", series...)
//
// # Where pictures go
//
// Inside a GoNB notebook (gonbui.IsNotebook) pictures are displayed inline,
// as PNG images, which render in JupyterLab, the classic Notebook, on GitHub
// and offline. Anywhere else (tests, `go run`) they are written as files
// into [FiguresDir] and their paths are printed. That choice is made in one
// place, the function present in output.go.
//
// # Errors
//
// The functions that build pictures or text (Grid, GridAndLabels,
// LabelMatrix, NameMatrix, CurvesPNG, CurvesSVG) return errors. The
// notebook-facing functions (ShowImages, PlotCurves, PlotPanels) return
// nothing, like their Python counterparts: they print an error, if any,
// to standard error, which GoNB shows under the cell.
package show
