"""A CCAS GED as a separate program: it sends letters over HTTP and retries from outside.

What the fault tests and ``bench/`` drive the product with, and what a real GED
should do (docs/api.md, "Retrying", decision 0041): letters go in batches to
``POST /@ged-letters/batch``; a batch whose answer never arrives (timeout,
connection refused or cut), is a 5xx (``503 busy``, ``507`` disk full, a
database fault) or answers a 5xx for one of its letters is sent again,
**whole and with the same references**, until every letter has a final answer.
A letter answered ``201`` was delivered by that attempt; ``200`` with
``status: delivered`` means it was already delivered (by a previous attempt
whose answer was lost): the body names the paper the first delivery made.

    report = send_stream(site_url, ("ged", "demo"), letters, batch=20)
    report.delivered_now, report.already_delivered, report.attempts

Only ``requests`` and the standard library: no Zope in this process.
"""

from dataclasses import dataclass
from dataclasses import field
from io import BytesIO
import base64
import json
import requests
import time


#: A batch is sent again while it fails, for at most this many seconds.
RETRY_DEADLINE = 180
#: Seconds to wait for an answer before taking the batch as lost (and sending it again).
ANSWER_TIMEOUT = 90
HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def pdf(reference, lines=40):
    """A real PDF of a few kB whose text is unique to the letter; the same bytes each time
    (``invariant``: no creation date, no random id), as a GED sends a letter again."""
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setTitle(f"Courrier {reference}")
    for line in range(lines):
        page.drawString(40, 800 - 18 * line, f"{reference} - ligne {line} - attestation du CCAS")
    page.save()
    return out.getvalue()


def title_of(reference):
    """The title a letter is sent with: how an outside reader finds its reference."""
    return f"Attestation de domiciliation {reference}"


def reference_in(title):
    """The reference a title made by :func:`title_of` carries, or ``None``."""
    prefix = title_of("")
    return title[len(prefix) :] if title and title.startswith(prefix) else None


def letter(reference, person, data=None, document_type="attestation-domiciliation"):
    """One letter of the GED API; ``person``: ``{"vault": id}`` or ``{"ged_person_id": id}``."""
    return {
        "ged_reference": reference,
        "person": person,
        "document_type": document_type,
        "title": title_of(reference),
        "issued": "2026-11-20",
        "file": {
            "filename": f"{reference}.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(pdf(reference) if data is None else data).decode("ascii"),
        },
    }


@dataclass
class Attempt:
    """One sending of one batch: its outcome is a status code or an exception name."""

    batch: int
    outcome: object
    failed_letters: int = 0
    seconds: float = 0.0

    @property
    def succeeded(self):
        return isinstance(self.outcome, int) and self.outcome < 500 and not self.failed_letters


@dataclass
class Report:
    """What the GED knows at the end of a stream."""

    sent: int = 0
    answers: dict = field(default_factory=dict)  # reference -> (status, body) of the last answer
    attempts: list = field(default_factory=list)

    @property
    def delivered_now(self):
        """References delivered by the answer the GED got (``201``)."""
        return sorted(ref for ref, (status, _b) in self.answers.items() if status == 201)

    @property
    def already_delivered(self):
        """References the final answer says were delivered before (``200``, ``delivered``)."""
        return sorted(
            ref
            for ref, (status, body) in self.answers.items()
            if status == 200 and body.get("status") == "delivered"
        )

    @property
    def delivered(self):
        return sorted({*self.delivered_now, *self.already_delivered})

    @property
    def resent_batches(self):
        """How many batch sendings were repeats."""
        return sum(1 for attempt in self.attempts if not attempt.succeeded)

    def papers(self):
        """reference -> the paper's UID the GED was told (first delivery's, for a repeat)."""
        return {
            ref: body.get("UID")
            for ref, (status, body) in self.answers.items()
            if status in (200, 201) and body.get("status") == "delivered"
        }

    def summary(self):
        return {
            "sent": self.sent,
            "delivered_now": len(self.delivered_now),
            "already_delivered": len(self.already_delivered),
            "other": len(self.answers) - len(self.delivered),
            "attempts": len(self.attempts),
            "resent": self.resent_batches,
        }


