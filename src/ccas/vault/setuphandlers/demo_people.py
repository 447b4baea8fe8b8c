"""The people of the CCAS de Démoville: vaults, papers, mandates, shares, letters, appointments.

Everything goes through the real APIs (opening, consent, deposit, GED delivery,
mandates, share links, closing, password reset, appointments), acting as the
person or the agent concerned.  The APIs stamp "now"; to spread the data over
the last six months, each event is placed at ``(months ago, day)`` and, once a
person is built, the demo (and only the demo) rewrites the dates of that
vault's history — re-chaining it with the history's own ``append``, so that it
verifies — and the matching dates on the objects (opening, consents, papers,
mandate signatures, share links).  Events ``0`` months ago keep their real
time.  The password-reset counters and appointments are always "now".
See docs/decisions/0021-indicators-and-demo-data.md.
"""

from Acquisition import aq_base
from ccas.vault import clock
from ccas.vault.accounts import get_account
from ccas.vault.content.spaces import PRIVATE_SPACE_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.history.storage import ANNOTATION_KEY
from ccas.vault.history.storage import get_history
from ccas.vault.history.storage import History
from ccas.vault.security import as_system
from dataclasses import dataclass
from DateTime import DateTime
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from io import BytesIO
from plone import api
from zope.annotation.interfaces import IAnnotations
import base64
import logging
import secrets


logger = logging.getLogger("ccas.vault.demo")

MARKER = "_ccas_demo_people"  # on the vault directory: the people were built once
PARKED_REFERENCE = "GED-DEMO-PARK-0001"
CCAS_ANSWERS = {"birth_town": "Démoville", "first_pet": "Caramel"}


@dataclass(frozen=True)
class Person:
    """One person of the demo and what happens in their vault.

    Moments are ``(months ago, day of that month)``; ``0`` months ago is now.
    ``papers``: ``(type, depositor login or "person", moment)``.  ``mandate``:
    ``(agents, scopes, signed moment, revoked moment or None)``.
    """

    login: str
    first: str
    last: str
    born: date
    opened_by: str
    opened: tuple
    consent: str | None = "electronic"  # or "paper" (the opening agent attaches the form)
    email: str | None = None
    ged_id: str = ""
    logins: tuple = ()
    papers: tuple = ()
    mandate: tuple | None = None
    letters: tuple = ()  # (GED reference, type, title, moment)
    shares: tuple = ()  # (paper index, moment): the person shares one paper for 7 days
    closure: tuple | None = None
    closed: bool = False  # the clock deletes it 7 days after the closure request
    reset: str = ""  # "questions" or "code_print", now
    appointment: tuple | None = None  # (days ahead, hour, place, purpose, with whom, by)


DOMICILIATION = "Votre attestation de domiciliation au CCAS"
WORK = ("consult", "deposit", "share", "account")

