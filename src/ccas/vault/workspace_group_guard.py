"""The groups of the shared spaces are not edited through ``@groups`` (decision 0034).

collective.workspace keeps one group per mandate scope and shared space
(``consult:<space UID>``…) in its own PAS plugin; its members are the agents of the
mandates in force (``workspace.sync_roster``, decision 0006).  plone.restapi's
``PATCH @groups/<id>`` on such a group ended in a ``KeyError`` (503, the traceback in the
answer); and had it worked, a Manager would have put anyone in a space's roster without
a mandate.  On the add-on's layer, ``PATCH`` and ``DELETE`` of a workspace group answer
403 in the add-on's error shape, for everyone; other groups go to plone.restapi as before.
Like the add-on's own writing services, a form posted from another site is refused first.
"""

from ccas.vault.services.base import check_not_forged
from ccas.vault.services.base import RequestError
from plone.restapi.services.groups.delete import GroupsDelete
from plone.restapi.services.groups.update import GroupsPatch
from Products.CMFCore.utils import getToolByName


PLUGIN_ID = "workspace_groups"
REFUSED = (
    403,
    "workspace_group",
    "The groups of a shared space follow its mandates: they are not edited here.",
    "Les groupes d'un espace partagé suivent ses mandats : on ne les modifie pas ici. "
    "Pour donner ou retirer un accès, passez par le mandat.",
)


def is_workspace_group(context, group_id):
    """Whether ``group_id`` is one of collective.workspace's groups."""
    plugin = getattr(getToolByName(context, "acl_users"), PLUGIN_ID, None)
    return plugin is not None and plugin.getGroupInfo(group_id) is not None


class _Guard:
    def reply(self):
        try:
            check_not_forged(self.request)  # a form posted from another site (decision 0026)
            if len(self.params) == 1 and is_workspace_group(self.context, self.params[0]):
                raise RequestError(*REFUSED)
        except RequestError as error:
            self.request.response.setStatus(error.status)
            return error.as_dict()
        return super().reply()


class WorkspaceGroupsPatch(_Guard, GroupsPatch):
    """``PATCH @groups/<id>``: refused for a workspace group."""


class WorkspaceGroupsDelete(_Guard, GroupsDelete):
    """``DELETE @groups/<id>``: refused for a workspace group."""
