// Package models builds the networks of the document from pkg/nn layers: LeNet exactly as
// the document writes it, the networks it names (AlexNet, VGG, NiN, GoogLeNet), and the
// ResNet part: Residual blocks, TrashNet and ResNet-18.
package models

import "github.com/juanji/juanji/pkg/nn"

// LeNet is the document's network: sigmoid activations and average pooling, for 1×28×28
// images, with xavier-uniform weights (net.apply(init_weights)).
//
//	Sequential(
//	  (0): Reshape(-1, 1, 28, 28)   ← the document's Padding module
//	  (1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
//	  ...
//	  (12): Linear(in_features=84, out_features=10, bias=True)
//	)
func LeNet() *nn.SequentialLayer {
	net := nn.Sequential(
		nn.Reshape(1, 28, 28), nn.Conv2d(1, 6, 5).Padding(2), nn.Sigmoid(),
		nn.AvgPool2d(2, 2),
		nn.Conv2d(6, 16, 5), nn.Sigmoid(),
		nn.AvgPool2d(2, 2), nn.Flatten(),
		nn.Linear(16*5*5, 120), nn.Sigmoid(),
		nn.Linear(120, 84), nn.Sigmoid(),
		nn.Linear(84, 10),
	)
	nn.Apply(net, nn.XavierUniform)
	return net
}

// LeNetBN is the document's LeNet with batch normalization after every convolution and
// every hidden linear layer, before the sigmoid (d2l's placement).
func LeNetBN() *nn.SequentialLayer {
	net := nn.Sequential(
		nn.Reshape(1, 28, 28), nn.Conv2d(1, 6, 5).Padding(2), nn.BatchNorm2d(6), nn.Sigmoid(),
		nn.AvgPool2d(2, 2),
		nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.Sigmoid(),
		nn.AvgPool2d(2, 2), nn.Flatten(),
		nn.Linear(16*5*5, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
		nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
		nn.Linear(84, 10),
	)
	nn.Apply(net, nn.XavierUniform)
	return net
}
