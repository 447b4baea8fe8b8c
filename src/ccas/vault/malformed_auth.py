"""A malformed ``Authorization: Basic`` header is treated as no credentials, not as a 500.

Zope's ``basic_auth_decode`` (used by PAS's HTTP Basic plugin and by the publisher) raises
``ValueError`` (bad base64, bytes that are not UTF-8, no ``:``) on a header it cannot
read, and the request ends in a 500.  Found by the fuzzing test (``tests/test_fuzz.py``).
At publication start such a header is dropped: the caller is anonymous and gets the
usual 401 for anything protected.
"""

from ZPublisher.utils import basic_auth_decode


def drop_malformed_basic_auth(event):
    """``IPubStart`` subscriber: forget a Basic header that cannot be decoded."""
    request = event.request
    try:
        basic_auth_decode(getattr(request, "_auth", None))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        request._auth = None
