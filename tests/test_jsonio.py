"""The strict JSON reader: limits hold on the bytes actually read, not on what stat reports."""

from __future__ import annotations

import pytest

from certify.core import jsonio
from certify.core.errors import InputError


def test_read_caps_the_bytes_it_reads(tmp_path, monkeypatch):
    p = tmp_path / "big.json"
    p.write_text('{"a": "' + "x" * 200 + '"}')
    assert jsonio.read(p, max_bytes=400) == {"a": "x" * 200}
    with pytest.raises(InputError, match="beyond the limit"):
        jsonio.read(p, max_bytes=100)

    import types

    real_stat = type(p).stat

    def zero_size(self, **kw):  # a file that reports size 0 (as /proc files do) is still capped by what is read
        st = real_stat(self, **kw)
        return types.SimpleNamespace(st_mode=st.st_mode, st_size=0) if self == p else st

    monkeypatch.setattr(type(p), "stat", zero_size)
    with pytest.raises(InputError, match="more than 100 bytes"):
        jsonio.read(p, max_bytes=100)


def test_read_refuses_text_that_is_not_utf8(tmp_path):
    p = tmp_path / "latin1.json"
    p.write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(InputError, match="UTF-8"):
        jsonio.read(p)
