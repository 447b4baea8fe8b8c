"""The workflow definition class of the vault's six workflows (decision 0029).

A ``DCWorkflowDefinition`` that rewrites an object's permission maps at a
state change without searching its class hierarchy once per permission.

At every state change DCWorkflow sets each permission the workflow manages
(forty here: the vault's workflows manage every permission, so that no
global role reaches a paper).  For each one, ``modifyRolesForPermission``
first looks up which attributes the permission protects on the object's
class by walking all its base classes (``ac_inherited_permissions``): about
seventy-five classes for a Dexterity type, forty times per state change,
two state changes per paper deposited.  That answer depends on the class
only, so it is computed once per class here; what is written on the object
is exactly what DCWorkflow writes.
"""

from AccessControl.class_init import InitializeClass
from AccessControl.Permission import Permission
from AccessControl.rolemanager import gather_permissions
from Acquisition import aq_base
from Products.DCWorkflow.DCWorkflow import DCWorkflowDefinition
from Products.DCWorkflow.utils import modifyRolesForGroup


META_TYPE = "CCAS Vault Workflow"

_protected_by_class = {}


def class_permissions(klass):
    """Permission name → names of the attributes it protects, for instances of ``klass``.

    The same answer as DCWorkflow's ``ac_inherited_permissions`` before an
    object's own sub-object permissions: the class's own declarations first,
    then those of its bases (which protect no attribute of their own).
    """
    known = _protected_by_class.get(klass)
    if known is None:
        own = getattr(klass, "__ac_permissions__", ())
        known = {}
        for name, data, *_default in (
            *own,
            *gather_permissions(klass, [], {p[0]: None for p in own}),
        ):
            known.setdefault(name, data)
        _protected_by_class[klass] = known
    return known


def protected_attributes(ob):
    """Permission name → attributes it protects on ``ob``, as DCWorkflow's
    ``modifyRolesForPermission`` finds them (a permission not named protects none)."""
    known = class_permissions(aq_base(ob).__class__)
    if not hasattr(ob, "_subobject_permissions"):
        return known
    products = {}  # containers: the products' permissions, after the class's own
    for name, data, *_default in ob._subobject_permissions():
        products.setdefault(name, data)
    return {**products, **known}


class VaultWorkflowDefinition(DCWorkflowDefinition):
    """DCWorkflow, with each content class's protected attributes known once."""

    meta_type = META_TYPE

    def updateRoleMappingsFor(self, ob):
        """Set the object's permissions and group roles as its current state says."""
        state = self._getWorkflowStateOf(ob)
        if state is None:
            return 0
        changed = 0
        protected = protected_attributes(ob)
        for name in self.permissions or ():
            roles = []
            if state.permission_roles is not None:
                roles = state.permission_roles.get(name, roles)
            permission = Permission(name, protected.get(name, ()), ob)
            if permission.getRoles() != roles:
                permission.setRoles(roles)
                changed = 1
        groups, managed_roles = self.getGroups(), self.getRoles()
        if groups and managed_roles:
            for group in groups:
                roles = ()
                if state.group_roles is not None:
                    roles = state.group_roles.get(group, ())
                if modifyRolesForGroup(ob, group, roles, managed_roles):
                    changed = 1
        return changed


InitializeClass(VaultWorkflowDefinition)