# The data set the indicators' tests count by hand (tests/test_indicators.py).
PEOPLE = (
    Person(
        "alice.martin",
        "Alice",
        "Martin",
        date(1985, 3, 12),
        "accueil",
        (5, 3),
        email="alice.martin@example.org",
        ged_id="GED-1001",
        logins=((5, 3), (4, 2), (3, 6), (1, 9), (0, 0)),
        papers=(
            ("cni", "person", (5, 3)),
            ("justificatif-domicile", "person", (4, 2)),
            ("avis-imposition", "person", (3, 6)),
            ("attestation-caf", "travailleur", (3, 12)),
        ),
        mandate=(("travailleur",), WORK, (4, 10), None),
        letters=(("GED-DEMO-0001", "attestation-domiciliation", DOMICILIATION, (2, 8)),),
        shares=((0, (0, 0)),),
        reset="questions",
        appointment=(
            7,
            10,
            "CCAS de Démoville, bureau 2",
            "Dossier de RSA",
            "Samir Haddad",
            "travailleur",
        ),
    ),
    Person(
        "bruno.diallo",
        "Bruno",
        "Diallo",
        date(1979, 11, 2),
        "accueil",
        (4, 7),
        consent="paper",
        ged_id="GED-1002",
        logins=((3, 2), (0, 0)),
        papers=(
            ("titre-sejour", "person", (3, 2)),
            ("rib", "travailleur", (3, 16)),
            ("bulletin-salaire", "travailleur", (1, 4)),
        ),
        mandate=(("travailleur",), ("consult", "deposit", "account"), (3, 15), None),
        letters=(("GED-DEMO-0002", "attestation-domiciliation", DOMICILIATION, (1, 10)),),
        reset="code_print",
        appointment=(
            3,
            14,
            "CCAS de Démoville, accueil",
            "Aide au logement",
            "Samir Haddad",
            "travailleur",
        ),
    ),
    Person(
        "mbenali",
        "Mohamed",
        "Benali",
        date(1962, 7, 21),
        "travailleur",
        (5, 10),
        logins=((5, 10), (2, 3)),
        papers=(("carte-vitale", "person", (5, 10)), ("cni", "person", (5, 11))),
        shares=((1, (4, 5)),),
    ),
    Person(
        "ngarcia",
        "Nathalie",
        "Garcia",
        date(1990, 1, 30),
        "accueil",
        (3, 4),
        logins=((3, 4), (2, 5), (1, 7), (0, 0)),
        papers=(
            ("livret-famille", "person", (3, 4)),
            ("avis-imposition", "person", (2, 5)),
            ("justificatif-domicile", "person", (1, 7)),
        ),
        mandate=(("travailleur",), ("consult",), (2, 5), (1, 20)),
    ),
    Person(
        "jlefebvre",
        "Jacques",
        "Lefebvre",
        date(1948, 5, 9),
        "travailleur",
        (2, 12),
        consent="paper",
        papers=(
            ("attestation-droits-sante", "travailleur", (2, 13)),
            ("cni", "travailleur", (1, 3)),
        ),
        mandate=(("travailleur",), ("consult", "deposit"), (2, 12), None),
    ),
    Person(
        "sroux",
        "Sophie",
        "Roux",
        date(1995, 9, 14),
        "accueil",
        (1, 6),
        logins=((1, 6), (0, 0)),
        papers=(("attestation-france-travail", "person", (1, 6)), ("diplome", "person", (0, 0))),
        shares=((0, (0, 0)),),
    ),
    Person("pnguyen", "Paul", "Nguyen", date(1983, 12, 1), "accueil", (0, 0), consent=None),
    Person(
        "lfontaine",
        "Lucie",
        "Fontaine",
        date(1972, 4, 18),
        "travailleur",
        (4, 20),
        logins=((4, 20), (3, 9)),
        papers=(("rib", "person", (4, 20)),),
        closure=(0, 0),
    ),
    Person(
        "kdubois",
        "Karim",
        "Dubois",
        date(1988, 6, 25),
        "partenaire-caf",
        (3, 8),
        logins=((3, 8), (1, 2)),
        papers=(
            ("attestation-caf", "person", (3, 8)),
            ("bulletin-salaire", "person", (2, 4)),
            ("attestation-caf", "partenaire-caf", (2, 9)),
        ),
        mandate=(("partenaire-caf",), ("consult", "deposit"), (3, 8), None),
    ),
    Person(
        "emoreau",
        "Emma",
        "Moreau",
        date(2000, 2, 11),
        "partenaire-caf",
        (2, 3),
        consent="paper",
        logins=((1, 5),),
        papers=(("cni", "person", (1, 5)),),
    ),
    Person(
        "hsimon",
        "Hugo",
        "Simon",
        date(1975, 10, 5),
        "partenaire-caf",
        (1, 14),
        logins=((1, 14), (0, 0)),
        papers=(("photo", "person", (0, 0)),),
        shares=((0, (0, 0)),),
    ),
    Person(
        "aleroy",
        "Anne",
        "Leroy",
        date(1968, 3, 3),
        "partenaire-caf",
        (0, 0),
        logins=((0, 0),),
    ),
    Person(
        "rblanc",
        "Rose",
        "Blanc",
        date(1958, 8, 8),
        "accueil",
        (5, 5),
        logins=((5, 5),),
        papers=(("cni", "person", (5, 5)),),
        closure=(3, 5),
        closed=True,
    ),
)

#: The accounts of ``demo.ACCOUNTS`` that come with a vault.
WITH_VAULT = {person.login for person in PEOPLE} & {"alice.martin", "bruno.diallo"}


