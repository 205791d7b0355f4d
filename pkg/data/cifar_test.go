package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCIFAR10RoundTrip writes generated batches in the exact binary format,
// as an archive and as an extracted folder, and reads them back.
func TestCIFAR10RoundTrip(t *testing.T) {
	fake := newFakeCIFAR(7)
	archive := fake.tarGz()
	for _, layout := range []string{"archive", "folder"} {
		root := t.TempDir()
		if layout == "archive" {
			writeFile(t, filepath.Join(root, cifarArchive.name), archive)
		} else {
			for name, b := range fake {
				writeFile(t, filepath.Join(root, cifarFolder, name), b)
			}
		}
		for _, train := range []bool{true, false} {
			ds, err := CIFAR10(root, train, NoDownload(), withChecksums(map[string]string{cifarArchive.name: md5Hex(archive)}))
			if err != nil {
				t.Fatalf("%s train=%v: %v", layout, train, err)
			}
			images, labels := fake.expect(train)
			n := 7 * len(cifarBatchNames(train))
			if ds.N != n || ds.C != 3 || ds.H != 32 || ds.W != 32 || !bytes.Equal(ds.Images, images) || !bytes.Equal(ds.Labels, labels) {
				t.Errorf("%s train=%v: N=%d, content equal: %v %v", layout, train, ds.N, bytes.Equal(ds.Images, images), bytes.Equal(ds.Labels, labels))
			}
			// Pixel (c, y, x) of image i is byte 1 + c*1024 + y*32 + x of its record.
			rec := fake[cifarBatchNames(train)[0]][3*cifarRecordBytes:]
			img := ds.ImageBytes(3)
			for _, p := range [][3]int{{0, 0, 0}, {1, 5, 7}, {2, 31, 31}, {2, 0, 31}} {
				c, y, x := p[0], p[1], p[2]
				if img[c*1024+y*32+x] != rec[1+c*1024+y*32+x] {
					t.Errorf("pixel %v differs", p)
				}
			}
			if !slices.Equal(ds.Classes, CIFAR10Classes) || ds.Train != train || ds.Name != "CIFAR10" {
				t.Errorf("got %q %v %v", ds.Name, ds.Train, ds.Classes)
			}
			if layout == "folder" && !strings.Contains(ds.Source, "no published checksum") {
				t.Errorf("Source = %q", ds.Source)
			}
		}
	}
}

func TestCIFAR10Classes(t *testing.T) {
	want := "plane car bird cat deer dog frog horse ship truck"
	if got := strings.Join(CIFAR10Classes, " "); got != want {
		t.Errorf("got %q", got)
	}
}

