import RESP
import Storage

/// The options SET and GETEX share, parsed with Redis's rules: each option is
/// accepted only when it does not conflict with one already seen, so a
/// repeated option is fine (`NX NX`, `EX 1 EX 2`: the last value wins) and a
/// conflicting pair is a syntax error.
struct StringOptions {
    enum Command { case set, getex }

    var nx = false, xx = false, get = false, keepTTL = false, persist = false
    var ex = false, px = false, exat = false, pxat = false
    /// Index of the expiry value argument, when one was given.
    var expiryArgument: Int? = nil

    /// Parses `args[from...]`; replies `syntax error` and returns nil on failure.
    static func parse(_ args: Arguments, from: Int, for command: Command, _ c: Client) -> StringOptions? {
        var o = StringOptions()
        var j = from
        let isSet = command == .set
        while j < args.count {
            let opt = args[j]
            let hasNext = j + 1 < args.count
            let anyExpiry = o.ex || o.px || o.exat || o.pxat
            if opt.equalsIgnoringCase("nx") && !o.xx && isSet {
                o.nx = true
            } else if opt.equalsIgnoringCase("xx") && !o.nx && isSet {
                o.xx = true
            } else if opt.equalsIgnoringCase("get") && isSet {
                o.get = true
            } else if opt.equalsIgnoringCase("keepttl") && !o.persist && !anyExpiry && isSet {
                o.keepTTL = true
            } else if opt.equalsIgnoringCase("persist") && !isSet && !anyExpiry && !o.keepTTL {
                o.persist = true
            } else if opt.equalsIgnoringCase("ex") && !o.keepTTL && !o.persist && !o.exat && !o.px && !o.pxat && hasNext {
                o.ex = true; o.expiryArgument = j + 1; j += 1
            } else if opt.equalsIgnoringCase("px") && !o.keepTTL && !o.persist && !o.ex && !o.exat && !o.pxat && hasNext {
                o.px = true; o.expiryArgument = j + 1; j += 1
            } else if opt.equalsIgnoringCase("exat") && !o.keepTTL && !o.persist && !o.ex && !o.px && !o.pxat && hasNext {
                o.exat = true; o.expiryArgument = j + 1; j += 1
            } else if opt.equalsIgnoringCase("pxat") && !o.keepTTL && !o.persist && !o.ex && !o.exat && !o.px && hasNext {
                o.pxat = true; o.expiryArgument = j + 1; j += 1
            } else {
                c.fail(Errors.syntax)
                return nil
            }
            j += 1
        }
        return o
    }

    var inSeconds: Bool { ex || exat }
    var relative: Bool { ex || px }
    var absolute: Bool { exat || pxat }
}

extension Client {
    /// Turns an expiry argument into an absolute time in ms, with Redis's
    /// checks: not an integer → `not an integer`; ≤ 0, too large for ms, or
    /// overflowing once `now` is added → `invalid expire time in '<cmd>'`.
    func absoluteExpiry(_ bytes: UnsafeRawBufferPointer, seconds: Bool, relative: Bool, command: String) -> Int64? {
        guard let n = integerArgument(bytes) else { return nil }
        if n <= 0 || (seconds && n > Int.max / 1000) {
            fail(Errors.invalidExpire(command))
            return nil
        }
        var ms = seconds ? n * 1000 : n
        if relative {
            let (sum, overflow) = ms.addingReportingOverflow(Int(loop.nowMs))
            if overflow { fail(Errors.invalidExpire(command)); return nil }
            ms = sum
        }
        if ms <= 0 { fail(Errors.invalidExpire(command)); return nil }
        return Int64(ms)
    }
}