def needs_vault(login):
    """True when neither the person's account nor their vault exists yet."""
    from ccas.vault.api.vaults import vault_of

    return vault_of(login) is None and get_account(login) is None


# --- files ------------------------------------------------------------------------------


def pdf_bytes(title):
    """A real one-page PDF (reportlab, deterministic)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, "CCAS de Démoville")
    page.setFont("Helvetica", 12)
    page.drawString(72, 740, title)
    page.drawString(72, 720, "Document de démonstration, sans valeur.")
    page.showPage()
    page.save()
    return out.getvalue()


def png_bytes(text):
    """A real small PNG (Pillow)."""
    from PIL import Image
    from PIL import ImageDraw

    image = Image.new("RGB", (360, 240), (232, 240, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 349, 229), outline=(30, 60, 120), width=3)
    draw.text((30, 110), text, fill=(30, 60, 120))
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _paper(document_type):
    from ccas.vault.document_types import get_document_type

    label = get_document_type(document_type).label_fr
    if document_type == "photo":
        return png_bytes(label), f"{document_type}.png"
    return pdf_bytes(label), f"{document_type}.pdf"


# --- time -------------------------------------------------------------------------------


def moment(months_ago, day):
    """The UTC date-time of an event (10:00 Paris), ``None`` for now."""
    if months_ago == 0:
        return None
    today = clock.paris_now()
    index = today.year * 12 + today.month - 1 - months_ago
    start = datetime(index // 12, index % 12 + 1, min(max(day, 1), 28), 10, 0, tzinfo=clock.PARIS)
    return start.astimezone(UTC)


class Timeline:
    """Remembers at which moment each history entry of one vault happened."""

    def __init__(self):
        self.vault = None
        self.whens = {}

    def run(self, when, action):
        before = len(get_history(self.vault) or ()) if self.vault is not None else 0
        result = action()
        if self.vault is None:
            self.vault = result
        if when is not None:
            for offset, seq in enumerate(range(before, len(get_history(self.vault)))):
                self.whens[seq] = (when + timedelta(seconds=offset)).isoformat(
                    timespec="microseconds"
                )
        return result

    def place(self):
        """Rewrite the vault's history and objects with the planned dates."""
        if not self.whens:
            return
        vault = self.vault
        old = get_history(vault)
        new = History(old.genesis)
        for entry in old:
            new.append(
                when=self.whens.get(entry.seq, entry.when),
                actor=entry.actor,
                actor_fullname=entry.actor_fullname,
                organisation=entry.organisation,
                roles=entry.roles,
                on_behalf_of=entry.on_behalf_of,
                action=entry.action,
                target_uid=entry.target_uid,
                target_title=entry.target_title,
                details=dict(entry.details),
            )
        IAnnotations(vault)[ANNOTATION_KEY] = new
        _place_objects(vault, list(new))


def _place_objects(vault, entries):
    """Give the opening, consents, papers, mandates and links the dates of their entries."""
    from ccas.vault.indicators.compute import documents_in

    papers = {doc.UID(): doc for doc in documents_in(vault)}
    mandates = {obj.UID(): obj for obj in vault.objectValues() if obj.portal_type == "Mandate"}
    consents = iter(vault.consents)
    for entry in entries:
        if entry.action == "open":
            vault.creation_date = DateTime(entry.when)
            if vault.information_notice is not None:
                vault.information_notice["delivered_at"] = entry.when
        elif entry.action == "consent":
            next(consents)["when"] = entry.when
        elif entry.action == "deposit" and entry.target_uid in papers:
            paper = papers[entry.target_uid]
            paper.deposited_at = entry.when
            paper.creation_date = DateTime(entry.when)
            paper.setEffectiveDate(DateTime(entry.when))
            paper.reindexObject(idxs=["created", "effective"])
        elif entry.action == "mandate_signed" and entry.target_uid in mandates:
            mandate = mandates[entry.target_uid]
            if entry.details.get("signer") == "person":
                mandate.person_signature["when"] = entry.when
            else:
                mandate.agent_signatures[entry.actor] = entry.when
        elif entry.action == "mandate_revoked" and entry.target_uid in mandates:
            ended = mandates[entry.target_uid].ended
            if ended is not None:
                ended["when"] = entry.when
        elif entry.action == "share" and entry.details.get("link") in vault.objectIds():
            vault[entry.details["link"]].created_at = entry.when
    vault.reindexObject(idxs=["created"])


