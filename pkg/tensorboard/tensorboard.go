// Package tensorboard writes scalars (loss, accuracy, ...) to TensorBoard
// event files, the Go counterpart of the document's
//
//	from torch.utils.tensorboard import SummaryWriter
//	writer = SummaryWriter("runs/resnet")
//	writer.add_scalar("loss/train", loss, epoch)
//	writer.close()
//
// which reads here
//
//	w, err := tensorboard.NewWriter("runs/resnet")
//	err = w.AddScalar("loss/train", loss, epoch)
//	err = w.Close()
//
// and is viewed with `tensorboard --logdir runs`.
//
// # The file
//
// NewWriter creates events.out.tfevents.<unix-seconds>.<hostname> in the log
// folder (with .<pid>.<n> appended if that name is taken). It is a TFRecord
// file: each record is
//
//	uint64 little-endian  length of data
//	uint32 little-endian  masked CRC-32C of those 8 bytes
//	data                  a serialized tensorboard.Event protocol buffer
//	uint32 little-endian  masked CRC-32C of data
//
// where masked(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8. The first
// record is an Event with file_version "brain.Event:2"; each scalar is an
// Event with wall_time, step and a Summary holding one Value{tag,
// simple_value}. The protocol buffers are encoded by hand with protowire;
// the field numbers are those of TensorBoard's
// tensorboard/compat/proto/event.proto and summary.proto:
//
//	Event:         wall_time = 1 (double), step = 2 (int64),
//	               file_version = 3 (string), summary = 5 (Summary)
//	Summary:       value = 1 (repeated Value)
//	Summary.Value: tag = 1 (string), simple_value = 2 (float)
//
// # When data reaches the disk, and what a crash leaves
//
// Records go through a 64 KiB buffer; each is handed to it in one Write, so
// records never interleave, even from several goroutines. The buffer is
// written out by Flush and Close, when it is full, and by AddScalar when the
// last flush is older than the flush interval (10 s by default, see
// SetFlushInterval), so that a TensorBoard watching the folder sees training
// progress. A program that stops without Close loses what was still
// buffered. A crash (or a full disk) in the middle of writing the buffer out
// can leave the last record cut short; the records before it are intact,
// and TensorBoard's reader, like the one in this package's tests, stops
// cleanly at such a truncated tail.
package tensorboard

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// FileVersion is the file_version of the first Event of every file.
const FileVersion = "brain.Event:2"

// DefaultFlushInterval is how old the last flush may get before AddScalar
// flushes again.
const DefaultFlushInterval = 10 * time.Second

// ErrClosed is returned by the methods of a closed Writer.
var ErrClosed = errors.New("tensorboard: writer is closed")

// bufferSize is the size of the buffer in front of the file.
const bufferSize = 64 << 10

// Writer writes scalars to one TensorBoard event file. Its methods are safe
// for concurrent use.
type Writer struct {
	mu            sync.Mutex
	path          string
	file          *os.File
	buf           *bufio.Writer
	closed        bool
	lastFlush     time.Time
	flushInterval time.Duration
	now           func() time.Time
}

// NewWriter creates the folder logdir (and its parents) if needed, creates a
// new event file in it and writes the file_version record, flushed at once
// so that the file is valid from the start.
func NewWriter(logdir string) (*Writer, error) {
	return newWriter(logdir, time.Now)
}

// newWriter is NewWriter with a clock.
func newWriter(logdir string, now func() time.Time) (*Writer, error) {
	if logdir == "" {
		return nil, errors.New("tensorboard: NewWriter: empty log folder")
	}
	if err := os.MkdirAll(logdir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard: creating log folder: %w", err)
	}
	start := now()
	f, err := createEventFile(logdir, start)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		path:          f.Name(),
		file:          f,
		buf:           bufio.NewWriterSize(f, bufferSize),
		lastFlush:     start,
		flushInterval: DefaultFlushInterval,
		now:           now,
	}
	if err := w.writeRecord(encodeEvent(wallTime(start), 0, FileVersion, nil)); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("tensorboard: writing the header of %s: %w", w.path, err)
	}
	if err := w.buf.Flush(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("tensorboard: writing the header of %s: %w", w.path, err)
	}
	return w, nil
}

// createEventFile creates events.out.tfevents.<secs>.<host> in dir, or, if
// that is taken, the same name followed by .<pid>.<n>.
func createEventFile(dir string, t time.Time) (*os.File, error) {
	base := fmt.Sprintf("events.out.tfevents.%d.%s", t.Unix(), hostname())
	name := base
	for n := 1; ; n++ {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) || n > 1000 {
			return nil, fmt.Errorf("tensorboard: creating event file: %w", err)
		}
		name = fmt.Sprintf("%s.%d.%d", base, os.Getpid(), n)
	}
}

// hostname returns the host name, made safe for a file name.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, h)
}

// Path returns the path of the event file.
func (w *Writer) Path() string { return w.path }

