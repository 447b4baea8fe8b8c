"""The indicators' monthly counters, written when things happen (decision 0044).

Every figure of the indicators is a *flow*: something that happened in a month,
for an organisation.  Flows are counted at the time they happen, in an
anonymous store that outlives the vaults: an ``OOBTree`` annotation of the vault
directory, ``(measure, month, organisation) -> BTrees.Length.Length`` (the total
under :data:`ALL` beside each organisation).  ``Length`` resolves concurrent
increments of one counter instead of raising ``ConflictError``; two requests
adding different new keys to one bucket are merged by the BTree.  Deleting a
vault removes nothing from the store: its past logins, papers, consents and
closures stay in the months they happened.

What writes: :func:`on_history_recorded`, a subscriber of the history's
``IHistoryRecorded`` event (every entry the product records on a vault),
:func:`on_mandate_transition` (a mandate coming into force after its last
signature) and :func:`vault_deleted` (called by the clock before deleting a
closed vault).  Each vault keeps a few facts of its own (organisation, month of
consent, papers held, mandates counted) in an annotation, so that an event is
counted once and stocks can be written as flows: a vault entering or leaving
"open vaults", a mandate starting or ending, a vault moving from *k* to *k+1*
papers (``papers_vaults.<k>``, the anonymous distribution behind the mean and
median).  The store holds numbers only: no name, login, vault or paper id.

The live month is the product clock's (:func:`ccas.vault.clock.paris_now`, the
now-file of decision 0032 included); :func:`rebuild` (the 1007 upgrade, the
demo) replays the histories still there with each entry's own date, and the
tombstones of vaults deleted before.
"""

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from zope.annotation.interfaces import IAnnotations
import logging


logger = logging.getLogger("ccas.vault.indicators")

STORE = "ccas.vault.indicators.flows"  # annotation of the vault directory
FACTS = "ccas.vault.indicators.facts"  # annotation of each vault
ALL = ""
UNATTRIBUTED = "sans-organisation"
PERSON, AGENT, GED = "person", "agent", "ged"
TYPE_PREFIX = "documents_type."
BUCKET_PREFIX = "papers_vaults."  # papers_vaults.<k>: vaults holding k papers (deltas)
#: measures kept but never shown as such (they make the stocks)
MANDATES_ENDED = "mandates_ended"
PERSONAL_MANDATES_ENDED = "mandates_personal_ended"
#: a mandate to a relative or trusted person (decision 0049) is counted apart
PERSONAL = "personal"
HELD_ENDED = "vaults_held_ended"
LOGINS_HELD = "logins_of_open_vaults"


class VaultFacts(Persistent):
    """What the counters need to remember about one vault (no personal data)."""

    def __init__(self):
        self.organisation = UNATTRIBUTED
        self.proposed = ""
        self.consented = ""
        self.activated = False
        self.papers = 0
        self.pre_logins = {}  # month -> logins before the consent
        self.person_signed = {}  # mandate UID -> month of the person's signature
        self.mandates = {}  # mandate UID -> month counted as signed
        self.ended = ()  # mandate UIDs counted as ended
        self.deleted = False

    personal = ()  # UIDs of the vault's personal mandates (decision 0049)


def store(directory=None, create=True):
    """The counters' ``OOBTree`` (created on first use unless ``create`` is false)."""
    if directory is None:
        from ccas.vault.api.vaults import vault_directory

        directory = vault_directory()
    annotations = IAnnotations(directory)
    tree = annotations.get(STORE)
    if tree is None and create:
        tree = annotations[STORE] = OOBTree()
    return tree


class Counter:
    """Adds to the store: ``counter(measure, month, organisation, number)``."""

    def __init__(self, tree):
        self.tree = tree

    def _change(self, key, number):
        length = self.tree.get(key)
        if length is None:
            self.tree[key] = Length(number)
        else:
            length.change(number)

    def __call__(self, measure, month, organisation, number=1):
        if not number:
            return
        self._change((measure, month, ALL), number)
        if organisation is not None:
            self._change((measure, month, organisation), number)


def read(tree=None):
    """``{(measure, month, organisation): number}`` of every counter."""
    tree = store(create=False) if tree is None else tree
    return {key: length() for key, length in tree.items()} if tree is not None else {}


def month_of(value):
    from ccas.vault.indicators.compute import month_of as _month_of

    return _month_of(value)


def now_month():
    from ccas.vault import clock

    return clock.paris_now().strftime("%Y-%m")


class _Organisations:
    """User id -> organisation id, looked up once per user."""

    def __init__(self):
        self.cache = {}

    def __call__(self, user_id):
        if user_id not in self.cache:
            from ccas.vault.organisations import organisation_of
            from plone import api

            user = api.user.get(userid=user_id) if user_id else None
            info = organisation_of(user) if user is not None else None
            self.cache[user_id] = info.id if info is not None else UNATTRIBUTED
        return self.cache[user_id]


