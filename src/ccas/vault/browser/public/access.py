"""``/mon-coffre/acces``: who has access to the shared space (mandates), until when; sign, stop.

``acces/signer?mandate=<id>``: the person reads a mandate waiting for their
signature (agents, organisation, what they may do as a checklist, purpose,
dates) and signs it.  ``acces/retirer?mandate=<id>``: the person stops a
mandate (a confirmation page, then a POST).  ``acces/nouveau``: the person gives
access to an agent they name by the agent's work e-mail address (decision 0045):
the page shows the agent's name and organisation, the person ticks what the
agent may do and signs; the agent signs on "Mon accueil".  The work is done by
:mod:`ccas.vault.api.mandates`.
"""

from ccas.vault import _
from ccas.vault.api import connectors as connector_api
from ccas.vault.api import mandates as mandate_api
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.content.mandate import DEFAULT_PURPOSE
from ccas.vault.content.mandate import DUTIES_STATEMENT
from ccas.vault.scopes import SCOPES
from plone import api
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile


SCOPE_TEXTS = {
    "consult": _("See your shared papers. Not download them."),
    "extract": _("Download and print your shared papers."),
    "deposit": _("Add papers to your shared space."),
    "share": _("Share your shared papers for you."),
    "account": _("Help you with your account. For example, if you forget your password."),
}

GROUPS = (
    ("to_sign", _("To sign")),
    ("waiting", _("Waiting for the agent")),
    ("active", _("In force")),
    ("ended", _("Ended")),
)

STATE_BADGES = {
    "to_sign": (_("To sign"), "state-to-sign", "people"),
    "waiting_relative": (_("Waiting for your relative's signature"), "state-waiting", "history"),
    "waiting": (_("Waiting for the agent's signature"), "state-waiting", "history"),
    "draft": (_("Being prepared"), "state-waiting", "history"),
    "active": (_("In force"), "state-active", "ok"),
    "not_started": (_("Starts later"), "state-waiting", "history"),
    "expired": (_("Ended: its end date has passed"), "state-ended", "history"),
    "revoked": (_("Stopped"), "state-stopped", "close"),
}


def _fullname(user_id):
    user = api.user.get(userid=user_id)
    if user is None:
        return user_id
    return user.getProperty("fullname", "") or user_id


def _organisation_title(organisation_id):
    if not organisation_id:
        return ""
    from ccas.vault.organisations import get_organisation

    organisation = get_organisation(organisation_id)
    return organisation.title if organisation is not None else organisation_id


def group_of(mandate):
    """``to_sign``, ``waiting``, ``active`` or ``ended`` for the person."""
    state = api.content.get_state(mandate)
    if state == "awaiting_signatures":
        return "waiting" if mandate.person_signature else "to_sign"
    if state == "draft":
        return "waiting"
    if state == "active":
        # past its end, it gives nothing any more, even before the clock expires it
        return "ended" if mandate.end is not None and mandate.end < _today() else "active"
    return "ended"