// SetFlushInterval sets how old the last flush may get before AddScalar
// flushes again; 0 flushes after every scalar, a negative interval only on
// Flush, Close and a full buffer.
func (w *Writer) SetFlushInterval(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushInterval = d
}

// AddScalar records value for tag at step, with the current time, as
// PyTorch's SummaryWriter.add_scalar. TensorBoard stores scalars as float32:
// value is rounded to it. The tag must be valid UTF-8 and not empty; tags
// with slashes ("loss/train") are grouped by TensorBoard.
func (w *Writer) AddScalar(tag string, value float64, step int64) error {
	if tag == "" {
		return errors.New("tensorboard: AddScalar: empty tag")
	}
	if !utf8.ValidString(tag) {
		return fmt.Errorf("tensorboard: AddScalar: tag %q is not valid UTF-8", tag)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	now := w.now()
	data := encodeEvent(wallTime(now), step, "", encodeScalarSummary(tag, float32(value)))
	if err := w.writeRecord(data); err != nil {
		return fmt.Errorf("tensorboard: writing scalar %q to %s: %w", tag, w.path, err)
	}
	if w.flushInterval >= 0 && now.Sub(w.lastFlush) >= w.flushInterval {
		if err := w.flushLocked(now); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes the buffered records to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	return w.flushLocked(w.now())
}

// flushLocked flushes the buffer; w.mu is held.
func (w *Writer) flushLocked(now time.Time) error {
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("tensorboard: flushing %s: %w", w.path, err)
	}
	w.lastFlush = now
	return nil
}

// Close flushes the buffered records and closes the file. Closing again does
// nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	flushErr := w.buf.Flush()
	closeErr := w.file.Close()
	if flushErr != nil {
		return fmt.Errorf("tensorboard: flushing %s: %w", w.path, flushErr)
	}
	if closeErr != nil {
		return fmt.Errorf("tensorboard: closing %s: %w", w.path, closeErr)
	}
	return nil
}

// writeRecord frames data as a TFRecord and hands it to the buffer in one
// Write.
func (w *Writer) writeRecord(data []byte) error {
	_, err := w.buf.Write(frameRecord(data))
	return err
}

// wallTime is t in seconds since the Unix epoch, as Event.wall_time.
func wallTime(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// crcTable is the CRC-32C (Castagnoli) table TFRecord uses.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC returns TFRecord's masked CRC-32C of b.
func maskedCRC(b []byte) uint32 {
	crc := crc32.Checksum(b, crcTable)
	return ((crc >> 15) | (crc << 17)) + 0xa282ead8
}

// frameRecord returns data framed as one TFRecord.
func frameRecord(data []byte) []byte {
	rec := make([]byte, 0, 8+4+len(data)+4)
	rec = binary.LittleEndian.AppendUint64(rec, uint64(len(data)))
	rec = binary.LittleEndian.AppendUint32(rec, maskedCRC(rec[:8]))
	rec = append(rec, data...)
	rec = binary.LittleEndian.AppendUint32(rec, maskedCRC(data))
	return rec
}

// Field numbers of tensorboard/compat/proto/event.proto and summary.proto.
const (
	eventWallTime    protowire.Number = 1 // double
	eventStep        protowire.Number = 2 // int64
	eventFileVersion protowire.Number = 3 // string
	eventSummary     protowire.Number = 5 // Summary
	summaryValue     protowire.Number = 1 // repeated Summary.Value
	valueTag         protowire.Number = 1 // string
	valueSimpleValue protowire.Number = 2 // float
)

// encodeEvent serializes an Event. Like any proto3 encoder it leaves out a
// zero step; fileVersion and summary are left out when empty (they are a
// oneof: give one of them).
func encodeEvent(wallTime float64, step int64, fileVersion string, summary []byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, eventWallTime, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(wallTime))
	if step != 0 {
		b = protowire.AppendTag(b, eventStep, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(step))
	}
	if fileVersion != "" {
		b = protowire.AppendTag(b, eventFileVersion, protowire.BytesType)
		b = protowire.AppendString(b, fileVersion)
	}
	if summary != nil {
		b = protowire.AppendTag(b, eventSummary, protowire.BytesType)
		b = protowire.AppendBytes(b, summary)
	}
	return b
}

// encodeScalarSummary serializes a Summary with one Value{tag, simple_value}.
func encodeScalarSummary(tag string, value float32) []byte {
	var v []byte
	v = protowire.AppendTag(v, valueTag, protowire.BytesType)
	v = protowire.AppendString(v, tag)
	v = protowire.AppendTag(v, valueSimpleValue, protowire.Fixed32Type)
	v = protowire.AppendFixed32(v, math.Float32bits(value))
	var s []byte
	s = protowire.AppendTag(s, summaryValue, protowire.BytesType)
	s = protowire.AppendBytes(s, v)
	return s
}
