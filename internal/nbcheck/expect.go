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
	"01_lenet_mnist": {
		Text: []string{`^juanji \| mode: (full|quick)`, `^labels: `, `tensor\(\[\[\d, \d`, `accuracy: \t 1\.0`,
			`\(1\): Conv2d\(1, 6, kernel_size=\(5, 5\), stride=\(1, 1\), padding=\(2, 2\)\)`, `parameters: 61706`,
			`Conv2d output shape:\t \[1 6 28 28\]`, `^epoch 1/\d+: loss \d\.\d+ train data accuracy`, `saved \d+ epochs to `, `^predictions: `, `^wrong: \d+ of 100`,
			`^final: loss \d\.\d+ train data accuracy [01]\.\d+ test data accuracy [01]\.\d+$`, `^accuracy:  [01]\.\d\d$`},
		Images: 4,
		Floors: []Floor{{`test data accuracy ([0-9.]+)`, 0.98, 0.05}},
	},
	"02_classic_cnns": {
		Text: []string{`^juanji \| mode: (full|quick)`, `== AlexNet: 46764746 parameters`, `== VGG-11: \d+ parameters`,
			`== NiN: \d+ parameters`, `== GoogLeNet: \d+ parameters`, `Linear output shape:\t \[1 10\]`,
			`^network\s+parameters\s+optimizer\s+s per epoch`, `^GoogLeNet /8 \+ BN @56\s+\d+`},
		Images: 1,
		// Every network of the comparison must learn in full mode (the settings are explained in
		// the notebook); quick mode trains one epoch on 300 digits and only checks the table.
		Floors: []Floor{
			{`^LeNet \+ batch norm\s+.* ([0-9.]+)$`, 0.95, 0},
			{`^AlexNet /8 @112\s+.* ([0-9.]+)$`, 0.95, 0},
			{`^VGG-11 /16 \+ BN @112\s+.* ([0-9.]+)$`, 0.95, 0},
			{`^NiN /8 \+ BN @112\s+.* ([0-9.]+)$`, 0.95, 0},
			{`^GoogLeNet /8 \+ BN @56\s+.* ([0-9.]+)$`, 0.95, 0},
		},
	},
	"03_batch_norm": {
		Text: []string{`^juanji \| mode: (full|quick)`, `feature 0: μ_B = 3\.000, σ²_B = 3\.500`, `nn.BatchNorm1d\(2\), training mode:`, `^largest difference between the two: `,
			`BatchNorm2d\(6, eps=1e-05, momentum=0\.1`, `^LeNet \+ batch norm, lr 1\.0`, `^epoch 1/\d+: loss`},
		Images: 1,
		Floors: []Floor{{`test data accuracy ([0-9.]+)`, 0.95, 0.5}},
	},
	"04_resnet_cifar10": {
		Text: []string{`^juanji \| mode: (full|quick)`, `\| device: (cuda:\d|cpu)`, `shape of images: \[100 3 32 32\], shape of labels: \[100\]`,
			`^\[4 3 6 6\]$`, `^\[4 6 3 3\]$`, `^\[4 10\]$`, `parameters: 133514`, `^第1轮 训练集正确率:`,
			`last epoch test accuracy: document`, `ResNet-18 parameters: 11\d{6}`, `labels: `,
			`^TrashNet trains at \d+ images/s on .*one CIFAR-10 epoch \(50,000 images\) takes about`,
			`^ResNet-18 trains at \d+ images/s on .*one CIFAR-10 epoch \(50,000 images\) takes about`},
		Images: 2,
	},
}
