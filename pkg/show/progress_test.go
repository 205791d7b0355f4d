package show

import "testing"

func TestProgressLine(t *testing.T) {
	tests := []struct {
		step, steps int
		want        string
	}{
		{0, 600, "epoch 2 [>                             ] 0/600 steps, 950.5 images/s"},
		{300, 600, "epoch 2 [===============>              ] 300/600 steps, 950.5 images/s"},
		{600, 600, "epoch 2 [==============================] 600/600 steps, 950.5 images/s"},
	}
	for _, tc := range tests {
		if got := progressLine(2, tc.step, tc.steps, 950.5); got != tc.want {
			t.Errorf("step %d: got %q, want %q", tc.step, got, tc.want)
		}
	}
}
