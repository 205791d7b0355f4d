package tensorboard

// An event-file reader written for the tests, independently of the writer:
// it parses the TFRecord framing, checks both CRCs with its own mask, and
// decodes the protocol buffers field by field with protowire's Consume
// functions, rejecting anything it does not expect.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// event is a decoded tensorboard.Event with at most one scalar value.
type event struct {
	WallTime    float64
	Step        int64
	FileVersion string
	HasSummary  bool
	Values      []scalar
}

// scalar is a decoded Summary.Value with a simple_value.
type scalar struct {
	Tag   string
	Value float32
}

// errCRC marks a record whose checksum does not match.
var errCRC = errors.New("crc mismatch")

// testMask is TFRecord's CRC mask, written again here on purpose.
func testMask(b []byte) uint32 {
	c := crc32.Checksum(b, crc32.MakeTable(0x82f63b78)) // Castagnoli, reversed polynomial
	return (c>>15 | c<<17) + 0xa282ead8
}

// readRecords splits a TFRecord stream. A tail too short for a whole record
// is reported by truncated (not an error), as TensorBoard does; a checksum
// that does not match is an error wrapping errCRC.
func readRecords(data []byte) (records [][]byte, truncated bool, err error) {
	for off := 0; off < len(data); {
		if len(data)-off < 12 {
			return records, true, nil
		}
		header := data[off : off+8]
		if got, want := binary.LittleEndian.Uint32(data[off+8:off+12]), testMask(header); got != want {
			return records, false, fmt.Errorf("record %d at byte %d: length %w", len(records), off, errCRC)
		}
		n := binary.LittleEndian.Uint64(header)
		if uint64(len(data)-off-12) < n+4 {
			return records, true, nil
		}
		body := data[off+12 : off+12+int(n)]
		if got, want := binary.LittleEndian.Uint32(data[off+12+int(n):off+16+int(n)]), testMask(body); got != want {
			return records, false, fmt.Errorf("record %d at byte %d: data %w", len(records), off, errCRC)
		}
		records = append(records, body)
		off += 16 + int(n)
	}
	return records, false, nil
}

// decodeEvent decodes an Event, field by field.
func decodeEvent(b []byte) (event, error) {
	var e event
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return e, fmt.Errorf("event tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return e, fmt.Errorf("wall_time: %w", protowire.ParseError(n))
			}
			e.WallTime, b = math.Float64frombits(v), b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return e, fmt.Errorf("step: %w", protowire.ParseError(n))
			}
			e.Step, b = int64(v), b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return e, fmt.Errorf("file_version: %w", protowire.ParseError(n))
			}
			e.FileVersion, b = v, b[n:]
		case num == 5 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return e, fmt.Errorf("summary: %w", protowire.ParseError(n))
			}
			values, err := decodeSummary(v)
			if err != nil {
				return e, err
			}
			e.HasSummary, e.Values, b = true, values, b[n:]
		default:
			return e, fmt.Errorf("unexpected event field %d (wire type %d)", num, typ)
		}
	}
	return e, nil
}

// decodeSummary decodes a Summary of simple values.
func decodeSummary(b []byte) ([]scalar, error) {
	var values []scalar
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			return nil, fmt.Errorf("summary: unexpected field %d (wire type %d)", num, typ)
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, fmt.Errorf("summary.value: %w", protowire.ParseError(n))
		}
		b = b[n:]
		s, err := decodeValue(v)
		if err != nil {
			return nil, err
		}
		values = append(values, s)
	}
	return values, nil
}

// decodeValue decodes a Summary.Value{tag, simple_value}.
func decodeValue(b []byte) (scalar, error) {
	var s scalar
	var haveTag, haveValue bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return s, fmt.Errorf("value tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return s, fmt.Errorf("tag: %w", protowire.ParseError(n))
			}
			s.Tag, b, haveTag = v, b[n:], true
		case num == 2 && typ == protowire.Fixed32Type:
			v, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return s, fmt.Errorf("simple_value: %w", protowire.ParseError(n))
			}
			s.Value, b, haveValue = math.Float32frombits(v), b[n:], true
		default:
			return s, fmt.Errorf("unexpected value field %d (wire type %d)", num, typ)
		}
	}
	if !haveTag || !haveValue {
		return s, fmt.Errorf("value without tag or simple_value")
	}
	return s, nil
}

// readEventFile reads and decodes a whole event file.
func readEventFile(path string) (events []event, truncated bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	records, truncated, err := readRecords(data)
	if err != nil {
		return nil, truncated, err
	}
	for i, r := range records {
		e, err := decodeEvent(r)
		if err != nil {
			return events, truncated, fmt.Errorf("record %d: %w", i, err)
		}
		events = append(events, e)
	}
	return events, truncated, nil
}
