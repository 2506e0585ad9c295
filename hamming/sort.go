package hamming

// sortRows returns ids ordered ascending, keeping only the last occurrence
// of a repeated id, with the halves of their values. It uses an LSD radix
// sort on the bytes of the ids that vary, and skips sorting when ids are
// already ascending.
func sortRows(ids []uint64, vals [][4]uint64) (outIDs []uint64, lo, hi [][2]uint64) {
	n := len(ids)
	sorted := true
	for i := 1; i < n; i++ {
		if ids[i] <= ids[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		lo, hi = make([][2]uint64, n), make([][2]uint64, n)
		for i, v := range vals {
			lo[i] = [2]uint64{v[0], v[1]}
			hi[i] = [2]uint64{v[2], v[3]}
		}
		return append([]uint64(nil), ids...), lo, hi
	}
	type pair struct {
		id  uint64
		pos uint32
	}
	a := make([]pair, n)
	orAll, andAll := uint64(0), ^uint64(0)
	for i, id := range ids {
		a[i] = pair{id, uint32(i)}
		orAll |= id
		andAll &= id
	}
	tmp := make([]pair, n)
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (orAll^andAll)>>shift&0xff == 0 {
			continue // this byte is the same in every id
		}
		count = [256]int{}
		for _, p := range a {
			count[p.id>>shift&0xff]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, p := range a {
			k := p.id >> shift & 0xff
			tmp[count[k]] = p
			count[k]++
		}
		a, tmp = tmp, a
	}
	// The sort is stable, so the last of equal ids is the last in input order.
	k := 0
	for i, p := range a {
		if i+1 < n && a[i+1].id == p.id {
			continue
		}
		a[k] = p
		k++
	}
	outIDs = make([]uint64, k)
	lo, hi = make([][2]uint64, k), make([][2]uint64, k)
	for i, p := range a[:k] {
		v := &vals[p.pos]
		outIDs[i] = p.id
		lo[i] = [2]uint64{v[0], v[1]}
		hi[i] = [2]uint64{v[2], v[3]}
	}
	return outIDs, lo, hi
}