class AccessPage(OwnerPage):
    """``coffre-acces`` and its sub-pages ``signer`` and ``retirer``."""

    section = "acces"
    template = ViewPageTemplateFile("templates/acces.pt")
    sign_template = ViewPageTemplateFile("templates/acces_signer.pt")
    revoke_template = ViewPageTemplateFile("templates/acces_retirer.pt")
    new_template = ViewPageTemplateFile("templates/acces_nouveau.pt")
    subpaths = ("signer", "retirer", "nouveau")
    agent = None
    mandate = None

    # --- reading ------------------------------------------------------------------------

    def describe(self, mandate):
        """What the person is told about ``mandate``: plain data for the templates."""
        state = api.content.get_state(mandate)
        group = group_of(mandate)
        if group == "waiting" and mandate_api.is_personal(mandate) and not mandate.agents:
            badge = STATE_BADGES["waiting_relative"]
        elif group in ("to_sign", "waiting"):
            badge = STATE_BADGES["draft" if state == "draft" else group]
        elif group == "active":
            badge = STATE_BADGES["active" if mandate_api.in_force(mandate) else "not_started"]
        else:
            badge = STATE_BADGES["revoked" if state == "revoked" else "expired"]
        personal = mandate_api.is_personal(mandate)
        if personal:
            # a relative (decision 0049): their name and the person's words for them
            agents = [
                {
                    "name": _fullname(agent) if agent else mandate.mandatary_name,
                    "organisation": mandate.relation,
                    "signed": bool(agent),
                }
                for agent in (mandate.agents or [""])
            ]
        else:
            agents = [
                {
                    "name": _fullname(agent),
                    "organisation": _organisation_title(
                        (mandate.organisations or {}).get(agent, "")
                    ),
                    "signed": agent in (mandate.agent_signatures or {}),
                }
                for agent in mandate.agents
            ]
        chosen = set(mandate.scopes or ())
        purpose = mandate.purpose or DEFAULT_PURPOSE
        return {
            "id": mandate.getId(),
            "group": group,
            "state": state,
            "badge": badge[0],
            "badge_css": badge[1],
            "badge_icon": badge[2],
            "agents": agents,
            "names": ", ".join(agent["name"] for agent in agents),
            "scopes": [
                {"scope": scope, "text": SCOPE_TEXTS[scope], "allowed": scope in chosen}
                for scope in (mandate_api.PERSONAL_SCOPES if personal else SCOPES)
            ],
            "personal": personal,
            "invitation_url": self.url("proche/lien", mandate=mandate.getId())
            if personal and mandate.invitation and group != "ended"
            else "",
            "purpose": _("Help you get your rights.") if purpose == DEFAULT_PURPOSE else purpose,
            "duties": self._duties(mandate, personal),
            "start": self.day(mandate.start),
            "end": self.day(mandate.end) if mandate.end else None,
            "person_signed": bool(mandate.person_signature),
            "person_signed_when": self.moment((mandate.person_signature or {}).get("when")),
            "may_stop": group != "ended",
            "sign_url": self.url("acces/signer", mandate=mandate.getId()),
            "stop_url": self.url("acces/retirer", mandate=mandate.getId()),
        }

    @staticmethod
    def _duties(mandate, personal):
        if personal:
            return _("The person only does what this mandate allows.")
        if mandate.duties_statement == DUTIES_STATEMENT:
            return _("The agents act for their work. They only do what this mandate allows.")
        return mandate.duties_statement

    def groups(self):
        mandates = sorted(
            mandate_api.mandates_of(self.vault),
            key=lambda m: (m.start or _today(), m.getId()),
            reverse=True,
        )
        described = [self.describe(mandate) for mandate in mandates]
        return [
            {
                "id": group_id,
                "title": title,
                "mandates": [m for m in described if m["group"] == group_id],
            }
            for group_id, title in GROUPS
            if any(m["group"] == group_id for m in described)
        ]

    def done(self):
        return {
            "signe": _("You signed the mandate."),
            "signe-actif": _("You signed the mandate. It is in force now."),
            "arrete": _("The mandate is stopped. The agents cannot see your papers any more."),
            "propose": _(
                "You signed the mandate. The agent signs it in turn: then it is in force."
            ),
            "connecteur-retire": _("Your agreement is withdrawn. Nothing more is fetched."),
        }.get(self.request.form.get("fait"))

    def connector_consents(self):
        """The person's agreements to connectors in force (decision 0051), to withdraw here."""
        return [
            dict(item, given=self.moment(item["given_at"]))
            for item in connector_api.active_consents(self.vault)
        ]

    def _mandate(self):
        mandate_id = str(self.request.form.get("mandate") or "")
        found = self.vault.get(mandate_id) if mandate_id else None
        if found is None or found not in mandate_api.mandates_of(self.vault):
            return None
        return found

    # --- acting -------------------------------------------------------------------------

    def update(self):
        if not self.subpath:
            return None
        if self.subpath == ["nouveau"]:
            return self._new()
        self.mandate = self._mandate()
        if self.mandate is None:
            return self.redirect("acces")
        if self.subpath == ["signer"]:
            return self._sign()
        return self._revoke()

    def _sign(self):
        if group_of(self.mandate) != "to_sign":
            return self.redirect("acces")
        if self.request.method == "POST":
            self.check_post()
            if not self.request.form.get("agree"):
                self.add_error("agree", _("Tick the box to say you agree. Then sign."))
                return self.render_other(self.sign_template)
            try:
                mandate_api.sign_as_person(self.mandate, scopes=self._ticked())
            except VaultError as refusal:
                self.add_error("form", refusal.message_fr)
                return self.render_other(self.sign_template)
            active = api.content.get_state(self.mandate) == "active"
            return self.redirect("acces", fait="signe-actif" if active else "signe")
        return self.render_other(self.sign_template)

    def _ticked(self):
        """The scopes the person ticked (partial acceptance, decision 0045); ``None``
        when the form had no checklist (every proposed scope)."""
        if not self.request.form.get("scopes_shown"):
            return None
        ticked = self.request.form.get("scopes") or []
        return [ticked] if isinstance(ticked, str) else list(ticked)

    # --- the person names an agent (decision 0045) -----------------------------------------

    def new_scopes(self):
        from ccas.vault.policies.mandates import mandate_rules

        ticked = self._ticked() or []
        return [
            {"scope": scope, "text": SCOPE_TEXTS[scope], "checked": scope in ticked}
            for scope in mandate_rules()["scopes"]
            if scope in SCOPE_TEXTS
        ]

    def typed_email(self):
        value = self.request.form.get("email")
        return value.strip() if isinstance(value, str) else ""

    def _find_agent(self, email):
        """The agent whose e-mail address is ``email`` (case aside), else ``None``."""
        from ccas.vault import roles

        if "@" not in email:
            return None
        acl_users = api.portal.get_tool("acl_users")
        for found in acl_users.searchUsers(email=email, exact_match=True):
            user = api.user.get(userid=found.get("userid") or found.get("id"))
            if (
                user is not None
                and (user.getProperty("email") or "").lower() == email.lower()
                and roles.VAULT_AGENT in api.user.get_roles(user=user)
            ):
                return user
        return None

    def agent_info(self):
        if self.agent is None:
            return None
        from ccas.vault.api.mandates import _organisation_of

        return {
            "name": self.agent.getProperty("fullname") or self.agent.getUserName(),
            "organisation": _organisation_title(_organisation_of(self.agent.getId())),
        }

    def _new(self):
        email = self.typed_email()
        if email:
            self.agent = self._find_agent(email)
            if self.agent is None:
                self.add_error(
                    "email",
                    _("No agent has this e-mail address. Ask the agent for it again."),
                )
        if self.request.method != "POST" or self.agent is None:
            return self.render_other(self.new_template)
        self.check_post()
        if not self.request.form.get("confirm"):
            return self.render_other(self.new_template)
        scopes = self._ticked() or []
        if not scopes:
            self.add_error("scopes", _("Tick what the agent may do."))
            return self.render_other(self.new_template)
        if not self.request.form.get("agree"):
            self.add_error("agree", _("Tick the box to say you agree. Then sign."))
            return self.render_other(self.new_template)
        try:
            mandate = mandate_api.create_mandate(
                self.vault, agents=[self.agent.getId()], scopes=scopes
            )
            mandate_api.submit(mandate)
            mandate_api.sign_as_person(mandate)
        except VaultError as refusal:
            self.add_error("form", refusal.message_fr)
            return self.render_other(self.new_template)
        return self.redirect("acces", fait="propose")

    def _revoke(self):
        if api.content.get_state(self.mandate) not in ("draft", "awaiting_signatures", "active"):
            return self.redirect("acces")
        if self.request.method == "POST":
            self.check_post()
            try:
                mandate_api.revoke(self.mandate)
            except VaultError as refusal:
                self.add_error("form", refusal.message_fr)
                return self.render_other(self.revoke_template)
            return self.redirect("acces", fait="arrete")
        return self.render_other(self.revoke_template)

    def current(self):
        return self.describe(self.mandate)


def _today():
    from ccas.vault import clock

    return clock.paris_now().date()
