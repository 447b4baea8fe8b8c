"""Who pushes letters into vaults: the CCAS GED, or a partner's drop folder (decision 0055).

The letters' machinery (validation, receipts, parking, delivery) serves every
source that *pushes* papers with a reference of its own.  A source is a named
utility providing :class:`ILetterSource`; what differs from one source to the
other is only

- the **key** of its receipts and parked letters: the GED's reference as it
  is (decision 0010), ``partner~<organisation id>~<reference>`` for a partner
  (``~`` is outside the GED references' alphabet, so no key of one source can
  be the key of another, and a partner's reference is unique per partner);
- the **consent** the vault must hold to receive it now (the GED: "receive the
  CCAS's letters"; a partner: the person's consent to its connector);
- how the paper is **stored** (folder, origin, seal, notification).

A source id is ``<utility name>`` or ``<utility name>:<sender>`` (``ged``,
``partner:caf``): receipts and parked letters keep it, so that a letter parked
today is delivered later by the source that brought it.
"""

from zope.component import queryUtility
from zope.interface import Attribute
from zope.interface import Interface


GED = "ged"
KEY_SEPARATOR = "~"


class ILetterSource(Interface):
    """How the letters of one kind of source are keyed, consented to and stored."""

    origin = Attribute("The papers' origin (ccas.vault.content.vault_document.ORIGINS)")

    def key(sender, reference):
        """The receipt and parking key of ``reference`` sent by ``sender`` (may be ``""``)."""

    def missing_consent(vault, sender):
        """``None`` when ``vault`` may receive ``sender``'s papers now, else a parking reason."""

    def store(vault, letter, receipt, data):
        """Deposit ``letter`` in ``vault``; return ``(document, notification channel or None)``.

        ``data``: the bytes of a parked letter's file, ``None`` for a letter just received.
        """


def split(source_id):
    """``(utility name, sender)`` of a source id: ``"partner:caf"`` -> ``("partner", "caf")``."""
    name, _sep, sender = (source_id or GED).partition(":")
    return name, sender


def source_of(source_id):
    """The :class:`ILetterSource` of ``source_id``; ``LookupError`` when none is registered."""
    name, _sender = split(source_id)
    source = queryUtility(ILetterSource, name=name)
    if source is None:
        raise LookupError(f"No letter source {name!r}")
    return source


def key_of(source_id, reference):
    """The receipt and parking key of ``reference`` from ``source_id``."""
    _name, sender = split(source_id)
    return source_of(source_id).key(sender, reference)


def reference_of_key(key):
    """The source's own reference in a receipt or parking key."""
    return key.rsplit(KEY_SEPARATOR, 1)[-1]