// TestCIFAR10Bad: damaged archives and batch files give errors naming the
// file, never a panic.
func TestCIFAR10Bad(t *testing.T) {
	fake := newFakeCIFAR(3)
	good := fake.tarGz()
	cut := fakeCIFAR{}
	for k, v := range fake {
		cut[k] = v
	}
	cut["test_batch.bin"] = cut["test_batch.bin"][:2*cifarRecordBytes+100]
	badLabel := fakeCIFAR{}
	for k, v := range fake {
		badLabel[k] = v
	}
	badLabel["test_batch.bin"] = bytes.Clone(fake["test_batch.bin"])
	badLabel["test_batch.bin"][cifarRecordBytes] = 10
	noTest := fakeCIFAR{}
	for k, v := range fake {
		if k != "test_batch.bin" {
			noTest[k] = v
		}
	}
	// The archive holds test_batch.bin first, then the training batches.
	for _, tc := range []struct {
		name    string
		archive []byte
		train   bool
		want    string
	}{
		{"not gzip", good[10:], false, "not a gzip file"},
		{"cut archive", good[:len(good)/2], true, "truncated"},
		{"truncated record", cut.tarGz(), false, "test_batch.bin: truncated record: 6246 bytes is not a whole number of 3073-byte records (image 2 has only 100 bytes)"},
		{"bad label", badLabel.tarGz(), false, "label 10 of image 1 is out of range 0..9"},
		{"missing batch", noTest.tarGz(), false, "the archive has no cifar-10-batches-bin/test_batch.bin"},
		{"corrupt", corruptGzip(good), true, "corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, cifarArchive.name)
			writeFile(t, path, tc.archive)
			_, err := CIFAR10(root, tc.train, NoDownload(), withChecksums(map[string]string{cifarArchive.name: md5Hex(tc.archive)}))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range []string{path, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}

	// Without pinned checksums the real md5 applies: a generated archive is
	// refused, and so is a damaged extracted folder; the error lists both.
	root := t.TempDir()
	writeFile(t, filepath.Join(root, cifarArchive.name), good)
	writeFile(t, filepath.Join(root, cifarFolder, "test_batch.bin"), cut["test_batch.bin"])
	_, err := CIFAR10(root, false, NoDownload())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		filepath.Join(root, cifarArchive.name) + ": checksum mismatch",
		filepath.Join(root, cifarFolder, "test_batch.bin") + ": truncated record",
		"want c32a1d4ab5d03f1284b67883e8d87530",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestCIFAR10Download(t *testing.T) {
	fake := newFakeCIFAR(2)
	archive := fake.tarGz()
	fs := &fileServer{files: map[string][]byte{cifarArchive.name: archive}}
	srv := newServer(t, fs)
	root := t.TempDir()
	ds, err := CIFAR10(root, true, WithMirrors(srv.URL+"/~kriz/"), WithProgress(nil), withChecksums(map[string]string{cifarArchive.name: md5Hex(archive)}))
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 10 {
		t.Errorf("N = %d", ds.N)
	}
	if b, err := os.ReadFile(filepath.Join(root, cifarArchive.name)); err != nil || !bytes.Equal(b, archive) {
		t.Errorf("archive not saved in root: %v", err)
	}
}

func TestSyntheticCIFAR10(t *testing.T) {
	a := SyntheticCIFAR10(200, 1, true)
	b := SyntheticCIFAR10(200, 1, true)
	c := SyntheticCIFAR10(200, 1, false)
	if err := a.check(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Images, b.Images) || !bytes.Equal(a.Labels, b.Labels) {
		t.Error("same seed, different data")
	}
	if bytes.Equal(a.Images, c.Images) {
		t.Error("train and test are the same")
	}
	if a.Source != SyntheticSource || !strings.Contains(a.Source, "not real CIFAR-10") || a.N != 200 || a.C != 3 || a.H != 32 {
		t.Errorf("got %v", a)
	}
	seen := map[uint8]bool{}
	for _, l := range a.Labels {
		seen[l] = true
	}
	if len(seen) != 10 {
		t.Errorf("only %d classes in 200 images", len(seen))
	}
}

func TestSubset(t *testing.T) {
	ds := SyntheticCIFAR10(50, 3, true)
	sub := ds.Subset(10)
	if sub.N != 10 || len(sub.Images) != 10*3072 || len(sub.Labels) != 10 || !bytes.Equal(sub.Images, ds.Images[:10*3072]) {
		t.Errorf("Subset(10): N=%d", sub.N)
	}
	if err := sub.check(); err != nil {
		t.Error(err)
	}
	if all := ds.Subset(1000); all.N != 50 {
		t.Errorf("Subset(1000).N = %d", all.N)
	}
	if !strings.Contains(sub.Source, "first 10 of") {
		t.Errorf("Source = %q", sub.Source)
	}
}

// FuzzParseCIFAR: no input makes the CIFAR-10 readers panic, and what they
// accept is whole records with labels 0..9.
func FuzzParseCIFAR(f *testing.F) {
	one := cifarRecords(2, 9)
	f.Add(one)
	f.Add(one[:100])
	f.Add(newFakeCIFAR(1).tarGz())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(images, labels []byte) {
			if len(images) != len(labels)*cifarImageBytes {
				t.Fatalf("%d image bytes for %d labels", len(images), len(labels))
			}
			for _, l := range labels {
				if l > 9 {
					t.Fatalf("label %d accepted", l)
				}
			}
		}
		if images, labels, err := parseCIFARBatch(b); err == nil {
			check(images, labels)
		}
		for _, train := range []bool{true, false} {
			if images, labels, err := readCIFARTarGz(b, cifarBatchNames(train)); err == nil {
				check(images, labels)
			}
		}
	})
}
