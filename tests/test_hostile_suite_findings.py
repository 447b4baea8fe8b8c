"""What the hostile suite still found once items 1-15 of issue 19 were fixed.

(tests/test_hostile_suite.py)

* Plone's undo log (``@transactions``) names the objects each transaction changed — a
  person's papers included: administrators only, never a person, an agent or the GED.
* ``@aliases`` written on a person's paper by a Manager or a Site Administrator: a write
  inside a vault that no workflow governed.  Nobody holds "Manage Context Aliases" there.
* ``PATCH @users/<person> {"fullname"}`` by an administrator: the name shown to agents and in
  the history changes only through the person's routes (decision 0035), like the e-mail.

Every request goes to the functional layer's server (C security implementation).
"""

from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


JSON = {"Accept": "application/json"}


@pytest.fixture
def people(functional_portal):
    from ccas.vault import roles

    make_agent("accueil")
    make_user("chef", ["Site Administrator"])
    make_user("patron", ["Manager"])
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"], title="Avis d'imposition")
    transaction.commit()
    return functional_portal, vault, paper


def call(method, url, login, **kw):
    return requests.request(
        method, url, auth=(login, PASSWORD), headers=JSON, timeout=60, allow_redirects=False, **kw
    )


@pytest.mark.parametrize("login", ["jdupont", "accueil", "ged"])
def test_only_administrators_read_the_undo_log(people, login):
    portal, _vault, paper = people
    refused = call("GET", f"{portal.absolute_url()}/@transactions", login)
    assert refused.status_code in (401, 403)
    assert paper.getId() not in refused.text
    allowed = call("GET", f"{portal.absolute_url()}/@transactions", "chef")
    assert allowed.status_code == 200


@pytest.mark.parametrize("login", ["chef", "patron"])
def test_nobody_writes_aliases_on_a_persons_paper(people, login):
    _portal, _vault, paper = people
    answer = call(
        "POST", f"{paper.absolute_url()}/@aliases", login, json={"items": [{"path": "/x-alias"}]}
    )
    assert answer.status_code in (401, 403), answer.text[:300]
    transaction.begin()
    listed = call("GET", f"{paper.absolute_url()}/@aliases", "jdupont")
    assert "/x-alias" not in listed.text


@pytest.mark.parametrize("login", ["chef", "patron"])
def test_an_administrator_cannot_rename_a_person(people, login):
    portal, _vault, _paper = people
    answer = call(
        "PATCH", f"{portal.absolute_url()}/@users/jdupont", login, json={"fullname": "Quelqu'un"}
    )
    assert answer.status_code == 403, answer.text[:300]
    transaction.begin()
    assert api.user.get(username="jdupont").getProperty("fullname") != "Quelqu'un"