def ever_in_force(mandate):
    """Did ``mandate`` (signed by the person) ever come into force?"""
    from plone import api

    signature = getattr(mandate, "person_signature", None)
    if not signature:
        return False
    if getattr(mandate, "kind", "") == PERSONAL and not mandate.organisations:
        return False  # the relative never accepted it
    state = api.content.get_state(mandate)
    if state in ("active", "expired"):
        return True
    if state != "revoked":
        return False
    on_paper = signature.get("method") == "paper"
    return on_paper or set(mandate.agent_signatures) >= set(mandate.organisations)


def _move(facts, add, month, change):
    """The vault goes from ``facts.papers`` to ``facts.papers + change`` papers (never below 0)."""
    if facts.papers + change < 0:
        return
    if facts.consented and not facts.deleted:
        add(f"{BUCKET_PREFIX}{facts.papers}", month, facts.organisation, -1)
        add(f"{BUCKET_PREFIX}{facts.papers + change}", month, facts.organisation, 1)
    facts.papers += change


def _count_mandate(facts, uid, in_force, add):
    if uid in facts.mandates or uid not in facts.person_signed or not in_force(uid):
        return
    month = facts.person_signed[uid]
    facts.mandates = {**facts.mandates, uid: month}
    personal = uid in facts.personal
    add("mandates_signed_personal" if personal else "mandates_signed", month, facts.organisation)


def fold(facts, entry, month, owner, add, organisations, in_force, paper_type):
    """Count one history ``entry`` of a vault in ``month``; update ``facts``.

    ``in_force(uid)`` says whether a mandate came into force, ``paper_type(uid)`` the
    type of a paper (or ``None``).  The definitions are decision 0021's.
    """
    action = entry.action
    details = entry.details
    organisation = facts.organisation
    if action == "open":
        facts.organisation = organisation = organisations(entry.actor)
        if not facts.proposed:
            facts.proposed = month
            add("vaults_proposed", month, organisation)
    elif action == "consent":
        if not facts.consented:
            facts.consented = month
            add("vaults_opened", month, organisation)
            add(f"{BUCKET_PREFIX}{facts.papers}", month, organisation)
            add(LOGINS_HELD, month, organisation, facts.pre_logins.get(month, 0))
            facts.pre_logins = {}
        if details.get("method") in ("electronic", "paper"):
            add(f"consents_{details['method']}", month, organisation)
    elif action == "login" and entry.actor == owner:
        if not facts.activated:
            facts.activated = True
            add("vaults_activated", month, organisation)
        add("logins", month, organisation)
        if facts.consented:
            add(LOGINS_HELD, month, organisation)
        else:
            facts.pre_logins = {**facts.pre_logins, month: facts.pre_logins.get(month, 0) + 1}
    elif action == "deposit":
        if details.get("origin") == "ged":
            origin = GED
        else:
            origin = PERSON if entry.actor == owner else AGENT
        add("documents_deposited", month, organisation)
        add(f"documents_deposited_by_{origin}", month, organisation)
        kind = paper_type(entry.target_uid)
        if kind:
            add(TYPE_PREFIX + kind, month, organisation)
        _move(facts, add, month, 1)
    elif action == "delete":
        add("documents_deleted", month, organisation)
        _move(facts, add, month, -1)
    elif action == "share":
        add("shares", month, organisation)
    elif action == "mandate_created":
        if details.get("kind") == PERSONAL and entry.target_uid not in facts.personal:
            facts.personal = (*facts.personal, entry.target_uid)
    elif action == "mandate_signed":
        if details.get("signer") == "person" and entry.target_uid not in facts.person_signed:
            facts.person_signed = {**facts.person_signed, entry.target_uid: month}
        _count_mandate(facts, entry.target_uid, in_force, add)
    elif action in ("mandate_revoked", "mandate_expired") and "why" in details:
        uid = entry.target_uid
        if uid in facts.mandates and uid not in facts.ended:
            facts.ended = (*facts.ended, uid)
            personal = uid in facts.personal
            add(PERSONAL_MANDATES_ENDED if personal else MANDATES_ENDED, month, organisation)
            if action == "mandate_revoked":
                add(
                    "mandates_revoked_personal" if personal else "mandates_revoked",
                    month,
                    organisation,
                )
    elif action == "close_requested":
        add("closures_requested", month, organisation)


def fold_deletion(facts, month, add):
    """The vault is deleted in ``month``: it leaves the stocks, its flows stay."""
    if facts.deleted:
        return
    organisation = facts.organisation
    add("vaults_closed", month, organisation)
    if facts.consented:
        add(HELD_ENDED, month, organisation)
        add(f"{BUCKET_PREFIX}{facts.papers}", month, organisation, -1)
    running = [uid for uid in facts.mandates if uid not in facts.ended]
    add(MANDATES_ENDED, month, organisation, len(running))
    facts.ended = (*facts.ended, *running)
    facts.deleted = True


# --- live: the product's own events ------------------------------------------------------


