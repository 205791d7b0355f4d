package kernels

// packA packs rows [i0, i0+mcur) × columns [p0, p0+kcur) of a into dst as
// ceil(mcur/mr) micro-panels; micro-panel r holds, for each p, the mr values
// a[i0+r*mr+ii, p0+p] (ii < mr) contiguously, zero-padded past mcur. Rows
// are found through a's RowOffsets when it has them.
func packA[T float](dst []T, a *mat[T], i0, mcur, p0, kcur, mr int) {
	for r := 0; r*mr < mcur; r++ {
		d := dst[r*kcur*mr : (r+1)*kcur*mr]
		rows := min(mr, mcur-r*mr)
		i := i0 + r*mr
		base := a.off + a.rowOff(i) + p0*a.cs
		// run returns the kcur values of row i+ii from column p0 (a.cs == 1).
		run := func(ii int) []T {
			s := a.off + a.rowOff(i+ii) + p0
			return a.data[s : s+kcur]
		}
		switch {
		case rows == mr && a.cs == 1 && mr == 6:
			r0, r1, r2, r3, r4, r5 := run(0), run(1), run(2), run(3), run(4), run(5)
			for p := range r0 {
				dd := d[p*6 : p*6+6 : p*6+6]
				dd[0], dd[1], dd[2], dd[3], dd[4], dd[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
		case rows == mr && a.cs == 1 && mr == 4:
			r0, r1, r2, r3 := run(0), run(1), run(2), run(3)
			for p := range r0 {
				dd := d[p*4 : p*4+4 : p*4+4]
				dd[0], dd[1], dd[2], dd[3] = r0[p], r1[p], r2[p], r3[p]
			}
		case a.ro != nil:
			for ii := range rows {
				s := a.off + int(a.ro[i+ii]) + p0*a.cs
				for p := range kcur {
					d[p*mr+ii] = a.data[s+p*a.cs]
				}
			}
			if rows < mr {
				for p := range kcur {
					clear(d[p*mr+rows : p*mr+mr])
				}
			}
		case rows == mr && a.rs == 1:
			for p := range kcur {
				s := base + p*a.cs
				copy(d[p*mr:p*mr+mr], a.data[s:s+mr])
			}
		default:
			for p := range kcur {
				dd := d[p*mr : p*mr+mr]
				s := base + p*a.cs
				for ii := range rows {
					dd[ii] = a.data[s+ii*a.rs]
				}
				clear(dd[rows:])
			}
		}
	}
}

// packB packs rows [p0, p0+kcur) × columns [j0, j0+cols) (cols <= nr) of b
// into one micro-panel: for each p, the nr values b[p0+p, j0+jj] contiguously,
// zero-padded past cols.
func packB[T float](d []T, b *mat[T], p0, kcur, j0, cols, nr int) {
	if b.tables() {
		packBTables(d, b, p0, kcur, j0, cols, nr)
		return
	}
	base := b.off + p0*b.rs + j0*b.cs
	switch {
	case cols == nr && b.cs == 1:
		copyRows(d[:kcur*nr], nr, b.data, base, b.rs, nil)
	case b.rs == 1:
		for jj := range cols {
			s := base + jj*b.cs
			col := b.data[s : s+kcur]
			for p, v := range col {
				d[p*nr+jj] = v
			}
		}
		if cols < nr {
			for p := range kcur {
				clear(d[p*nr+cols : p*nr+nr])
			}
		}
	default:
		for p := range kcur {
			dd := d[p*nr : p*nr+nr]
			s := base + p*b.rs
			for jj := range cols {
				dd[jj] = b.data[s+jj*b.cs]
			}
			clear(dd[cols:])
		}
	}
}

// packBTables is packB for a b with offset tables. When the panel's columns
// are contiguous in memory (ColStride 1, or consecutive ColOffsets), as in a
// forward convolution, it copies a run of cols values per row; when its rows
// are (RowStride 1, or consecutive RowOffsets), as in a kernel gradient, it
// reads a run of kcur values per column and scatters it; otherwise it
// gathers element by element.
func packBTables[T float](d []T, b *mat[T], p0, kcur, j0, cols, nr int) {
	adjacentCols := consecutive(b.co, b.cs, j0, cols)
	switch {
	case adjacentCols && cols == nr:
		base, ro := b.off+b.colOff(j0), []int32(nil)
		if b.ro != nil {
			ro = b.ro[p0 : p0+kcur]
		} else {
			base += p0 * b.rs
		}
		copyRows(d[:kcur*nr], nr, b.data, base, b.rs, ro)
	case adjacentCols:
		c0 := b.off + b.colOff(j0)
		for p := range kcur {
			s := c0 + b.rowOff(p0+p)
			dd := d[p*nr : p*nr+nr]
			copy(dd, b.data[s:s+cols])
			if cols < nr {
				clear(dd[cols:])
			}
		}
	case consecutive(b.ro, b.rs, p0, kcur):
		r0 := b.off + b.rowOff(p0)
		for jj := range cols {
			s := r0 + b.colOff(j0+jj)
			for p, v := range b.data[s : s+kcur] {
				d[p*nr+jj] = v
			}
		}
		if cols < nr {
			for p := range kcur {
				clear(d[p*nr+cols : p*nr+nr])
			}
		}
	default:
		for p := range kcur {
			dd := d[p*nr : p*nr+nr]
			s := b.off + b.rowOff(p0+p)
			for jj := range cols {
				dd[jj] = b.data[s+b.colOff(j0+jj)]
			}
			clear(dd[cols:])
		}
	}
}

// consecutive reports whether the n rows (or columns) from i0 of an axis
// addressed with stride, or with table when it is non-nil, are adjacent in
// memory (each one element after the previous).
func consecutive(table []int32, stride, i0, n int) bool {
	if table == nil {
		return stride == 1
	}
	t := table[i0 : i0+n]
	for i, v := range t {
		if int(v) != int(t[0])+i {
			return false
		}
	}
	return true
}

// copyRows fills the len(d)/nr rows of the packed micro-panel d with runs of
// nr values of src: row p is src[base+R(p):][:nr], where R(p) is offs[p]
// when offs is non-nil and p*stride otherwise. Rows as wide as the kernels'
// tiles (16 float32 values, 8 float64, 4) are copied with 16-byte array
// moves, which the compiler emits inline: a copy call per row goes through
// memmove and takes about twice as long for rows this short.
func copyRows[T float](d []T, nr int, src []T, base, stride int, offs []int32) {
	rows := len(d) / nr
	switch nr {
	case 16:
		for p := range rows {
			s := base + p*stride
			if offs != nil {
				s = base + int(offs[p])
			}
			dd := d[p*16 : p*16+16 : p*16+16]
			ss := src[s : s+16 : s+16]
			*(*[4]T)(dd[0:]) = *(*[4]T)(ss[0:])
			*(*[4]T)(dd[4:]) = *(*[4]T)(ss[4:])
			*(*[4]T)(dd[8:]) = *(*[4]T)(ss[8:])
			*(*[4]T)(dd[12:]) = *(*[4]T)(ss[12:])
		}
	case 8:
		for p := range rows {
			s := base + p*stride
			if offs != nil {
				s = base + int(offs[p])
			}
			dd := d[p*8 : p*8+8 : p*8+8]
			ss := src[s : s+8 : s+8]
			*(*[2]T)(dd[0:]) = *(*[2]T)(ss[0:])
			*(*[2]T)(dd[2:]) = *(*[2]T)(ss[2:])
			*(*[2]T)(dd[4:]) = *(*[2]T)(ss[4:])
			*(*[2]T)(dd[6:]) = *(*[2]T)(ss[6:])
		}
	case 4:
		for p := range rows {
			s := base + p*stride
			if offs != nil {
				s = base + int(offs[p])
			}
			dd := d[p*4 : p*4+4 : p*4+4]
			ss := src[s : s+4 : s+4]
			*(*[2]T)(dd[0:]) = *(*[2]T)(ss[0:])
			*(*[2]T)(dd[2:]) = *(*[2]T)(ss[2:])
		}
	default:
		for p := range rows {
			s := base + p*stride
			if offs != nil {
				s = base + int(offs[p])
			}
			copy(d[p*nr:p*nr+nr], src[s:s+nr])
		}
	}
}
