"""A paper added to a space does not rewrite the site-wide workspace groups (no ZODB conflicts).

collective.workspace's ``handle_workspace_modified`` runs on every ``IObjectModifiedEvent``
of a workspace and sets the title of each of its groups again, in the one ``OOBTree`` of
the ``workspace_groups`` PAS plugin.  Adding a paper fires a ``ContainerModifiedEvent``
(an ``IObjectModifiedEvent``) on the space: every deposit wrote that tree, and two deposits
into two different vaults at the same time conflicted on its buckets (``ConflictError``,
500 after the publisher's retries; found by ``bench/bench_load.py``).  The handler is
replaced by one that skips container events (a paper added or removed does not change the
space's title); a real edit of a workspace still renames its groups.

The swap is a ZCML action (``ccasvault:guardWorkspaceGroupTitles``) ordered after every
subscriber registration: no monkey patch of collective.workspace.
"""

from collective.workspace.interfaces import IHasWorkspace
from collective.workspace.workspace import handle_workspace_modified
from zope.component import getGlobalSiteManager
from zope.container.interfaces import IContainerModifiedEvent
from zope.interface import Interface
from zope.lifecycleevent.interfaces import IObjectModifiedEvent


REQUIRED = (IHasWorkspace, IObjectModifiedEvent)


def rename_workspace_groups(context, event):
    """collective.workspace's group renaming, except for a container event."""
    if IContainerModifiedEvent.providedBy(event):
        return
    handle_workspace_modified(context, event)


def _swap():
    registry = getGlobalSiteManager()
    registry.unregisterHandler(handle_workspace_modified, required=REQUIRED)
    registry.registerHandler(rename_workspace_groups, required=REQUIRED)


class IGuardDirective(Interface):
    """``<ccasvault:guardWorkspaceGroupTitles />``: no fields."""


def guard_directive(_context):
    # After collective.workspace's <subscriber> (order 0): a high order runs last.
    _context.action(
        discriminator=("ccas.vault", "workspace-group-titles"), callable=_swap, order=10_000
    )
