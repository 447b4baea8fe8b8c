"""Views that make a write conflict observable from outside the Zope process.

The entries live in a plain ``PersistentList`` (no ``_p_resolveConflict``) in the
site's annotations, so two transactions that both append to it from the same
starting state cannot both commit: the second one gets a ``ConflictError`` and
has to be retried by the Zope publisher.
"""

from persistent.list import PersistentList
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from zope.annotation.interfaces import IAnnotations
from zope.interface import alsoProvides
import json
import time


KEY = "zeo_probe.entries"


def _json(request, data):
    request.response.setHeader("Content-Type", "application/json")
    return json.dumps(data)


class Append(BrowserView):
    """``@@zeo-probe-append?value=...&sleep=...``: append one entry, then wait.

    The entry records ``request.retry_count`` (0 on the first attempt, 1 on the
    first retry after a ConflictError...).  The sleep happens inside the view,
    i.e. after the list was read and modified but before the publisher commits.
    """

    def __call__(self):
        # The request writes without a CSRF token on purpose (test-only probe):
        # plone.protect would otherwise refuse the POST, or silently abort a GET.
        alsoProvides(self.request, IDisableCSRFProtection)
        annotations = IAnnotations(self.context)
        entries = annotations.get(KEY)
        if entries is None:
            entries = annotations[KEY] = PersistentList()
        entry = {"value": self.request.form["value"], "retry": self.request.retry_count}
        entries.append(entry)
        time.sleep(float(self.request.form.get("sleep", 0)))
        return _json(self.request, entry)


class List(BrowserView):
    """``@@zeo-probe-list``: the stored entries, read-only."""

    def __call__(self):
        entries = IAnnotations(self.context).get(KEY, ())
        return _json(self.request, [dict(entry) for entry in entries])
