#!/usr/bin/env python3
"""Keeps cargo's mtime-based freshness true across fresh clones.

cargo decides that a crate is up to date by comparing its source files' modification times
with those of the last build. A fresh clone gives every file the time of the clone, so a warm
target directory would still rebuild every workspace crate (the runtime, its Wasm, the node and
every test binary that links them).

  source-mtimes.py save     after a build: records, for each tracked file (and each directory
                            holding tracked files) its content id and its modification time,
                            in $CARGO_TARGET_DIR/.uranus-source-mtimes
  source-mtimes.py restore  before a build: gives each file whose content is the same as at
                            that build the time it had then; anything changed keeps its new
                            time, so cargo rebuilds exactly what changed

Content ids are git's blob ids (directories: a hash of the ids below them); a file with
uncommitted changes is never restored. `.ci/run` restores (its clone is fresh) and
`scripts/test.sh` saves after every build. Do not restore in a clone where builds happen that
do not save (a file reverted to its content of the recorded build would look unchanged).
"""
import hashlib
import os
import subprocess
import sys


def tracked():
    """(path, blob id) of every tracked file without uncommitted changes."""
    out = subprocess.run(['git', 'ls-files', '-s', '-z'], check=True, capture_output=True).stdout
    modified = set(subprocess.run(['git', 'ls-files', '-m', '-z'], check=True,
                                  capture_output=True).stdout.decode().split('\0'))
    for entry in out.decode().split('\0'):
        if not entry:
            continue
        meta, path = entry.split('\t', 1)
        mode, blob, _stage = meta.split()
        if mode.startswith('12') or mode.startswith('16') or path in modified:
            continue  # symlinks and submodules: cargo follows neither
        yield path, blob


def content_ids():
    """Content id of every unmodified tracked file and of every directory above one."""
    ids = {}
    below = {}
    for path, blob in tracked():
        ids[path] = blob
        d = os.path.dirname(path)
        while d:
            below.setdefault(d, []).append(f'{path} {blob}')
            d = os.path.dirname(d)
    for d, entries in below.items():
        ids[d + '/'] = hashlib.sha256('\n'.join(sorted(entries)).encode()).hexdigest()
    return ids


def record_path():
    target = os.environ.get('CARGO_TARGET_DIR') or os.path.expanduser('~/.cache/uranus/target')
    return os.path.join(target, '.uranus-source-mtimes')


def save():
    lines = []
    for key, cid in content_ids().items():
        try:
            mtime = os.stat(key.rstrip('/') or '.').st_mtime_ns
        except FileNotFoundError:
            continue
        lines.append(f'{cid}\t{mtime}\t{key}\n')
    tmp = record_path() + '.tmp'
    with open(tmp, 'w') as f:
        f.writelines(lines)
    os.replace(tmp, record_path())
    print(f'source-mtimes: recorded {len(lines)} entries')


def restore():
    try:
        with open(record_path()) as f:
            recorded = [line.rstrip('\n').split('\t', 2) for line in f]
    except FileNotFoundError:
        print('source-mtimes: nothing recorded yet (first build in this target dir)')
        return
    ids = content_ids()
    restored = changed = 0
    # Files first, directories last (setting a file's time does not touch its directory's).
    for cid, mtime, key in sorted(recorded, key=lambda r: r[2].endswith('/')):
        if ids.get(key) != cid:
            changed += 1
            continue
        ns = int(mtime)
        os.utime(key.rstrip('/'), ns=(ns, ns), follow_symlinks=False)
        restored += 1
    print(f'source-mtimes: {restored} restored, {changed} changed since the recorded build')


if __name__ == '__main__':
    {'save': save, 'restore': restore}[sys.argv[1] if len(sys.argv) > 1 else '']()
