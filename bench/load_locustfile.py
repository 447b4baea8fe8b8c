"""The locust users of ``bench/bench_load.py`` (run by ``locust -f``, never imported by Plone).

``LOAD_PEOPLE`` names a JSON file written by the bench: the site path, the two Zope
clients' URLs, the beneficiaries (login, paper UID and path) and the agents (login, the
papers they may preview, the spaces they may deposit in), and the 1 MB photo.
``LOAD_BENEFICIARIES`` / ``LOAD_AGENTS`` set how many of each run (``fixed_count``).
Each user talks to one of the clients of ``LOAD_CLIENT_URLS`` (comma-separated; default:
all of the JSON file's), alternately, like behind a load balancer with sticky sessions.
``LOAD_WAIT`` is the think time between two tasks, ``"min,max"`` seconds (default
``1,4``; ``0,0`` for the capacity steps).  An answer other than the expected status
is a failure.

When ``LOAD_MEASURES_FILE`` is set, every request's response time (ms), whether it
failed, and the ``X-Bench-CPU-Us`` header the benchmark's WSGI filter adds to each answer
(the server thread's CPU for that request, replays included) are kept by action and
written there as JSON when locust quits (the benchmark pools them: percentiles of all
the people's pages, CPU per action).
"""

from io import BytesIO
from locust import between
from locust import events
from locust import HttpUser
from locust import task
from pathlib import Path
from PIL import Image
from PIL import ImageDraw
import base64
import collections
import itertools
import json
import os
import re
import sys


PEOPLE = json.loads(Path(os.environ["LOAD_PEOPLE"]).read_text(encoding="utf-8"))
PHOTO = Path(PEOPLE["photo"]).read_bytes()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import ged_client  # noqa: E402  (requests and reportlab only: the PDFs the agents deposit)


_deposits = itertools.count()


def photo_of(person):
    """The 1 MB photo with a mark of its own for each person: people photograph their own
    papers, so two people's uploads are never the same bytes (the seal registry is keyed
    by the file's hash)."""
    image = Image.open(BytesIO(PHOTO))
    image.load()
    ImageDraw.Draw(image).text((20, 20), f"{person} {os.getpid()}", fill=(255, 255, 255))
    out = BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def deposit_pdf(agent):
    """A PDF of its own for each deposit (an agent does not deposit the same bytes twice)."""
    data = ged_client.pdf(f"{agent}-{os.getpid()}-{next(_deposits)}", lines=10)
    return base64.b64encode(data).decode("ascii")


PASSWORD = PEOPLE["password"]
SITE = PEOPLE["site"]
TOKEN = re.compile(r'name="_authenticator" value="([^"]+)"')
_beneficiaries = itertools.cycle(PEOPLE["beneficiaries"])
_agents = itertools.cycle(PEOPLE["agents"])
CLIENTS = [url for url in os.environ.get("LOAD_CLIENT_URLS", "").split(",") if url]
_clients = itertools.cycle(CLIENTS or PEOPLE["clients"])
WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "1,4").split(",")]
CPU_HEADER = "X-Bench-CPU-Us"
_measures = collections.defaultdict(lambda: {"times": [], "failures": 0, "cpu": []})


@events.request.add_listener
def _measure(name, response_time, response=None, exception=None, **_kwargs):
    found = _measures[name]
    found["times"].append(round(response_time, 1))
    found["failures"] += exception is not None
    headers = getattr(response, "headers", None) or {}
    spent = headers.get(CPU_HEADER)
    if spent is not None and spent.isdigit():
        found["cpu"].append(int(spent))


@events.quitting.add_listener
def _write_measures(**_kwargs):
    target = os.environ.get("LOAD_MEASURES_FILE")
    if target:
        Path(target).write_text(json.dumps(_measures), encoding="utf-8")


def expect(response, *statuses):
    if response.status_code in statuses:
        response.success()
    else:
        response.failure(f"{response.status_code}: {response.text[:200]}")


def token_of(response):
    found = TOKEN.search(response.text)
    return found.group(1) if found else ""


