# Raw NBD probes for the gateway's conformance suite, run by nbdsh's Python binding (Debian
# python3-libnbd) against nbdkit and against the gateway; prints one JSON object of answers.
# Strict mode is off so libnbd sends what a hostile or buggy client would (unknown flags,
# zero lengths, out-of-range offsets) and the server's own answer is what gets compared.
#
# usage: python3 nbd-probe.py URI rw|ro|simple
import errno
import json
import sys

import nbd

uri, mode = sys.argv[1], sys.argv[2]
h = nbd.NBD()
h.set_strict_mode(0)
if mode == 'simple':
    h.set_request_structured_replies(False)
else:
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.connect_uri(uri)
size = h.get_size()
answers = {'structured': h.get_structured_replies_negotiated()}


def probe(name, fn):
    try:
        r = fn()
        answers[name] = 'ok' if r is None or isinstance(r, (bytes, bytearray, int)) else r
    except nbd.Error as e:
        answers[name] = errno.errorcode.get(e.errnum, str(e.errnum)) if e.errnum else 'error'


def extents(off, cnt, flags=0):
    got = []

    def cb(meta, offset, entries, err):
        got.append([meta, offset, list(entries)])
        return 0
    h.block_status(cnt, off, cb, flags)
    return got


def same(expected):
    def check(data):
        if data != expected:
            raise nbd.Error('data differs', errno.EILSEQ)
    return check


pattern = bytes(range(256)) * 16
if mode in ('rw', 'simple'):
    probe('write 4096 at 1M', lambda: h.pwrite(pattern, 1 << 20))
    probe('read back 4096 at 1M', lambda: same(pattern)(h.pread(4096, 1 << 20)))
    probe('write 300 at 5000 (unaligned)', lambda: h.pwrite(pattern[:300], 5000))
    probe('read back 300 at 5000', lambda: same(pattern[:300])(h.pread(300, 5000)))
    probe('read 128K spanning data and hole', lambda: same(pattern + bytes(131072 - 4096))(h.pread(131072, 1 << 20)))
probe('read flag 0x8000', lambda: h.pread(512, 0, 0x8000))
probe('read flag FUA', lambda: h.pread(512, 0, nbd.CMD_FLAG_FUA))
probe('read flag DF', lambda: h.pread(512, 0, nbd.CMD_FLAG_DF))
probe('read flag REQ_ONE', lambda: h.pread(512, 0, nbd.CMD_FLAG_REQ_ONE))
probe('write flag 0x8000', lambda: h.pwrite(bytes(512), 0, 0x8000))
probe('write flag FUA', lambda: h.pwrite(bytes(512), 0, nbd.CMD_FLAG_FUA))
probe('write flag NO_HOLE', lambda: h.pwrite(bytes(512), 0, nbd.CMD_FLAG_NO_HOLE))
probe('write', lambda: h.pwrite(bytes(512), 0))
probe('flush flag 0x8000', lambda: h.flush(0x8000))
probe('flush', lambda: h.flush())
probe('trim flag 0x8000', lambda: h.trim(512, 0, 0x8000))
probe('trim flag FUA', lambda: h.trim(512, 0, nbd.CMD_FLAG_FUA))
probe('trim', lambda: h.trim(512, 0))
probe('zero flag NO_HOLE', lambda: h.zero(512, 0, nbd.CMD_FLAG_NO_HOLE))
probe('zero flag FAST_ZERO', lambda: h.zero(512, 0, nbd.CMD_FLAG_FAST_ZERO))
probe('zero flag 0x8000', lambda: h.zero(512, 0, 0x8000))
probe('zero', lambda: h.zero(512, 0))
probe('cache', lambda: h.cache(4096, 0))
probe('cache flag FUA', lambda: h.cache(4096, 0, nbd.CMD_FLAG_FUA))
probe('cache flag 0x8000', lambda: h.cache(4096, 0, 0x8000))
probe('block_status flag 0x8000', lambda: extents(0, 4096, 0x8000))
probe('read len 0', lambda: h.pread(0, 0))
probe('write len 0', lambda: h.pwrite(b'', 0))
probe('trim len 0', lambda: h.trim(0, 0))
probe('zero len 0', lambda: h.zero(0, 0))
probe('cache len 0', lambda: h.cache(0, 0))
probe('block_status len 0', lambda: extents(0, 0))
probe('read len 0 at size', lambda: h.pread(0, size))
probe('read past end', lambda: h.pread(1024, size - 512))
probe('write past end', lambda: h.pwrite(bytes(1024), size - 512))
probe('trim past end', lambda: h.trim(1024, size - 512))
probe('zero past end', lambda: h.zero(1024, size - 512))
probe('cache past end', lambda: h.cache(1024, size - 512))
probe('block_status past end', lambda: extents(size - 512, 1024))
probe('read at 2^63', lambda: h.pread(512, 1 << 63))
probe('write at 2^63', lambda: h.pwrite(bytes(512), 1 << 63))
probe('read at 2^64-512', lambda: h.pread(512, (1 << 64) - 512))
probe('extents of first 4M', lambda: extents(0, 4 << 20))
probe('extents REQ_ONE', lambda: extents(0, 4 << 20, nbd.CMD_FLAG_REQ_ONE))
probe('extents REQ_ONE from 1M', lambda: extents(1 << 20, 4 << 20, nbd.CMD_FLAG_REQ_ONE))
probe('extents of last 64K', lambda: extents(size - 65536, 65536))
if mode in ('rw', 'simple'):
    probe('extents after zero', lambda: (h.zero(65536, 2 << 20), extents(2 << 20, 65536))[1])
    probe('extents after trim', lambda: (h.trim(65536, 1 << 20), extents(1 << 20, 65536))[1])
probe('still connected', lambda: same(bytes(512))(h.pread(512, 0)))
h.shutdown()
print(json.dumps(answers))
