"""A paper added to a space leaves the site-wide workspace groups alone (decision 0024).

collective.workspace renamed a workspace's groups on every modified event of the
workspace, container events included: each deposit wrote the one tree of the
``workspace_groups`` plugin, and concurrent deposits into different vaults conflicted
(found by ``bench/bench_load.py``).  Only a real edit of a workspace renames its groups now.
"""

from collective.workspace.pas import get_workspace_groups_plugin
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from zope.container.contained import ContainerModifiedEvent
from zope.event import notify
from zope.lifecycleevent import ObjectModifiedEvent
import transaction


def written(portal):
    """The persistent objects the current transaction has modified so far."""
    return {id(obj) for obj in portal._p_jar._registered_objects}


def user_and_group_storage(portal):
    """``id()`` of every BTree (and bucket) the PAS plugins of the site keep their data in:
    groups, their titles (mutable properties), memberships…"""
    found = set()
    for plugin in portal.acl_users.objectValues():
        for value in vars(plugin).values():
            if hasattr(value, "_firstbucket"):
                found.add(id(value))
                bucket = value._firstbucket
                while bucket is not None:
                    found.add(id(bucket))
                    bucket = bucket._next
    return found


def test_a_deposit_does_not_write_the_workspace_groups(functional_portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()  # stored: from now on a write registers the object
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    assert vault["partage"].objectIds()
    assert written(functional_portal)  # the deposit's own writes are seen
    assert not written(functional_portal) & user_and_group_storage(functional_portal)
    transaction.abort()
    notify(ContainerModifiedEvent(vault["partage"]))  # what adding or removing a paper fires
    assert not written(functional_portal) & user_and_group_storage(functional_portal)


def test_editing_a_workspace_still_renames_its_groups(portal):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    space = vault["partage"]
    group_id = next(
        group for group in get_workspace_groups_plugin()._groups if group.endswith(space.UID())
    )
    with api.env.adopt_roles(["Manager"]):
        space.setTitle("Espace partagé renommé")
        notify(ObjectModifiedEvent(space))
    title = api.group.get(groupname=group_id).getProperty("title")
    assert title.endswith("Espace partagé renommé")