class Beneficiary(HttpUser):
    """A person on the public skin ``/mon-coffre``: log in, list, add a photo, share, preview."""

    fixed_count = int(os.environ.get("LOAD_BENEFICIARIES", "50"))
    wait_time = between(*WAIT)
    host = PEOPLE["clients"][0]

    def on_start(self):
        self.client.base_url = next(_clients)
        self.person = next(_beneficiaries)
        self.photo = photo_of(self.person["login"])
        self.login()
        self.list_papers()  # every user reads at once, then draws its tasks at random
        self.preview()

    def skin(self, page):
        return f"{SITE}/mon-coffre/{page}"

    @task(1)
    def login(self):
        self.client.cookies.clear()
        with self.client.post(
            self.skin("connexion"),
            data={
                "__ac_name": self.person["login"],
                "__ac_password": PASSWORD,
                "form.submitted": "1",
            },
            allow_redirects=False,
            name="beneficiary: log in",
            catch_response=True,
        ) as answer:
            expect(answer, 303)

    @task(4)
    def list_papers(self):
        with self.client.get(
            self.skin("papiers"), name="beneficiary: list papers", catch_response=True
        ) as answer:
            expect(answer, 200)

    @task(1)
    def upload_photo(self):
        form = self.client.get(self.skin("ajouter"), name="beneficiary: add form")
        with self.client.post(
            self.skin("ajouter"),
            data={
                "form.submitted": "1",
                "_authenticator": token_of(form),
                "document_type": "bulletin-salaire",
                "title": "Bulletin de salaire",
                "issued": "2026-10-31",
                "space": "partage",
            },
            files=[("photos", ("photo.jpg", self.photo, "image/jpeg"))],
            allow_redirects=False,
            name="beneficiary: upload 1 MB photo",
            catch_response=True,
        ) as answer:
            expect(answer, 303)

    @task(2)
    def share(self):
        uid = self.person["paper_uid"]
        form = self.client.get(self.skin(f"partager?uids={uid}"), name="beneficiary: share form")
        with self.client.post(
            self.skin("partager"),
            data={
                "form.submitted": "1",
                "uids:list": [uid],
                "recipient": "CAF de Démoville",
                "duration": "7d",
                "_authenticator": token_of(form),
            },
            name="beneficiary: share (link)",
            catch_response=True,
        ) as answer:
            expect(answer, 200)

    @task(3)
    def preview(self):
        with self.client.get(
            f"{self.person['paper_path']}/@@preview",
            name="beneficiary: preview",
            catch_response=True,
        ) as answer:
            expect(answer, 200)


class Agent(HttpUser):
    """A CCAS agent (HTTP Basic): "mes accompagnements", preview a shared paper, deposit."""

    fixed_count = int(os.environ.get("LOAD_AGENTS", "10"))
    wait_time = between(*WAIT)
    host = PEOPLE["clients"][0]

    def on_start(self):
        self.client.base_url = next(_clients)
        self.agent = next(_agents)
        self.client.auth = (self.agent["login"], PASSWORD)
        self.turn = itertools.cycle(self.agent["papers"])
        self.spaces = itertools.cycle(self.agent["spaces"])
        self.accompaniments()  # every agent reads at once, then draws its tasks at random
        self.preview()

    @task(3)
    def accompaniments(self):
        with self.client.get(
            f"{SITE}/@@mes-accompagnements",
            name="agent: mes accompagnements",
            catch_response=True,
        ) as answer:
            expect(answer, 200)

    @task(3)
    def preview(self):
        with self.client.get(
            f"{next(self.turn)}/@@preview", name="agent: preview shared paper", catch_response=True
        ) as answer:
            expect(answer, 200)

    @task(1)
    def deposit(self):
        with self.client.post(
            f"{next(self.spaces)}/@deposit",
            json={
                "document_type": "attestation-caf",
                "title": "Attestation CAF",
                "file": {
                    "filename": "caf.pdf",
                    "content_type": "application/pdf",
                    "data": deposit_pdf(self.agent["login"]),
                },
            },
            headers={"Accept": "application/json"},
            name="agent: deposit (REST)",
            catch_response=True,
        ) as answer:
            expect(answer, 201)
