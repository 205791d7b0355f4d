package main

// expectations says what each notebook must show once executed, keyed by the
// notebook's file name without ".ipynb". Every notebook under notebooks/ needs
// an entry (an empty Expect{} only checks for errors). Adding a notebook is
// one line:
//
//	"01_lenet": {Text: []string{`epoch 1,`}, Images: 3, Floors: []Floor{{`test acc ([0-9.]+)`, 0.95, 0.5}}},
//
// Text holds regexps that some text output must match, Images the least
// number of image outputs, Floors numbers read after a pattern (the last match
// in the notebook) that must reach a floor: Min normally, QuickMin under
// JUANJI_QUICK=1, where the data and epochs are cut.
var expectations = map[string]Expect{
	"00_hello": {Text: []string{`^juanji \| mode: (full|quick)`, `edges found: \d+ of \d+ pixels`}, Images: 1},
}