# --- building one person ----------------------------------------------------------------


def _as(login, action):
    def run():
        with api.env.adopt_user(username=login):
            return action()

    return run


def _set_password(login, password):
    """The demo password, which is shorter than the policy allows."""
    from ccas.vault.account.guard import own_route

    acl_users = api.portal.get().acl_users
    with own_route("demo password"):  # decision 0035: the add-on's own code path
        acl_users.source_users.userSetPassword(get_account(login).getId(), password)


def _open(person):
    from ccas.vault.api import vaults
    from ccas.vault.setuphandlers.demo import ACCOUNTS

    email = person.email
    if person.login in ACCOUNTS:
        email = ACCOUNTS[person.login][1]
    return vaults.open_vault(
        first_name=person.first,
        last_name=person.last,
        birth_date=person.born,
        login=person.login,
        password=secrets.token_urlsafe(18) + "-Aa1",  # replaced by the demo password
        email=email,
        receive_ccas_letters=bool(person.ged_id),
        ged_person_ids=[person.ged_id] if person.ged_id else [],
        recovery_answers=CCAS_ANSWERS if person.reset == "questions" else None,
    )


def _consent(timeline, person):
    from ccas.vault.api import vaults
    from plone.namedfile.file import NamedBlobFile

    if person.consent == "paper":
        form = NamedBlobFile(
            pdf_bytes("Accord signé pour le coffre-fort numérique"),
            contentType="application/pdf",
            filename="accord-signe.pdf",
        )
        return _as(
            person.opened_by,
            lambda: vaults.record_consent(timeline.vault, method="paper", form=form),
        )
    return _as(person.login, lambda: vaults.record_consent(timeline.vault, method="electronic"))


def _login(person):
    from Products.PlonePAS.events import UserLoggedInEvent
    from zope.event import notify

    def run():
        user = api.portal.get().acl_users.getUser(person.login)
        notify(UserLoggedInEvent(user))

    return run


def _deposit(timeline, person, document_type, depositor, when, papers):
    from ccas.vault.api import documents

    def run():
        data, filename = _paper(document_type)
        issued = (when or datetime.now(UTC)).astimezone(clock.PARIS).date()
        vault = timeline.vault
        if depositor == "person":
            space, on_behalf_of = vault[PRIVATE_SPACE_ID], ""
        else:
            space, on_behalf_of = vault[SHARED_SPACE_ID], vault.owner_login
        papers.append(
            documents.deposit(
                space,
                data=data,
                filename=filename,
                document_type=document_type,
                issued=issued,
                on_behalf_of=on_behalf_of,
            )
        )

    return _as(person.login if depositor == "person" else depositor, run)


def _mandate(timeline, person, holder):
    from ccas.vault.api import mandates

    agents, scopes, signed, _revoked = person.mandate
    when = moment(*signed)
    start = (when or datetime.now(UTC)).astimezone(clock.PARIS).date()

    def run():
        with api.env.adopt_user(username=person.login):
            mandate = mandates.create_mandate(
                timeline.vault, agents=agents, scopes=scopes, start=start
            )
            mandates.submit(mandate)
            mandates.sign_as_person(mandate)
        for agent in agents:
            with api.env.adopt_user(username=agent):
                mandates.sign_as_agent(mandate)
        holder.append(mandate)

    return run


def _letter(person, reference, document_type, title, when):
    from ccas.vault.letters.delivery import receive_letter

    def run():
        issued = (when or datetime.now(UTC)).astimezone(clock.PARIS).date()
        result = receive_letter(
            _letter_data(reference, person.ged_id, document_type, title, issued), "ged"
        )
        if result.status_code != 201:
            raise RuntimeError(f"demo letter {reference} not delivered: {result.body}")

    return _as("ged", run)


