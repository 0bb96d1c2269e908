"""ddmin for a saved case: python3 diff.py minimize CASE.json [--minutes M]"""
import json, time, sys
import diff


def flatten(items):
    # MULTI blocks stay whole; sync markers dropped (final compare still runs); sleeps kept
    return [it for it in items if it[0] != 'sync']


def test(sv, items, want):
    if want in ('crash', 'conn'):
        sv.start()
    else:
        sv.reset()
    r = diff.Runner(sv, {})
    try:
        diff.execute(r, items, final=True)
    except diff.Divergence as d:
        what = d.info['what']
        if want in ('crash', 'conn'):
            return what in ('crash', 'conn'), d.info
        return what not in ('crash', 'conn'), d.info
    except Exception as e:
        return False, {'what': 'exception', 'detail': str(e)}
    return False, None


def main(args):
    path = args[0]
    minutes = float(args[args.index('--minutes') + 1]) if '--minutes' in args else 15
    case = json.load(open(path))
    want = case['info']['what']
    items = flatten([diff.from_json_item(j) for j in case['items']])
    if want == 'reply' and 'item_index' in case['info']:
        pass
    sv = diff.Servers('min', noactive=case['info'].get('noactive', False))
    sv.start()
    t_end = time.time() + minutes * 60
    ok, info = test(sv, items, want)
    print('initial: %d items, reproduces=%s %s' % (len(items), ok, json.dumps(info, default=str)[:300] if info else ''), flush=True)
    if not ok:
        sv.stop()
        return
    # truncate the tail: binary search for the shortest failing prefix
    lo, hi = 1, len(items)
    while lo < hi and time.time() < t_end:
        mid = (lo + hi) // 2
        if test(sv, items[:mid], want)[0]:
            hi = mid
        else:
            lo = mid + 1
    items = items[:hi]
    print('prefix: %d items' % len(items), flush=True)
    n = 2
    while len(items) >= 2 and time.time() < t_end:
        chunk = max(1, len(items) // n)
        removed = False
        for start in range(0, len(items), chunk):
            if time.time() > t_end:
                break
            cand = items[:start] + items[start + chunk:]
            if cand and test(sv, cand, want)[0]:
                items = cand
                n = max(n - 1, 2)
                removed = True
                print('  %d items' % len(items), flush=True)
                break
        if not removed:
            if chunk == 1:
                break
            n = min(len(items), n * 2)
    ok, info = test(sv, items, want)
    sv.stop()
    out = path.replace('.json', '_min.json')
    with open(out, 'w') as f:
        json.dump({'info': info, 'items': [diff.to_json_item(i) for i in items]}, f, default=str)
    print('minimized to %d items -> %s (reproduces=%s)' % (len(items), out, ok))
    for it in items:
        print('  ', json.dumps(diff.to_json_item(it))[:400])
    if info:
        print(json.dumps({k: v for k, v in info.items() if k != 'log'}, default=str)[:2000])
        if info.get('log'):
            print(crash_summary(info['log']))


def crash_summary(log):
    out = []
    for l in log.splitlines():
        if 'runtime failure' in l or 'Fatal' in l or (' in swiftlet-server at /work' in l and len(out) < 10):
            out.append(l.strip()[:220])
    return '\n'.join(out)
