"""The site's portlets get their settings at install, not at their first rendering (decision 0053).

plone.portlets keeps each portlet assignment's settings (hidden or shown) in an
annotation it makes the first time the portlet is rendered.  On a new site, the
first pages the agents open (``@@mes-accompagnements``) all wrote the site's
navigation portlet at once, and conflicted.  The install (and upgrade 1009) makes
the settings of the site root's portlets beforehand, as plone.portlets would.
"""

from plone.portlets.interfaces import IPortletAssignmentMapping
from plone.portlets.interfaces import IPortletAssignmentSettings
from plone.portlets.interfaces import IPortletManager
from plone.portlets.settings import ASSIGNMENT_SETTINGS_KEY
from zope.annotation.interfaces import IAnnotations
from zope.component import getUtilitiesFor
from zope.component import queryMultiAdapter


def settle_portlet_settings(portal):
    """Make the settings of the site root's portlet assignments; return how many were made."""
    made = 0
    for _name, manager in getUtilitiesFor(IPortletManager, context=portal):
        mapping = queryMultiAdapter((portal, manager), IPortletAssignmentMapping)
        if mapping is None:
            continue
        for assignment in mapping.values():
            annotations = IAnnotations(assignment, None)
            if annotations is None or ASSIGNMENT_SETTINGS_KEY in annotations:
                continue
            IPortletAssignmentSettings(assignment)
            made += 1
    return made
