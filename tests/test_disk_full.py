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


def page_for(error, portal):
    from ccas.vault.services.disk_full import DiskFullPage

    request = portal.REQUEST
    try:
        raise error
    except OSError as raised:
        view = DiskFullPage(raised, request)
        view.__parent__ = portal
        return view(), request.response


def test_a_page_request_on_a_full_disk_gets_a_507_page(portal):
    body, response = page_for(OSError(errno.ENOSPC, "No space left on device"), portal)
    assert response.getStatus() == 507
    assert response.getHeader("Retry-After")
    assert "Le serveur est plein" in body and "Send it again later" in body


def test_another_os_error_gets_plones_own_error_view(portal):
    body, response = page_for(PermissionError(errno.EACCES, "Permission denied"), portal)
    assert response.getStatus() == 500
    assert "PermissionError" in body and "Le serveur est plein" not in body