def _facts(vault, before=None):
    """The facts of ``vault``, rebuilt from its history (entries before ``before``) if missing."""
    annotations = IAnnotations(vault)
    facts = annotations.get(FACTS)
    if facts is None:
        facts = VaultFacts()
        history = _history_entries(vault)
        if before is not None:
            history = [entry for entry in history if entry.seq < before]
        _replay(vault, facts, history, lambda *args: None, _Organisations())
        annotations[FACTS] = facts
    return facts


def _history_entries(vault):
    from ccas.vault.history import api as history

    return history.entries(vault)


def _mandate(vault, uid):
    from plone import api

    found = api.content.get(UID=uid) if uid else None
    return found


def _in_force_live(vault):
    def in_force(uid):
        from ccas.vault.security import as_system

        with as_system():
            mandate = _mandate(vault, uid)
            return mandate is not None and ever_in_force(mandate)

    return in_force


def _live_add(vault):
    """The counters of the directory holding ``vault`` (its parent: no portal lookup)."""
    from Acquisition import aq_inner
    from Acquisition import aq_parent

    return Counter(store(aq_parent(aq_inner(vault))))


def on_history_recorded(event):
    """Subscriber: count a history entry of a vault in the current month."""
    from ccas.vault.content.vault import IVault

    vault = event.object
    if not IVault.providedBy(vault):
        return
    entry = event.entry
    facts = _facts(vault, before=entry.seq)
    if facts.deleted:
        return
    target = event.target

    def paper_type(uid):
        return getattr(target, "document_type", None) if target is not None else None

    fold(
        facts,
        entry,
        now_month(),
        vault.owner_login,
        _live_add(vault),
        _Organisations(),
        _in_force_live(vault),
        paper_type,
    )
    facts._p_changed = True


def on_mandate_transition(mandate, event):
    """Subscriber: a mandate came into force after the person's signature."""
    if event.new_state is None or event.new_state.getId() != "active":
        return
    from ccas.vault.api.mandates import vault_of

    vault = vault_of(mandate)
    if vault is None:
        return
    facts = _facts(vault)
    _count_mandate(facts, mandate.UID(), _in_force_live(vault), _live_add(vault))
    facts._p_changed = True


def vault_deleted(vault, now=None):
    """The clock deletes ``vault`` (at ``now``, Paris): it leaves the stocks, nothing else."""
    from ccas.vault import clock

    facts = _facts(vault)
    fold_deletion(facts, clock.paris_now(now).strftime("%Y-%m"), _live_add(vault))
    facts._p_changed = True


def on_vault_removed(vault, event):
    """Subscriber: a vault removed another way than by the clock leaves the stocks too.

    The clock calls :func:`vault_deleted` first (with its own ``now``); a vault's facts
    remember it, so this counts nothing twice.  Removing the whole site counts nothing.
    """
    if event.object is not vault or event.oldParent is None:
        return
    facts = IAnnotations(vault).get(FACTS)
    if facts is None or facts.deleted:
        return
    fold_deletion(facts, now_month(), Counter(store(event.oldParent)))
    facts._p_changed = True


# --- back-fill: the 1007 upgrade and the demo ------------------------------------------


def _replay(vault, facts, history, add, organisations, in_force=None):
    from ccas.vault.indicators.compute import documents_in

    types = None

    def paper_type(uid):
        nonlocal types
        if types is None:
            types = {doc.UID(): doc.document_type for doc in documents_in(vault)}
        return types.get(uid)

    if in_force is None:
        from ccas.vault.api.mandates import mandates_of

        states = {m.UID(): ever_in_force(m) for m in mandates_of(vault)}

        def in_force(uid):
            return states.get(uid, False)

    owner = vault.owner_login
    for entry in history:
        fold(facts, entry, month_of(entry.when), owner, add, organisations, in_force, paper_type)


def rebuild(directory=None):
    """Count again from what is still there: every vault's history, then the tombstones.

    Empties the store first (password-reset counters are kept apart, in
    :mod:`ccas.vault.account.recovery`).  Vaults deleted before the store
    existed count from their tombstones, in the total only.  Returns the
    number of vaults replayed.
    """
    from ccas.vault.content.vault import IVault
    from ccas.vault.security import as_system
    from ccas.vault.tombstones import list_tombstones

    with as_system():
        if directory is None:
            from ccas.vault.api.vaults import vault_directory

            directory = vault_directory()
        tree = store(directory)
        tree.clear()
        add = Counter(tree)
        organisations = _Organisations()
        replayed = 0
        for vault in directory.objectValues():
            if not IVault.providedBy(vault):
                continue
            facts = IAnnotations(vault)[FACTS] = VaultFacts()
            _replay(vault, facts, _history_entries(vault), add, organisations)
            replayed += 1
        for stone in list_tombstones(directory):
            add("vaults_proposed", month_of(stone["opened"]), None)
            if stone["consented"]:
                add("vaults_opened", month_of(stone["consented"]), None)
                add(HELD_ENDED, month_of(stone["closed"]), None)
            add("closures_requested", month_of(stone["closure_requested"]), None)
            add("vaults_closed", month_of(stone["closed"]), None)
    logger.info("indicators: counters rebuilt from %d vaults and their tombstones", replayed)
    return replayed
