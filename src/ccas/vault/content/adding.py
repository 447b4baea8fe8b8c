"""Adding a paper to a space or to the "Courrier du CCAS" folder.

Like ``_createObjectByType`` (the paper gets ``ObjectCreatedEvent``,
``ObjectWillBeAddedEvent`` and ``ObjectAddedEvent``: workflow, UID, intid,
catalog), but without the ``ContainerModifiedEvent`` of its folder.  A
vault's folders are fixed structure and nothing in their catalog entry or
their relations depends on their papers; that event made every deposit
reindex the whole folder (every index and column), scan its relations and
links, and write its modification date — a third of a GED letter's cost,
for nothing (decision 0028).
"""

from OFS.event import ObjectWillBeAddedEvent
from plone.dexterity.interfaces import IDexterityFTI
from zope.component import createObject
from zope.component import getUtility
from zope.event import notify
from zope.lifecycleevent import ObjectAddedEvent
from zope.lifecycleevent import ObjectCreatedEvent


def add_to_structure(container, type_name, id, **fields):
    """Create a ``type_name`` called ``id`` in ``container`` and return it (no security check)."""
    fti = getUtility(IDexterityFTI, name=type_name)
    obj = createObject(fti.factory, id, **fields)
    obj._setPortalTypeName(type_name)
    notify(ObjectCreatedEvent(obj))
    notify(ObjectWillBeAddedEvent(obj, container, id))
    container._setObject(id, obj, suppress_events=True)
    obj = container._getOb(id)
    notify(ObjectAddedEvent(obj, container, id))
    return obj
