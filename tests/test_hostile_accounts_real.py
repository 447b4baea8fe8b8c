"""Issue 19 items 2 and 14 on the instance ``make start`` builds (decision 0035).

A Site Administrator made through ``POST @users`` cannot set a beneficiary's password or
e-mail; the reception desk opens more vaults than the address limit and still logs in.
"""

from ccas.vault.bruteforce import throttle
import pytest
import requests


pytestmark = pytest.mark.slow

PERSON = "alice.martin"
CHIEF = "chef-hostile"
CHIEF_PASSWORD = "Chef-de-service-2026"


def logs_in(site, login, password):
    answer = requests.post(
        f"{site.url}/@login",
        json={"login": login, "password": password},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    return answer.status_code == 200


def test_a_new_site_administrator_cannot_take_a_person_over(real_site):
    made = real_site.session("admin", "admin").post(
        f"{real_site.url}/@users",
        json={
            "username": CHIEF,
            "password": CHIEF_PASSWORD,
            "email": "chef@ccas.example",
            "roles": ["Site Administrator"],
        },
        timeout=60,
    )
    assert made.status_code == 201, made.text[:300]
    chief = real_site.session(CHIEF, CHIEF_PASSWORD)
    for change in ({"password": "Pris-par-le-chef-1"}, {"email": "pirate@evil.example"}):
        answer = chief.patch(f"{real_site.url}/@users/{PERSON}", json=change, timeout=60)
        assert answer.status_code == 403, (change, answer.status_code, answer.text[:300])
    assert not logs_in(real_site, PERSON, "Pris-par-le-chef-1")
    assert logs_in(real_site, PERSON, "demo")


def test_the_reception_desk_opens_many_vaults_and_still_logs_in(real_site):
    desk = real_site.session("accueil")
    for number in range(throttle.ADDRESS_LIMIT + 1):
        answer = desk.post(
            f"{real_site.url}/coffres/@vaults",
            json={
                "first_name": "Paul",
                "last_name": f"Essai {chr(ord('a') + number)}",
                "birth_date": "1975-03-02",
                "login": f"paul.essai{number}",
                "password": "Mot-de-passe-long-1",
                "contact_channel": "none",
            },
            timeout=60,
        )
        assert answer.status_code == 201, (number, answer.text[:300])
    assert logs_in(real_site, "accueil", "demo")
    assert logs_in(real_site, "travailleur", "demo")
