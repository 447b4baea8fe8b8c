"""``@@ouvrir-un-coffre``: an agent opens a vault with the person, in 7 steps (decision 0018).

1 search (no duplicate), 2 identity and contact, 3 login and password (the
person types it; :func:`vaults.open_vault` creates the vault), 4 information
notice and consent, 5 first mandate (optional), 6 first paper (optional),
7 summary and welcome sheet.

Plain POST forms with plone.protect's authenticator; no JavaScript.  Until
step 3 the typed data travels in hidden fields (never a password); from then
on the wizard's state is the vault itself: its id is in the URL, and every
request checks ``Open vault`` and that the current agent is the one who opened
it.  The person proves they are there by re-typing their password; what the
person does (consent, mandate) is done as the person
(``plone.api.env.adopt_user``), what the agent does as the agent.
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.account.recovery import question_text
from ccas.vault.account.recovery import QUESTION_TEXTS
from ccas.vault.api import documents
from ccas.vault.api import mandates
from ccas.vault.api import vaults
from ccas.vault.api.errors import DuplicateVault
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.access import NO_STORE
from ccas.vault.browser.accompaniments import SCOPE_LABELS
from ccas.vault.browser.opening import fields
from ccas.vault.content.mandate import DEFAULT_PURPOSE
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault import IVault
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.document_types import list_document_types
from ccas.vault.history import api as history
from ccas.vault.letters import matching as ged_matching
from ccas.vault.letters import parking
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from ccas.vault.settings import get_setting
from datetime import date
from plone import api
from plone.namedfile.file import NamedBlobFile
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlencode
from zope.i18n import translate
from zope.i18nmessageid import Message
import transaction


STEPS = 7
NUMBERS = {
    "search": 1,
    "identity": 2,
    "account": 3,
    "consent": 4,
    "mandate": 5,
    "mandate-paper": 5,
    "deposit": 6,
    "done": 7,
}
TITLES = {
    "search": _("Search: does the person already have a safe?"),
    "identity": _("Identity and contact"),
    "account": _("Login and password"),
    "consent": _("Information notice and consent"),
    "mandate": _("First mandate"),
    "mandate-paper": _("First mandate: the signed form"),
    "deposit": _("First paper"),
    "done": _("The safe is open"),
}
SCAN_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/webp")
NOT_A_SCAN = _("The signed form must be a PDF or a photo (JPEG or PNG).")
NOTICE = (
    _(
        "Only you can open your safe and read your papers. Nobody else: not the ${ccas}, "
        "not the site's administrators."
    ),
    _(
        "An agent may help you only if you sign a mandate. You choose what the agent may do, "
        "and for how long. You may end a mandate at any time."
    ),
    _("You may close your safe at any time. You take your papers first; then they are deleted."),
    _(
        "The safe is not made for health papers (prescriptions, medical reports): it is not a "
        "certified host of health data."
    ),
    _("Everything done in your safe is written in its history (who, what, when). You can read it."),
    _(
        "Your password is yours: the ${ccas} never asks for it. If you lose it, the ${ccas} "
        "helps you choose a new one."
    ),
)
WRONG_PASSWORD = _("This is not the person's password. The person types it again.")


class OpeningWizard(BrowserView):
    """One view, one step per request; see the module's docstring."""

    frame = ViewPageTemplateFile("templates/wizard.pt")
    bodies = {
        name: ViewPageTemplateFile(f"templates/{name}.pt")
        for name in ("search", "identity", "account", "consent", "mandate", "deposit", "done")
    }
    bodies["mandate-paper"] = ViewPageTemplateFile("templates/mandate_paper.pt")

    vault = None
    step = "search"
    matches = ()

    def __call__(self):
        self.request.response.setHeader("Cache-Control", NO_STORE)
        self.errors = {}
        self.notice = ""
        self.directory = vaults.vault_directory()
        check_permission(permissions.OPEN_VAULT, self.directory)
        form = self.request.form
        post = self.request.get("REQUEST_METHOD") == "POST"
        if post:
            CheckAuthenticator(self.request)
        if form.get("vault"):
            self.vault = self._opened_vault(form["vault"])
            return self._vault_step(form.get("step") or "", post)
        if not post:
            return self.show("search")
        handler = {"identity": self._post_identity, "account": self._post_account}
        return handler.get(form.get("step"), self._post_search)()

    # --- rendering ------------------------------------------------------------------

    def show(self, step):
        self.step = step
        if self.errors:
            self.request.response.setStatus(400)
        return self.frame()

    def body(self):
        return self.bodies[self.step](self)

    def translate(self, msgid):
        """Translated (``Message``) or as is (the API's French sentences)."""
        if isinstance(msgid, Message):
            return translate(msgid, context=self.request)
        return msgid

    def number(self):
        return NUMBERS[self.step]

    def progress(self):
        return self.translate(
            _("Step ${number} of ${total}", mapping={"number": self.number(), "total": STEPS})
        )

    def title(self):
        return self.translate(TITLES[self.step])

    def error(self, name):
        return self.translate(self.errors[name]) if name in self.errors else ""

    def described(self, name, hint=""):
        """``aria-describedby`` of a field: its hint and its error, when there are any."""
        ids = [i for i in (hint, f"error-{name}" if name in self.errors else "") if i]
        return " ".join(ids) or None

    def autofocus(self, name):
        """The first field to correct gets the focus (no JavaScript needed)."""
        return "autofocus" if self.errors and next(iter(self.errors)) == name else None

    def invalid(self, name):
        return "true" if name in self.errors else None

    def value(self, name, default=""):
        """What was typed in ``name`` (kept on errors; never a password)."""
        if name.startswith("password") or name.startswith("answer"):
            return ""
        value = self.request.form.get(name, default)
        return value if isinstance(value, str) else default

    def carried(self, names=fields.IDENTITY + fields.CONTACT):
        """Hidden fields for the data typed in the previous steps (no secret among them)."""
        return [{"name": n, "value": self.value(n)} for n in names if n in self.request.form]

    def portal_url(self):
        return api.portal.get().absolute_url()

    def url(self, **query):
        base = f"{self.portal_url()}/@@ouvrir-un-coffre"
        return f"{base}?{urlencode(query)}" if query else base

    def redirect(self, step):
        self.request.response.redirect(self.url(vault=self.vault.getId(), step=step), status=303)
        return ""

    # --- step 1: search ------------------------------------------------------------------

    def _post_search(self):
        form = self.request.form
        self.errors = fields.check_search(form)
        if self.errors:
            return self.show("search")
        self.matches = self._matches()
        if not self.matches:
            self.notice = _("No safe was found for this person. You may open one.")
            return self.show("identity")
        if form.get("continue"):
            if form.get("allow_duplicate"):
                return self.show("identity")
            self.errors["allow_duplicate"] = _(
                "A safe may already exist for this person. Tick the box only if it is "
                "another person."
            )
        return self.show("search")

    def _matches(self):
        """Vaults with the same last name and either the same date of birth or first name."""
        form = self.request.form
        last, first = fields.text(form, "last_name"), fields.text(form, "first_name")
        found = {}
        for item in vaults.find_vaults(last, "", fields.birth_date(form)) + vaults.find_vaults(
            last, first
        ):
            found[item["id"]] = item
        return [
            dict(
                item,
                birth=date.fromisoformat(item["birth_date"]).strftime("%d/%m/%Y"),
                continue_url=self._continue_url(item["id"]),
                proposal_url=self._proposal_url(item),
            )
            for item in sorted(found.values(), key=lambda i: (i["last_name"], i["first_name"]))
        ]

    def _proposal_url(self, item):
        """Propose a mandate to the person of an open vault, their identity given (0045)."""
        vault = self.directory.get(item["id"])
        if vault is None or api.content.get_state(vault) != "open":
            return ""
        query = urlencode(
            {
                "last_name": item["last_name"],
                "first_name": item["first_name"],
                "birth_date": item["birth_date"],
            }
        )
        return f"{self.portal_url()}/@@proposer-un-mandat?{query}"

    def _continue_url(self, vault_id):
        """The link to go on with an opening this agent started and the person did not consent."""
        vault = self.directory.get(vault_id)
        notice = getattr(vault, "information_notice", None) or {}
        if notice.get("delivered_by") != api.user.get_current().getId():
            return ""
        if api.content.get_state(vault) != "awaiting_consent":
            return ""
        return self.url(vault=vault_id, step="consent")

    # --- step 2: identity and contact --------------------------------------------------

    def _post_identity(self):
        form = self.request.form
        self.errors = fields.check_search(form)
        if form.get("back") or self.errors:
            return self.show("search")
        self.errors = fields.check_contact(form) or self._check_ged(form)
        if self.errors:
            return self.show("identity")
        self.notice = self._letters_notice(fields.ged_person_ids(form))
        return self.show("account")

    # --- the GED person ids (decision 0046): the CCAS's own agents only ------------------

    def may_type_ged(self):
        """The GED id is the CCAS's: its agents type it, not partners' (decision 0037)."""
        if not hasattr(self, "_may_type_ged"):
            self._may_type_ged = parking.may_manage_parked()
        return self._may_type_ged

    def _check_ged(self, form):
        if not fields.ged_person_ids(form):
            return {}
        if not self.may_type_ged():
            return {"ged_person_ids": _("Only the CCAS's agents type a GED id.")}
        return fields.check_ged_person_ids(form, ged_matching.ged_id_taken)

    def letters_waiting(self, ged_ids=None):
        """How many GED letters are parked under the person's GED ids."""
        if not self.may_type_ged():
            return 0
        if ged_ids is None:
            ged_ids = (self.vault.ged_person_ids or ()) if self.vault is not None else ()
        return sum(ged_matching.waiting_for(ged_id) for ged_id in ged_ids)

    def _letters_notice(self, ged_ids):
        count = self.letters_waiting(ged_ids)
        if not count:
            return ""
        if count == 1:
            return _(
                "1 letter of the CCAS's GED waits for this person. It will be delivered in the "
                "safe once the person gives their consent and accepts the CCAS's letters."
            )
        return _(
            "Letters of the CCAS's GED waiting for this person: ${count}. They will be "
            "delivered in the safe once the person gives their consent and accepts the CCAS's "
            "letters.",
            mapping={"count": count},
        )

    def channels(self):
        return [
            ("none", _("No message")),
            ("email", _("By e-mail")),
            ("sms", _("By SMS")),
        ]

    # --- step 3: login and password -----------------------------------------------------

    def _post_account(self):
        form = self.request.form
        self.errors = fields.check_search(form)
        if self.errors:
            return self.show("search")
        if form.get("back"):
            return self.show("identity")
        self.errors = fields.check_contact(form) or self._check_ged(form)
        if self.errors:
            return self.show("identity")
        self.errors = fields.check_account(form)
        if self.errors:
            return self.show("account")
        text = lambda name: fields.text(form, name) or None  # noqa: E731
        try:
            self.vault = vaults.open_vault(
                first_name=text("first_name"),
                last_name=text("last_name"),
                birth_date=fields.birth_date(form),
                login=text("login"),
                password=form["password"],
                email=text("email"),
                phone=text("phone"),
                contact_channel=form.get("contact_channel") or "none",
                preferred_language=form.get("preferred_language") or "fr",
                allow_duplicate=bool(form.get("allow_duplicate")),
                ged_person_ids=fields.ged_person_ids(form),
                recovery_answers=fields.recovery_answers(form) or None,
            )
        except DuplicateVault as refusal:
            self.errors["last_name"] = refusal.message_fr
            self.matches = self._matches()
            return self.show("search")
        except VaultError as refusal:
            field = {"login_taken": "login", "account_refused": "password"}.get(
                refusal.code, "questions" if "question" in refusal.code else "login"
            )
            self.errors[field] = refusal.message_fr
            return self.show("account")
        return self.redirect("consent")

    def suggested_login(self):
        form = self.request.form
        return self.value("login") or vaults.suggest_login(
            fields.text(form, "first_name"), fields.text(form, "last_name")
        )

    def questions(self):
        return [(qid, question_text(qid, self._language())) for qid in QUESTION_TEXTS]

    def _language(self):
        return "en" if str(self.request.get("LANGUAGE", "fr")).startswith("en") else "fr"

    # --- from step 4 on: the vault is the state --------------------------------------------

    def _opened_vault(self, vault_id):
        """The vault the current agent opened (``Unauthorized`` for anything else)."""
        vault = self.directory.get(vault_id) if isinstance(vault_id, str) else None
        notice = getattr(vault, "information_notice", None) or {}
        agent = api.user.get_current().getId()
        if not IVault.providedBy(vault) or notice.get("delivered_by") != agent:
            raise Unauthorized("Only the agent who opened this vault continues its opening")
        return vault

    def state(self):
        return api.content.get_state(self.vault)

    def _vault_step(self, step, post):
        expected = self._expected_step(step)
        if expected != step:
            return self.redirect(expected)
        if post and self.request.form.get("skip"):
            return self.redirect("deposit" if step.startswith("mandate") else "done")
        if post:
            handler = getattr(self, "_post_" + step.replace("-", "_"), None)
            if handler is not None:
                return handler()
        return self.show(step)

    def _expected_step(self, step):
        """The step the vault's state allows: ``step`` itself when it is allowed."""
        state = self.state()
        if state == "awaiting_consent":
            return "consent"
        if state != "open":
            return "done"
        if step == "mandate" and mandates.mandates_of(self.vault):
            return "mandate-paper" if self.paper_mandate() is not None else "deposit"
        if step == "mandate-paper" and self.paper_mandate() is None:
            return "deposit"
        if step in ("mandate", "mandate-paper", "deposit", "done"):
            return step
        return self._expected_step("mandate")  # the consent is given already

    def _person_password_ok(self, name):
        password = self.request.form.get(name) or ""
        user = self.context.acl_users.authenticate(self.vault.owner_login, password, self.request)
        if not password or user is None:
            self.errors[name] = WRONG_PASSWORD
            return False
        return True

    def _scan(self, name):
        """The inspected upload ``name`` as a ``NamedBlobFile``, or ``None`` (error set)."""
        upload = self.request.form.get(name)
        if not upload or not getattr(upload, "filename", ""):
            self.errors[name] = _("Choose the file of the signed form (scan or photo).")
            return None
        try:
            inspected = inspect_upload(
                upload.read(),
                filename=upload.filename,
                max_size=get_setting("max_upload_size_mb") * 1024 * 1024,
            )
        except DepositRefused as refusal:
            self.errors[name] = refusal.message_fr
            details = {"operation": "signed_form", "code": refusal.code}
            history.record(self.vault, "refused", details={**details, "filename": upload.filename})
            return None
        if inspected.content_type not in SCAN_TYPES:
            self.errors[name] = NOT_A_SCAN
            return None
        return NamedBlobFile(
            inspected.data, contentType=inspected.content_type, filename=inspected.filename
        )

    # --- step 4: notice and consent --------------------------------------------------------

    def _post_consent(self):
        form = self.request.form
        method = form.get("method")
        letters = bool(form.get("receive_ccas_letters"))
        if method == "electronic":
            if not self._person_password_ok("consent_password"):
                return self.show("consent")
            with api.env.adopt_user(username=self.vault.owner_login):
                vaults.record_consent(self.vault, method="electronic", receive_ccas_letters=letters)
        elif method == "paper":
            scan = self._scan("consent_form")
            if scan is None:
                return self.show("consent")
            vaults.record_consent(
                self.vault, method="paper", receive_ccas_letters=letters, form=scan
            )
        else:
            self.errors["method"] = _("Choose how the person gives their consent.")
            return self.show("consent")
        return self.redirect("mandate")

    # --- step 5: first mandate -------------------------------------------------------------

    def rules(self):
        from ccas.vault.policies.mandates import mandate_rules

        return mandate_rules()

    def scopes(self):
        chosen = fields.strings(self.request.form, "scopes") or ["consult"]
        return [
            {"id": s, "label": self.translate(SCOPE_LABELS[s]), "checked": s in chosen}
            for s in self.rules()["scopes"]
        ]

    def agents(self):
        me = api.user.get_current().getId()
        chosen = fields.strings(self.request.form, "agents") or [me]
        found = []
        for user in api.user.get_users():
            if roles.VAULT_AGENT in api.user.get_roles(user=user):
                name = user.getProperty("fullname") or user.getUserName()
                found.append({"id": user.getId(), "name": name, "checked": user.getId() in chosen})
        return sorted(found, key=lambda a: (a["id"] != me, a["name"].lower()))

    def purpose(self):
        return self.value("purpose") or DEFAULT_PURPOSE

    def default_end(self):
        return (
            self.value("end")
            or mandates._add_months(
                clock.paris_now().date(), self.rules()["default_months"]
            ).isoformat()
        )

    def _post_mandate(self):
        form = self.request.form
        agents, scopes = fields.strings(form, "agents"), fields.strings(form, "scopes")
        if not agents:
            self.errors["agents"] = _("Choose at least one agent.")
        if not scopes:
            self.errors["scopes"] = _("Choose what the agents may do.")
        until_revoked = bool(form.get("until_revoked")) and self.rules()["allow_until_revoked"]
        end = None
        if not until_revoked:
            try:
                end = date.fromisoformat(fields.text(form, "end"))
            except ValueError:
                self.errors["end"] = _("Write the end date, e.g. 23/11/2027.")
        method = form.get("method")
        if method not in ("electronic", "paper"):
            self.errors["method"] = _("Choose how the person signs.")
        if self.errors or not self._person_password_ok("mandate_password"):
            return self.show("mandate")
        me = api.user.get_current().getId()
        savepoint = transaction.savepoint()
        try:
            with api.env.adopt_user(username=self.vault.owner_login):
                mandate = mandates.create_mandate(
                    self.vault,
                    agents=agents,
                    scopes=scopes,
                    purpose=fields.text(form, "purpose") or None,
                    end=end,
                    until_revoked=until_revoked,
                )
                mandates.submit(mandate)
                if method == "electronic":
                    mandates.sign_as_person(mandate)
            if me in agents:
                mandates.sign_as_agent(mandate)
        except VaultError as refusal:
            savepoint.rollback()
            field = {"no_agent": "agents", "not_an_agent": "agents"}.get(refusal.code, "end")
            if refusal.code in ("bad_scopes", "scope_not_offered"):
                field = "scopes"
            self.errors[field] = refusal.message_fr
            return self.show("mandate")
        return self.redirect("mandate-paper" if method == "paper" else "deposit")

    def paper_mandate(self):
        """The wizard's mandate waiting for the person's paper form, which this agent attaches."""
        me = api.user.get_current().getId()
        for mandate in mandates.mandates_of(self.vault):
            if (
                api.content.get_state(mandate) == "awaiting_signatures"
                and not mandate.person_signature
                and me in mandate.agents
            ):
                return mandate
        return None

    def _post_mandate_paper(self):
        mandate = self.paper_mandate()
        scan = self._scan("mandate_form")
        if scan is None:
            return self.show("mandate-paper")
        try:
            mandates.sign_as_person(mandate, method="paper", form=scan)
        except VaultError as refusal:
            self.errors["mandate_form"] = refusal.message_fr
            return self.show("mandate-paper")
        return self.redirect("deposit")

    # --- step 6: first paper ---------------------------------------------------------------

    def shared_space(self):
        return self.vault[SHARED_SPACE_ID]

    def may_deposit(self):
        return api.user.has_permission(permissions.DEPOSIT, obj=self.shared_space())

    def document_types(self):
        chosen = self.value("document_type", "cni")
        return [
            {"id": t.id, "label": t.label(self._language()), "selected": t.id == chosen}
            for t in list_document_types()
            if not t.health
        ]

    def _post_deposit(self):
        form = self.request.form
        upload = form.get("file")
        if not self.may_deposit():
            return self.redirect("done")
        if not upload or not getattr(upload, "filename", ""):
            self.errors["file"] = _("Choose the file, or take a photo of the paper.")
            return self.show("deposit")
        try:
            documents.deposit(
                self.shared_space(),
                data=upload.read(),
                filename=upload.filename,
                document_type=form.get("document_type", ""),
                title=fields.text(form, "title") or None,
            )
        except (DepositRefused, VaultError) as refusal:
            self.errors["file"] = refusal.message_fr
            return self.show("deposit")
        return self.redirect("done")

    # --- step 7: summary -------------------------------------------------------------------

    def summary(self):
        vault = self.vault
        consent = vault.consents[-1] if vault.consents else {}
        found = []
        for mandate in mandates.mandates_of(vault):
            found.append(
                {
                    "state": api.content.get_state(mandate),
                    "scopes": [self.translate(SCOPE_LABELS[s]) for s in sorted(mandate.scopes)],
                    "end": mandate.end.strftime("%d/%m/%Y") if mandate.end else "",
                }
            )
        papers = [
            doc.Title()
            for doc in self.shared_space().objectValues()
            if IVaultDocument.providedBy(doc)
        ]
        return {
            "name": vault.display_name,
            "birth": vault.birth_date.strftime("%d/%m/%Y"),
            "login": vault.owner_login,
            "state": self.state(),
            "consent": consent.get("method", ""),
            "letters": bool(vault.receive_ccas_letters),
            "mandates": found,
            "papers": papers,
            "ged_person_ids": ", ".join(vault.ged_person_ids or ()),
            "letters_delivered": self._letters_delivered(),
            "letters_waiting": self.letters_waiting(),
        }

    def _letters_delivered(self):
        """How many GED letters are in "Courrier du CCAS" (the CCAS's agents only)."""
        folder = self.shared_space().get(CCAS_MAIL_FOLDER_ID)
        if folder is None or not self.may_type_ged():
            return 0
        with as_system():
            return len(folder.objectIds())

    def welcome_sheet_url(self):
        return f"{self.vault.absolute_url()}/@@feuille-accueil"

    def agent_home_url(self):
        return f"{api.portal.get().absolute_url()}/@@accueil-agent"

    def notice_elements(self):
        """The information notice (CNIL): what the person must know before agreeing."""
        name = (get_setting("ccas_name") or "").strip() or "CCAS"
        return [self.translate(_(msgid, mapping={"ccas": name})) for msgid in NOTICE]
