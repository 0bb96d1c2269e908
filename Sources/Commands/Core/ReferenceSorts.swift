/// The two sorts Redis's replies depend on, step for step, so that elements
/// that compare equal (points at the same distance) come out in Redis's
/// order: glibc's `qsort` (a top-down merge sort, hence stable, for any
/// array it can find memory for) and Redis's `pqsort` (Bentley and
/// McIlroy's quicksort, recursing only into the parts that overlap the
/// requested range). `compare` answers like a C comparator: negative, zero
/// or positive; it need not be consistent (a NaN compares below anything),
/// which is why the steps, not just the outcome, must match.
enum ReferenceSorts {
    /// glibc's `msort`: halves of `n / 2` and `n - n / 2`, merged taking the
    /// left element while it compares `<= 0`.
    static func mergeSort<T>(_ a: inout [T], _ compare: (T, T) -> Int) {
        guard a.count > 1 else { return }
        var scratch = a
        let n = a.count
        a.withUnsafeMutableBufferPointer { items in
            scratch.withUnsafeMutableBufferPointer { tmp in
                mergeSort(items.baseAddress!, n, tmp.baseAddress!, compare)
            }
        }
    }

    private static func mergeSort<T>(_ b: UnsafeMutablePointer<T>, _ n: Int, _ tmp: UnsafeMutablePointer<T>,
                                     _ compare: (T, T) -> Int) {
        if n <= 1 { return }
        let n1 = n / 2, n2 = n - n1
        mergeSort(b, n1, tmp, compare)
        mergeSort(b + n1, n2, tmp, compare)
        var left = 0, right = n1, out = 0
        while left < n1 && right < n {
            if compare(b[left], b[right]) <= 0 { tmp[out] = b[left]; left += 1 } else { tmp[out] = b[right]; right += 1 }
            out += 1
        }
        while left < n1 { tmp[out] = b[left]; left += 1; out += 1 }
        // What is left on the right is already in place.
        for i in 0..<out { b[i] = tmp[i] }
    }

    /// Redis's `pqsort(a, n, compare, first, last)`: after it, `a[first...last]`
    /// holds the elements that belong there, in order; the rest is
    /// partitioned but not sorted. (`last < first` is allowed, as in Redis.)
    static func partialQuickSort<T>(_ a: inout [T], from first: Int = 0, through last: Int, _ compare: (T, T) -> Int) {
        guard a.count > 1 else { return }
        let n = a.count
        a.withUnsafeMutableBufferPointer { items in
            partialQuickSort(items, 0, n, first, last, compare)
        }
    }

    /// Sorts `a[base ..< base + n]` as far as it overlaps `lowest...highest`.
    private static func partialQuickSort<T>(_ a: UnsafeMutableBufferPointer<T>, _ base: Int, _ count: Int,
                                            _ lowest: Int, _ highest: Int, _ compare: (T, T) -> Int) {
        var base = base, n = count
        func cmp(_ i: Int, _ j: Int) -> Int { compare(a[i], a[j]) }
        func median(_ x: Int, _ y: Int, _ z: Int) -> Int {
            cmp(x, y) < 0 ? (cmp(y, z) < 0 ? y : (cmp(x, z) < 0 ? z : x))
                          : (cmp(y, z) > 0 ? y : (cmp(x, z) < 0 ? x : z))
        }
        func swapRuns(_ x: Int, _ y: Int, _ length: Int) {
            for k in 0..<max(length, 0) { a.swapAt(x + k, y + k) }
        }
        while true {
            if n < 7 {
                // Insertion sort.
                var m = base + 1
                while m < base + n {
                    var l = m
                    while l > base && cmp(l - 1, l) > 0 { a.swapAt(l, l - 1); l -= 1 }
                    m += 1
                }
                return
            }
            var pm = base + n / 2
            if n > 7 {
                var pl = base, pn = base + n - 1
                if n > 40 {
                    let d = n / 8
                    pl = median(pl, pl + d, pl + 2 * d)
                    pm = median(pm - d, pm, pm + d)
                    pn = median(pn - 2 * d, pn - d, pn)
                }
                pm = median(pl, pm, pn)
            }
            a.swapAt(base, pm)
            var pa = base + 1, pb = base + 1
            var pc = base + n - 1, pd = base + n - 1
            while true {
                while pb <= pc {
                    let r = cmp(pb, base)
                    if r > 0 { break }
                    if r == 0 { a.swapAt(pa, pb); pa += 1 }
                    pb += 1
                }
                while pb <= pc {
                    let r = cmp(pc, base)
                    if r < 0 { break }
                    if r == 0 { a.swapAt(pc, pd); pd -= 1 }
                    pc -= 1
                }
                if pb > pc { break }
                a.swapAt(pb, pc)
                pb += 1
                pc -= 1
            }
            let end = base + n
            var r = min(pa - base, pb - pa)
            swapRuns(base, pb - r, r)
            r = min(pd - pc, end - pd - 1)
            swapRuns(pb, end - r, r)
            // The part below the pivot, then the part above it, each only
            // where it overlaps the range wanted.
            r = pb - pa
            if r > 1 && !((lowest < base && highest < base) || (lowest > base + r - 1 && highest > base + r - 1)) {
                partialQuickSort(a, base, r, lowest, highest, compare)
            }
            r = pd - pc
            guard r > 1 else { return }
            base = end - r
            n = r
            if (lowest < base && highest < base) || (lowest > base + r - 1 && highest > base + r - 1) { return }
        }
    }
}