class Body:
    """A request body that calls ``on_sent()`` once the HTTP client has read all of it:
    the batch is then in the server's hands (the tests time their faults from there)."""

    def __init__(self, data, on_sent=None):
        self.data = data
        self.stream = BytesIO(data)
        self.on_sent = on_sent

    def __len__(self):
        return len(self.data)

    def read(self, size=-1):
        chunk = self.stream.read(size)
        if not chunk and self.on_sent is not None:
            on_sent, self.on_sent = self.on_sent, None
            on_sent()
        return chunk


class NeverAnswered(AssertionError):
    """A batch got no final answer before the deadline."""


def _failed_letters(response):
    try:
        results = response.json()["results"]
    except (ValueError, KeyError, TypeError):
        return -1  # a 200 that is not a batch answer: send again
    return sum(1 for item in results if item.get("status", 500) >= 500)


def send_batch(
    session,
    url,
    letters,
    number=0,
    report=None,
    timeout=ANSWER_TIMEOUT,
    deadline=RETRY_DEADLINE,
    on_sent=None,
):
    """Send one batch until it has a complete answer; return that answer's JSON.

    ``on_sent(number, attempt)`` is called when a sending's body has left (the
    tests time their faults with it).  Raises :class:`NeverAnswered` after ``deadline``.
    """
    report = report if report is not None else Report()
    data = json.dumps({"letters": letters}).encode("utf-8")
    give_up = time.monotonic() + deadline
    pause, attempt = 0.5, 0
    while True:
        sent = None if on_sent is None else (lambda n=number, a=attempt: on_sent(n, a))
        started = time.monotonic()
        wait = pause
        try:
            response = session.post(
                f"{url}/@ged-letters/batch", data=Body(data, sent), headers=HEADERS, timeout=timeout
            )
        except requests.RequestException as error:
            outcome, failed = type(error).__name__, 0
        else:
            outcome = response.status_code
            failed = _failed_letters(response) if outcome == 200 else 0
            if outcome == 503 and response.headers.get("Retry-After", "").isdigit():
                wait = max(pause, float(response.headers["Retry-After"]))
        tried = Attempt(number, outcome, failed, round(time.monotonic() - started, 3))
        report.attempts.append(tried)
        if tried.succeeded:
            if outcome != 200:  # a refusal of the whole batch (400, 401, 403): not retried
                raise AssertionError(f"batch {number} refused: {outcome} {response.text[:2000]}")
            return response.json()
        if time.monotonic() + wait > give_up:
            tries = [a.outcome for a in report.attempts if a.batch == number]
            raise NeverAnswered(f"batch {number} never answered in {deadline}s: {tries}")
        time.sleep(wait)
        pause = min(pause * 2, 4)
        attempt += 1


def send_stream(
    url,
    auth,
    letters,
    batch=20,
    timeout=ANSWER_TIMEOUT,
    deadline=RETRY_DEADLINE,
    on_sent=None,
):
    """Send ``letters`` to the site at ``url`` in batches of ``batch``, retrying each
    batch (whole, same references) until it is answered; return a :class:`Report`."""
    report = Report(sent=len(letters))
    with requests.Session() as session:
        session.auth = tuple(auth)
        for number, start in enumerate(range(0, len(letters), batch)):
            chunk = letters[start : start + batch]
            answer = send_batch(session, url, chunk, number, report, timeout, deadline, on_sent)
            for item in answer["results"]:
                reference = item["ged_reference"]
                report.answers[reference] = (item["status"], item["body"])
    return report


def statuses(url, auth, references, timeout=60):
    """``GET @ged-letters/{ref}`` for each reference, as the GED: reference -> status."""
    found = {}
    with requests.Session() as session:
        session.auth = tuple(auth)
        for reference in references:
            answer = session.get(
                f"{url}/@ged-letters/{reference}",
                headers={"Accept": "application/json"},
                timeout=timeout,
            )
            found[reference] = answer.json().get("status") if answer.status_code == 200 else None
    return found
