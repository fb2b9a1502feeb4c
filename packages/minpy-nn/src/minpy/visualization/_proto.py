"""The few protocol-buffer and TFRecord encodings a TensorBoard event file needs, and
their decoding (for reading files back): TensorFlow's ``Event`` (``wall_time`` = 1,
``step`` = 2, ``file_version`` = 3, ``summary`` = 5), ``Summary`` (``value`` = 1) and
``Summary.Value`` (``tag`` = 1, ``simple_value`` = 2) messages."""

from __future__ import annotations

import struct

# -- CRC-32C (Castagnoli), as TFRecord frames use it -------------------------------------
_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)
del _i, _c


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC, the data, the data's masked CRC."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data +
            struct.pack("<I", masked_crc32c(data)))


def read_tfrecords(blob: bytes):
    """The records of a TFRecord file's bytes, checking both checksums of each."""
    pos = 0
    while pos < len(blob):
        length_bytes = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if crc != masked_crc32c(length_bytes):
            raise ValueError(f"corrupt record length at byte {pos}")
        data = blob[pos + 12:pos + 12 + length]
        (crc,) = struct.unpack("<I", blob[pos + 12 + length:pos + 16 + length])
        if len(data) != length or crc != masked_crc32c(data):
            raise ValueError(f"corrupt record at byte {pos}")
        yield data
        pos += 16 + length


# -- protocol buffer wire format ---------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # int64: negative numbers as ten-byte two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _bytes_field(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def summary_value(tag: str, value: float) -> bytes:
    """A ``Summary.Value`` with ``tag`` and ``simple_value``."""
    return _bytes_field(1, tag.encode("utf-8")) + _key(2, 5) + struct.pack("<f", value)


def summary(values: list[bytes]) -> bytes:
    return b"".join(_bytes_field(1, v) for v in values)


def event(wall_time: float, step: int | None = None, summary_bytes: bytes | None = None,
          file_version: str | None = None) -> bytes:
    out = _key(1, 1) + struct.pack("<d", wall_time)
    if step is not None:
        out += _key(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _bytes_field(3, file_version.encode("utf-8"))
    if summary_bytes is not None:
        out += _bytes_field(5, summary_bytes)
    return out


def _read_varint(buf: bytes, pos: int):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def parse(buf: bytes) -> list:
    """``[(field, wire type, value)]`` of one message (nested messages as bytes)."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
            if value >= 1 << 63:
                value -= 1 << 64
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            n, pos = _read_varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((field, wire, value))
    return out
