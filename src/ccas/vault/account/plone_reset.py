"""Plone's own password-reset e-mails never go to a person who owns a vault (decision 0035).

Plone mails a reset link from three routes, anonymous callers included, to any
account with an e-mail address: ``POST @users/<login>/reset-password`` with an
empty body, the ``mail_password`` view and the ``@@login-help`` form.  For a
vault owner the link's last step is refused (:mod:`ccas.vault.account.guard`),
so the mail — in English, from Plone — only misleads the person; and Plone's
answers tell whoever asked that the login exists, which here says that its
owner is followed by the CCAS.

So on these routes a vault owner's login is no account at all: before Plone's
code runs (``IPubAfterTraversal``), the login it will read is replaced by one
that cannot exist, and Plone answers exactly as for an unknown login (404 on
REST, "not found" on ``mail_password``, the same "sent" message on
``@@login-help``) and sends nothing.  The person's own lost-password routes
(``/mon-coffre/mot-de-passe-oublie``, :mod:`ccas.vault.account.recovery`) are
not Plone's and are unchanged.
"""

from ccas.vault.account.guard import owns_a_vault
from plone.restapi.services.users.add import UsersPost
from Products.CMFPlone.browser.login.login_help import LoginHelpForm
from Products.CMFPlone.browser.login.mail_password import MailPasswordView
import logging


logger = logging.getLogger("ccas.vault.account")

#: a login Plone cannot have (logins hold no spaces): "no such account"
NO_ACCOUNT = " no such account "
#: the ``@@login-help`` field naming the account to reset
LOGIN_HELP_FIELD = "form.widgets.reset_password"
#: Plone's reset pages and the form field each reads the login from
FORM_FIELDS = ((MailPasswordView, "userid"), (LoginHelpForm, LOGIN_HELP_FIELD))


def _hidden(login):
    if isinstance(login, str) and login.strip() and owns_a_vault(login.strip()):
        logger.info("Plone's reset e-mail refused for a vault owner's login (decision 0035)")
        return True
    return False


def hide_vault_owners(event):
    """``IPubAfterTraversal``: Plone's reset routes see no account for a vault owner."""
    request = event.request
    published = request.get("PUBLISHED")
    view = getattr(published, "__self__", published)
    if isinstance(view, UsersPost):
        params = view.params
        if len(params) == 2 and params[1] == "reset-password" and _hidden(params[0]):
            params[0] = NO_ACCOUNT
        return
    for klass, field in FORM_FIELDS:
        if isinstance(view, klass) and _hidden(request.form.get(field)):
            request.form[field] = NO_ACCOUNT