def _letter_data(reference, ged_id, document_type, title, issued):
    return {
        "ged_reference": reference,
        "person": {"ged_person_id": ged_id},
        "document_type": document_type,
        "title": title,
        "issued": issued.isoformat(),
        "file": {
            "filename": f"{document_type}.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(pdf_bytes(title)).decode("ascii"),
        },
    }


def _share(timeline, person, index, papers):
    from ccas.vault.sharing import links

    return _as(
        person.login,
        lambda: links.create_link(timeline.vault, [papers[index]], "CAF de Démoville", "7d"),
    )


def _events(timeline, person):
    """``(months ago, day, order, when, action)`` of every event after the opening."""
    papers, holder = [], []
    events = []

    def add(at, action):
        events.append((-at[0], at[1], len(events), moment(*at), action))

    if person.consent:
        add(person.opened, _consent(timeline, person))
    for at in person.logins:
        add(at, _login(person))
    if person.mandate:
        add(person.mandate[2], _mandate(timeline, person, holder))
        if person.mandate[3]:
            from ccas.vault.api import mandates

            add(person.mandate[3], _as(person.login, lambda: mandates.revoke(holder[0])))
    for document_type, depositor, at in person.papers:
        add(at, _deposit(timeline, person, document_type, depositor, moment(*at), papers))
    for reference, document_type, title, at in person.letters:
        add(at, _letter(person, reference, document_type, title, moment(*at)))
    for index, at in person.shares:
        add(at, _share(timeline, person, index, papers))
    if person.closure:
        from ccas.vault.api import closing

        add(person.closure, _as(person.login, lambda: closing.request_closure(timeline.vault)))
    return sorted(events, key=lambda event: event[:3])


def _build_person(person, password):
    timeline = Timeline()
    timeline.run(moment(*person.opened), _as(person.opened_by, lambda: _open(person)))
    _set_password(person.login, password)
    for _ago, _day, _order, when, action in _events(timeline, person):
        timeline.run(when, action)
    timeline.place()
    vault = timeline.vault
    if person.closure and moment(*person.closure) is not None:
        requested = moment(*person.closure)
        vault.closure_requested_at = requested
        vault.deletion_due = requested + timedelta(days=7)
    if person.closed:
        from ccas.vault.api import closing

        with as_system():
            closing.close_due_vaults(now=vault.deletion_due + timedelta(hours=1))
        return
    _after_now(person, vault)


def _after_now(person, vault):
    """What happens now: a password reset started, an appointment to come."""
    from ccas.vault.account import recovery

    if person.reset == "questions":
        recovery.check_questions(person.login, CCAS_ANSWERS, address="demo")
    elif person.reset == "code_print":
        helper = person.mandate[0][0]
        _as(helper, lambda: recovery.start_assisted_reset(vault, delivery="print"))()
    if person.appointment:
        from ccas.vault.api.appointments import add_appointment

        days, hour, place, purpose, with_whom, by = person.appointment
        start = (clock.paris_now() + timedelta(days=days)).replace(
            hour=hour, minute=0, second=0, microsecond=0
        )
        _as(
            by,
            lambda: add_appointment(
                vault, start=start, place=place, purpose=purpose, with_whom=with_whom
            ),
        )()


def _park_a_letter():
    """A GED letter for a person who has no vault: the parked letters page shows it."""
    from ccas.vault.letters.delivery import receive_letter

    data = _letter_data(
        PARKED_REFERENCE,
        "GED-9999",
        "attestation-domiciliation",
        DOMICILIATION,
        clock.paris_now().date(),
    )
    _as("ged", lambda: receive_letter(data, "ged"))()


def build(password):
    """Build the people once; return the logins whose accounts were created."""
    from ccas.vault.api.vaults import vault_directory

    directory = vault_directory()
    if getattr(aq_base(directory), MARKER, False):
        return []
    created = []
    for person in PEOPLE:
        if not needs_vault(person.login):
            logger.warning("demo: %s already has an account, no vault opened", person.login)
            continue
        _build_person(person, password)
        if not person.closed:
            created.append(person.login)
    _park_a_letter()
    # The indicators' counters, from the histories as placed in time (decision 0044).
    from ccas.vault.indicators.store import rebuild

    rebuild(directory)
    setattr(directory, MARKER, True)
    return created
