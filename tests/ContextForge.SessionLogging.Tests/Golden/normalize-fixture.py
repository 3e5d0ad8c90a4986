#!/usr/bin/env python3
"""Makes a recorded data directory reproducible: every UUID (and its dash-less and 16-hex span forms), every
timestamp, the provenance (host, user, pid, process start, boot id, tool version) and the recording's working
directory become fixed values; segment and directory names follow; each segment's hash chain is recomputed.
Usage: normalize-fixture.py RAW_DATA_DIR OUT_DIR WORK_DIR"""
import datetime, hashlib, json, os, re, shutil, sys

raw, out, work = sys.argv[1], sys.argv[2], sys.argv[3]
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
TS = re.compile(r'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z')
BASE = datetime.datetime(2026, 1, 15, 9, 0, 0, tzinfo=datetime.timezone.utc)

seg_paths = []
for dirpath, _, files in os.walk(os.path.join(raw, 'sessions')):
    for f in files:
        if f.endswith('.jsonl'):
            seg_paths.append(os.path.join(dirpath, f))
lines_by_seg = {p: open(p, 'rb').read().decode('utf-8').split('\n')[:-1] for p in seg_paths}
all_text = '\n'.join(l for ls in lines_by_seg.values() for l in ls)

# Times: the earliest becomes BASE; all keep their distances.
times = sorted(set(TS.findall(all_text)))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
def ticks_of(t):
    """100 ns ticks since 1970 of an ISO UTC time with up to 7 fractional digits (exact, no float)."""
    base = datetime.datetime.strptime(t[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    frac = t[20:-1] if '.' in t else ''
    return (base - EPOCH) // datetime.timedelta(seconds=1) * 10_000_000 + int((frac + '0000000')[:7])
def parse(t):
    return EPOCH + datetime.timedelta(microseconds=ticks_of(t) // 10)
# The recording's start: the earliest line header (a value a user gave, such as an old date, is not a recording time).
T0 = min(ticks_of(json.loads(l)['ts']) for ls in lines_by_seg.values() for l in ls)
t0 = parse_t0 = EPOCH + datetime.timedelta(microseconds=T0 // 10)
def shift(t):
    if parse(t) < t0 - datetime.timedelta(days=1):
        return t
    return _shift(t)
def _shift(t):
    ticks = ticks_of(t) - T0 + (BASE - EPOCH) // datetime.timedelta(seconds=1) * 10_000_000
    d = EPOCH + datetime.timedelta(seconds=ticks // 10_000_000)
    s = d.strftime('%Y-%m-%dT%H:%M:%S')
    return s + ('.' + f'{ticks % 10_000_000:07d}' if '.' in t else '') + 'Z'

# UUIDs in order of first appearance (segments sorted by name, i.e. by time).
order = []
for p in sorted(seg_paths, key=os.path.basename):
    for m in UUID.findall('\n'.join(lines_by_seg[p])):
        if m not in order:
            order.append(m)
mapping = {}
for n, u in enumerate(order, 1):
    mapping[u] = f'{n:08x}-{n:04x}-4{n:03x}-8{n:03x}-{n:012x}'

def fix_text(s):
    for u, v in mapping.items():
        s = s.replace(u, v).replace(u.replace('-', ''), v.replace('-', '')).replace('ACH-' + u[:8], 'ACH-' + v[:8])
        s = s.replace(u.replace('-', '')[:16], v.replace('-', '')[:16])
    s = TS.sub(lambda m: shift(m.group(0)), s)
    return s

spans = {}
def fix_span(v):
    if isinstance(v, str) and re.fullmatch(r'[0-9a-f]{16}', v):
        for u, w in mapping.items():
            if u.replace('-', '')[:16] == v:
                return w.replace('-', '')[:16]
        spans.setdefault(v, f'{0xabc000 + len(spans) + 1:016x}')
        return spans[v]
    return v

def fix_obj(o):
    if isinstance(o, dict):
        r = {}
        for k, v in o.items():
            if k == 'provenance' and isinstance(v, dict):
                v = dict(v)
                v.update({k2: val for k2, val in {'host': 'golden-host', 'user': 'dev', 'pid': 4999999,
                          'tool_version': '0.9.0-golden', 'os': 'Linux 6.1.0-golden', 'runtime': '.NET 10.0.0'}.items() if k2 in v})
                if 'process_start_ticks' in v: v['process_start_ticks'] = 1000
                if 'boot_id' in v: v['boot_id'] = '00000000-0000-4000-8000-0000000000b0'
                if 'cwd' in v: v['cwd'] = fix_path(v['cwd'])
                r[k] = v
            elif k in ('span_id', 'parent_span_id'):
                r[k] = fix_span(v)
            elif k == 'cwd':
                r[k] = fix_path(v)
            else:
                r[k] = fix_obj(v)
        return r
    if isinstance(o, list):
        return [fix_obj(x) for x in o]
    if isinstance(o, str):
        return fix_path(o)
    return o

def fix_path(s):
    if not isinstance(s, str): return s
    s = s.replace(work, '/home/dev/project').replace(raw, '/home/dev/.local/share/contextforge/sessions')
    return s.replace(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), '/home/dev/src/contextforge')

def dump(o):
    # Byte-compatible with Utf8JsonWriter's default escaping is not needed: readers parse JSON; but keep ASCII-safe.
    return json.dumps(o, ensure_ascii=True, separators=(',', ':'))

shutil.copytree(raw, out)
for p in seg_paths:
    rel = os.path.relpath(p, raw)
    os.remove(os.path.join(out, rel))
for p in seg_paths:
    prev = '0' * 64
    new_lines = []
    for l in lines_by_seg[p]:
        o = json.loads(fix_text(l))
        o = fix_obj(o)
        o['prev'] = prev
        if 'segment' in o:
            o['segment'] = fix_segment_name(os.path.basename(p)[:-6]) if False else o['segment']
        line = dump(o)
        new_lines.append(line)
        prev = hashlib.sha256(line.encode('utf-8')).hexdigest()
    rel = os.path.relpath(p, raw)
    d, f = os.path.split(rel)
    nd = fix_text(d)
    nf = f[:-6]
    # segment name: <yyyyMMddTHHmmssfff>Z-<pid>-<8 hex>
    m = re.fullmatch(r'(\d{8}T\d{9})Z-(\d+)-([0-9a-f]{8})', nf)
    if m:
        t = datetime.datetime.strptime(m.group(1), '%Y%m%dT%H%M%S%f').replace(tzinfo=datetime.timezone.utc)
        t = t - t0 + BASE
        nf = t.strftime('%Y%m%dT%H%M%S') + f'{t.microsecond // 1000:03d}' + 'Z-4999999-' + fix_text(m.group(3))
    # The segment key inside each line names the file.
    fixed = []
    prev = '0' * 64
    for line in new_lines:
        o = json.loads(line)
        if 'segment' in o: o['segment'] = nf
        o['prev'] = prev
        s = dump(o)
        fixed.append(s)
        prev = hashlib.sha256(s.encode('utf-8')).hexdigest()
    os.makedirs(os.path.join(out, nd), exist_ok=True)
    with open(os.path.join(out, nd, nf + '.jsonl'), 'w', encoding='utf-8', newline='\n') as fh:
        fh.write(''.join(x + '\n' for x in fixed))
# Move everything else named by an id (achievement counters, milestone markers) under its fixed name.
for dirpath, dirnames, files in os.walk(out, topdown=False):
    for name in files:
        src = os.path.join(dirpath, name)
        rel = os.path.relpath(src, out)
        new_rel = fix_text(rel)
        if new_rel != rel:
            os.makedirs(os.path.dirname(os.path.join(out, new_rel)), exist_ok=True)
            os.rename(src, os.path.join(out, new_rel))
# Empty directories left by the renames.
for dirpath, dirnames, files in os.walk(out, topdown=False):
    if not os.listdir(dirpath):
        os.rmdir(dirpath)
for f in ('index.sqlite', 'index.sqlite-wal', 'index.sqlite-shm'):
    if os.path.exists(os.path.join(out, f)): os.remove(os.path.join(out, f))
