"""Which errors are a full disk (``services/disk_full.py``, decision 0041).

The answer itself (``507 insufficient_storage``, nothing stored) is tested on a
real instance whose blob directory is a full ``tmpfs``: tests/test_faults.py.
"""

from ccas.vault.services.disk_full import disk_full_body
from ccas.vault.services.disk_full import is_disk_full
import errno


def raised_from(error, cause):
    try:
        try:
            raise cause
        except OSError as inner:
            raise error from inner
    except Exception as outer:
        return outer


def test_a_full_disk_or_quota_is_recognised_even_when_wrapped():
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_disk_full(raised_from(RuntimeError("commit failed"), OSError(errno.ENOSPC, "full")))


def test_other_errors_are_not_a_full_disk():
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(FileNotFoundError(errno.ENOENT, "gone"))
    assert not is_disk_full(ValueError("bad"))
    assert not is_disk_full(raised_from(RuntimeError("x"), OSError(errno.EIO, "I/O error")))


def test_the_answer_has_the_error_shape_in_english_and_french():
    error = disk_full_body()["error"]
    assert error["type"] == "insufficient_storage"
    assert "disk" in error["message"] and "disque" in error["message_fr"]
