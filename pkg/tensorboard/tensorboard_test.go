package tensorboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// crc32cBitwise is CRC-32C computed bit by bit, without hash/crc32, to check
// the writer's table-driven one.
func crc32cBitwise(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x82f63b78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func TestCRC(t *testing.T) {
	// The standard check value of CRC-32C.
	if got := crc32cBitwise([]byte("123456789")); got != 0xe3069283 {
		t.Fatalf("crc32cBitwise check value = %#x, want 0xe3069283", got)
	}
	for _, s := range []string{"", "a", "123456789", "brain.Event:2", strings.Repeat("xyz", 1000)} {
		c := crc32cBitwise([]byte(s))
		want := (c>>15 | c<<17) + 0xa282ead8
		if got := maskedCRC([]byte(s)); got != want {
			t.Errorf("maskedCRC(%q) = %#x, want %#x", s, got, want)
		}
		if got := testMask([]byte(s)); got != want {
			t.Errorf("testMask(%q) = %#x, want %#x", s, got, want)
		}
	}
}

// TestEncodingBytes pins the exact bytes of the two kinds of Event, as
// assembled by hand from event.proto and summary.proto.
func TestEncodingBytes(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{
			name: "file_version event",
			got:  encodeEvent(1.5, 0, "brain.Event:2", nil),
			want: concat(
				[]byte{0x09}, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x3f}, // wall_time=1 (fixed64) 1.5
				[]byte{0x1a, 13}, []byte("brain.Event:2"), // file_version=3 (bytes)
			),
		},
		{
			name: "scalar event",
			got:  encodeEvent(2, 300, "", encodeScalarSummary("loss", 0.25)),
			want: concat(
				[]byte{0x09}, []byte{0, 0, 0, 0, 0, 0, 0, 0x40}, // wall_time 2.0
				[]byte{0x10, 0xac, 0x02},        // step=2 (varint) 300
				[]byte{0x2a, 13},                // summary=5 (bytes), 13 bytes
				[]byte{0x0a, 11},                // Summary.value=1 (bytes), 11 bytes
				[]byte{0x0a, 4}, []byte("loss"), // Value.tag=1
				[]byte{0x15, 0, 0, 0x80, 0x3e}, // Value.simple_value=2 (fixed32) 0.25
			),
		},
		{
			name: "negative step: ten-byte varint",
			got:  encodeEvent(0, -1, "", nil),
			want: concat([]byte{0x09, 0, 0, 0, 0, 0, 0, 0, 0},
				[]byte{0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Equal(tc.got, tc.want) {
				t.Errorf("got  % x\nwant % x", tc.got, tc.want)
			}
		})
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestRoundTrip(t *testing.T) {
	type point struct {
		tag   string
		value float64
		step  int64
	}
	tests := []struct {
		name   string
		points []point
	}{
		{"one scalar", []point{{"loss", 2.302585, 1}}},
		{"document's epoch curves", []point{
			{"loss/train", 1.25, 1}, {"acc/train", 0.5895999999999999, 1}, {"acc/test", 0.52, 1},
			{"loss/train", 0.26, 2}, {"acc/train", 0.9885, 2}, {"acc/test", 0.61, 2},
		}},
		{"step zero, negative and huge", []point{{"s", 1, 0}, {"s", 2, -7}, {"s", 3, math.MaxInt64}, {"s", 4, math.MinInt64}}},
		{"special values", []point{{"x", math.Inf(1), 1}, {"x", math.Inf(-1), 2}, {"x", -0.0, 3}, {"x", 1e-45, 4}, {"x", 3.5e38, 5}}},
		{"unicode tag", []point{{"训练集/正确率", 0.99, 10}}},
		{"long tag", []point{{strings.Repeat("t", 300), 1, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "runs", "exp")
			w, err := NewWriter(dir)
			if err != nil {
				t.Fatal(err)
			}
			before := float64(time.Now().Add(-time.Second).UnixNano()) / 1e9
			for _, p := range tc.points {
				if err := w.AddScalar(p.tag, p.value, p.step); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			after := float64(time.Now().Add(time.Second).UnixNano()) / 1e9
			events, truncated, err := readEventFile(w.Path())
			if err != nil || truncated {
				t.Fatalf("reading back: %v (truncated %v)", err, truncated)
			}
			if len(events) != len(tc.points)+1 {
				t.Fatalf("%d events, want %d", len(events), len(tc.points)+1)
			}
			if e := events[0]; e.FileVersion != "brain.Event:2" || e.HasSummary || e.Step != 0 {
				t.Errorf("first event = %+v, want file_version brain.Event:2 only", e)
			}
			for i, p := range tc.points {
				e := events[i+1]
				if e.FileVersion != "" || len(e.Values) != 1 {
					t.Fatalf("event %d = %+v, want one value", i+1, e)
				}
				if e.Step != p.step {
					t.Errorf("event %d step = %d, want %d", i+1, e.Step, p.step)
				}
				v := e.Values[0]
				if v.Tag != p.tag {
					t.Errorf("event %d tag = %q, want %q", i+1, v.Tag, p.tag)
				}
				if math.Float32bits(v.Value) != math.Float32bits(float32(p.value)) {
					t.Errorf("event %d value = %v, want %v", i+1, v.Value, float32(p.value))
				}
			}
			for i, e := range events {
				if e.WallTime < before || e.WallTime > after {
					t.Errorf("event %d wall_time %f not within [%f, %f]", i, e.WallTime, before, after)
				}
			}
		})
	}
}

func TestNaNRoundTrip(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddScalar("nan", math.NaN(), 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events, _, err := readEventFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if v := events[1].Values[0].Value; !math.IsNaN(float64(v)) {
		t.Errorf("value = %v, want NaN", v)
	}
}

func TestFileName(t *testing.T) {
	clock := time.Unix(1646214599, 0) // the document's nvidia-smi date
	dir := t.TempDir()
	host := hostname()
	w1, err := newWriter(dir, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	defer w1.Close()
	if got, want := filepath.Base(w1.Path()), "events.out.tfevents.1646214599."+host; got != want {
		t.Errorf("file name = %q, want %q", got, want)
	}
	// A second writer in the same second and folder gets its own file.
	w2, err := newWriter(dir, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	want := regexp.MustCompile(`^events\.out\.tfevents\.1646214599\.` + regexp.QuoteMeta(host) + `\.\d+\.1$`)
	if got := filepath.Base(w2.Path()); !want.MatchString(got) {
		t.Errorf("second file name = %q, want it to match %s", got, want)
	}
	if !strings.Contains(filepath.Base(w2.Path()), "tfevents") {
		t.Error("TensorBoard only reads files whose name contains tfevents")
	}
}

func TestLogdir(t *testing.T) {
	tests := []struct {
		name    string
		logdir  func(t *testing.T) string
		wantErr string
	}{
		{"nested folders are created", func(t *testing.T) string { return filepath.Join(t.TempDir(), "a", "b", "c") }, ""},
		{"an existing folder is used", func(t *testing.T) string { return t.TempDir() }, ""},
		{"empty", func(t *testing.T) string { return "" }, "empty log folder"},
		{"a file in the way", func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(f, "runs")
		}, "creating log folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.logdir(t)
			w, err := NewWriter(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if filepath.Dir(w.Path()) != dir {
				t.Errorf("file %s not in %s", w.Path(), dir)
			}
			// The header is on disk at once, before any Flush.
			events, truncated, err := readEventFile(w.Path())
			if err != nil || truncated || len(events) != 1 || events[0].FileVersion != FileVersion {
				t.Errorf("fresh file: %+v, truncated %v, err %v; want the file_version record", events, truncated, err)
			}
		})
	}
}

// writeSample writes n scalars, closes, and returns the file's bytes and
// the offsets where each record ends.
func writeSample(t *testing.T, n int) ([]byte, []int) {
	t.Helper()
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.AddScalar(fmt.Sprintf("tag%d", i), float64(i)/3, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	var ends []int
	for off := 0; off < len(data); {
		n := int(uint64(data[off]) | uint64(data[off+1])<<8 | uint64(data[off+2])<<16 | uint64(data[off+3])<<24)
		off += 16 + n
		ends = append(ends, off)
	}
	return data, ends
}

func TestTruncatedTail(t *testing.T) {
	data, ends := writeSample(t, 3)
	if len(ends) != 4 || ends[3] != len(data) {
		t.Fatalf("record ends %v for %d bytes", ends, len(data))
	}
	// Cut the file at every length inside the last record: the header,
	// the data, the footer. The reader keeps the complete records.
	for cut := ends[2]; cut <= len(data); cut++ {
		records, truncated, err := readRecords(data[:cut])
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		wantRecords, wantTruncated := 3, cut != ends[2]
		if cut == len(data) {
			wantRecords, wantTruncated = 4, false
		}
		if len(records) != wantRecords || truncated != wantTruncated {
			t.Errorf("cut at %d of %d: %d records, truncated %v; want %d, %v", cut, len(data), len(records), truncated, wantRecords, wantTruncated)
		}
		for i, r := range records {
			if _, err := decodeEvent(r); err != nil {
				t.Errorf("cut at %d: record %d: %v", cut, i, err)
			}
		}
	}
}

func TestCorruptionDetected(t *testing.T) {
	data, ends := writeSample(t, 3)
	tests := []struct {
		name string
		at   int // byte to flip
	}{
		{"length of record 2", ends[1] + 0},
		{"length CRC of record 2", ends[1] + 9},
		{"data of record 2", ends[1] + 20},
		{"data CRC of record 2", ends[2] - 1},
		{"data of the last record", len(data) - 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			bad[tc.at] ^= 0x40
			records, _, err := readRecords(bad)
			if !errors.Is(err, errCRC) {
				t.Fatalf("err = %v, want a CRC mismatch", err)
			}
			if tc.at >= ends[1] && tc.at < ends[2] && len(records) != 2 {
				t.Errorf("%d records before the damage, want 2", len(records))
			}
		})
	}
}

func TestConcurrentAddScalar(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.SetFlushInterval(0) // flush after every scalar: the most interleaving
	const perGoroutine = 300
	var wg sync.WaitGroup
	for _, tag := range []string{"loss/train", "acc/train"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perGoroutine {
				if err := w.AddScalar(tag, float64(i), int64(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // and a third goroutine flushing meanwhile
		defer wg.Done()
		for range 50 {
			if err := w.Flush(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events, truncated, err := readEventFile(w.Path())
	if err != nil || truncated {
		t.Fatalf("reading back: %v (truncated %v)", err, truncated)
	}
	steps := map[string][]int64{}
	for _, e := range events[1:] {
		v := e.Values[0]
		if float32(e.Step) != v.Value {
			t.Errorf("%s: step %d carries value %v", v.Tag, e.Step, v.Value)
		}
		steps[v.Tag] = append(steps[v.Tag], e.Step)
	}
	for tag, s := range steps {
		if len(s) != perGoroutine || !sort.SliceIsSorted(s, func(i, j int) bool { return s[i] < s[j] }) {
			t.Errorf("%s: %d steps (in order: %v), want %d in order", tag, len(s), sort.SliceIsSorted(s, func(i, j int) bool { return s[i] < s[j] }), perGoroutine)
		}
	}
}

func TestClosedAndBadInput(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"empty tag", w.AddScalar("", 1, 1), "empty tag"},
		{"invalid UTF-8 tag", w.AddScalar("a\xffb", 1, 1), "not valid UTF-8"},
	}
	for _, tc := range tests {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, tc.err, tc.wantErr)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := w.AddScalar("x", 1, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("AddScalar after Close = %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v, want ErrClosed", err)
	}
	events, _, err := readEventFile(w.Path())
	if err != nil || len(events) != 1 {
		t.Errorf("rejected scalars were written: %d events, err %v", len(events), err)
	}
}

func TestFlushInterval(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	now := start
	w, err := newWriter(t.TempDir(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	onDisk := func() int {
		events, _, err := readEventFile(w.Path())
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}
	steps := []struct {
		after    time.Duration // since start
		interval time.Duration // set before the scalar; 0 keeps it
		want     int           // events on disk after the scalar
	}{
		{1 * time.Second, 0, 1},   // buffered
		{5 * time.Second, 0, 1},   // still buffered
		{10 * time.Second, 0, 4},  // 10 s since the header: flushed
		{11 * time.Second, 0, 4},  // buffered again
		{12 * time.Second, -1, 4}, // never on a timer
		{60 * time.Second, 0, 4},
	}
	for i, s := range steps {
		if s.interval != 0 {
			w.SetFlushInterval(s.interval)
		}
		now = start.Add(s.after)
		if err := w.AddScalar("x", float64(i), int64(i)); err != nil {
			t.Fatal(err)
		}
		if got := onDisk(); got != s.want {
			t.Errorf("after scalar %d at +%s: %d events on disk, want %d", i, s.after, got, s.want)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := onDisk(); got != 1+len(steps) {
		t.Errorf("after Flush: %d events on disk, want %d", got, 1+len(steps))
	}
}

// TestTensorBoardReadsIt reads a file with TensorBoard's own Python reader,
// where TensorBoard is installed (not on the development machines; the GPU
// machine's image has it).
func TestTensorBoardReadsIt(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if err := exec.Command(python, "-c", "import tensorboard").Run(); err != nil {
		t.Skip("the tensorboard Python package is not installed here")
	}
	dir := t.TempDir()
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][2]float64{}
	for step := int64(1); step <= 3; step++ {
		for tag, v := range map[string]float64{"loss/train": 1 / float64(step), "acc/test": 0.5 + float64(step)/10} {
			if err := w.AddScalar(tag, v, step); err != nil {
				t.Fatal(err)
			}
			want[tag] = append(want[tag], [2]float64{float64(step), float64(float32(v))})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, filepath.Join("testdata", "read_with_tensorboard.py"), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("TensorBoard's reader: %v\n%s", err, out)
	}
	var got struct {
		FileVersion string                  `json:"file_version"`
		Scalars     map[string][][2]float64 `json:"scalars"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	if got.FileVersion != FileVersion {
		t.Errorf("file_version = %q, want %q", got.FileVersion, FileVersion)
	}
	for tag, points := range want {
		if fmt.Sprint(got.Scalars[tag]) != fmt.Sprint(points) {
			t.Errorf("%s: TensorBoard read %v, want %v", tag, got.Scalars[tag], points)
		}
	}
	t.Logf("TensorBoard read: %s", out)
}
