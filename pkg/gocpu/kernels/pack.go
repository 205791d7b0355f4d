package kernels

// packA packs rows [i0, i0+mcur) × columns [p0, p0+kcur) of a into dst as
// ceil(mcur/mr) micro-panels; micro-panel r holds, for each p, the mr values
// a[i0+r*mr+ii, p0+p] (ii < mr) contiguously, zero-padded past mcur.
func packA[T float](dst []T, a *mat[T], i0, mcur, p0, kcur, mr int) {
	for r := 0; r*mr < mcur; r++ {
		d := dst[r*kcur*mr : (r+1)*kcur*mr]
		rows := min(mr, mcur-r*mr)
		base := a.off + (i0+r*mr)*a.rs + p0*a.cs
		switch {
		case rows == mr && a.cs == 1 && mr == 6:
			r0 := a.data[base : base+kcur]
			r1 := a.data[base+a.rs : base+a.rs+kcur]
			r2 := a.data[base+2*a.rs : base+2*a.rs+kcur]
			r3 := a.data[base+3*a.rs : base+3*a.rs+kcur]
			r4 := a.data[base+4*a.rs : base+4*a.rs+kcur]
			r5 := a.data[base+5*a.rs : base+5*a.rs+kcur]
			for p := range r0 {
				dd := d[p*6 : p*6+6 : p*6+6]
				dd[0], dd[1], dd[2], dd[3], dd[4], dd[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
		case rows == mr && a.cs == 1 && mr == 4:
			r0 := a.data[base : base+kcur]
			r1 := a.data[base+a.rs : base+a.rs+kcur]
			r2 := a.data[base+2*a.rs : base+2*a.rs+kcur]
			r3 := a.data[base+3*a.rs : base+3*a.rs+kcur]
			for p := range r0 {
				dd := d[p*4 : p*4+4 : p*4+4]
				dd[0], dd[1], dd[2], dd[3] = r0[p], r1[p], r2[p], r3[p]
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
	base := b.off + p0*b.rs + j0*b.cs
	switch {
	case cols == nr && b.cs == 1:
		for p := range kcur {
			s := base + p*b.rs
			copy(d[p*nr:p*nr+nr], b.data[s:s+nr])
		}
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
