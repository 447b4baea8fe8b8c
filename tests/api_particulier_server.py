"""A local stand-in of API Particulier's family quotient endpoint, on loopback, for the tests.

It follows the published description (``GET /v3/dss/quotient_familial/identite``, token in
``Authorization: Bearer``, ``recipient`` mandatory, the person's identity as query
parameters; ``{"data": …, "links": {}, "meta": {}}`` answers and ``{"errors": [{"code",
"title", "detail", "source", "meta"}]}`` errors), with the answers of API Particulier's
staging data (etalab/siade_staging_data) for its fictitious people.  Never the real API.

Which answer comes is chosen by the birth name (``nomNaissance``):

=================  =====================================================================
``INCONNU``        404, ``37003`` (no allocataire file)
``NONHABILITE``    403 (the token's habilitation does not cover the family quotient)
``PRESSE``         429, ``00429``, ``Retry-After: 3600`` (too long to wait)
``PRESSEBREF``     429 with ``Retry-After: 1`` the first time, then 200
``PANNE``          502, ``37999`` (provider's unknown error)
``DELAI``          504, ``37002`` (provider timed out)
anything else      200, the quotient of the staging data's "MSA 150" family, or CNAF 2550
=================  =====================================================================

A token other than :attr:`FakeApiParticulier.token` gives 401.  Setting ``force`` to one of the
names above answers that case whoever is asked (for a test against a running instance).
``requests`` keeps what was asked (path, query, headers) for the tests to check.
"""

from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs
from urllib.parse import urlsplit
import json
import threading


PATH = "/v3/dss/quotient_familial/identite"
TOKEN = "jeton-de-test-du-ccas"
SIRET = "21590350100017"


def _error(code, title, detail, provider=None):
    return {
        "errors": [
            {
                "code": code,
                "title": title,
                "detail": detail,
                "source": None,
                "meta": {"provider": provider} if provider else {},
            }
        ]
    }


def quotient_answer(query):
    """The documented 200 answer for the person asked."""
    msa = query.get("nomNaissance", [""])[0] == "ROUX"
    last = query.get("nomNaissance", ["DUPONT"])[0]
    firsts = " ".join(query.get("prenoms[]", ["JEANNE"]))
    born = "{}-{:02d}-{:02d}".format(
        int(query.get("anneeDateNaissance", ["1987"])[0]),
        int(query.get("moisDateNaissance", ["6"])[0]),
        int(query.get("jourDateNaissance", ["27"])[0]),
    )
    return {
        "data": {
            "allocataires": [
                {
                    "nom_naissance": last,
                    "nom_usage": None,
                    "prenoms": firsts,
                    "date_naissance": born,
                    "sexe": query.get("sexeEtatCivil", ["F"])[0],
                }
            ],
            "enfants": [
                {
                    "nom_naissance": last,
                    "nom_usage": None,
                    "prenoms": "ALEXIS VINCENT",
                    "date_naissance": "2016-04-20",
                    "sexe": "M",
                }
            ],
            "adresse": {
                "destinataire": f"Madame {last} {firsts}",
                "complement_information": None,
                "complement_information_geographique": None,
                "numero_libelle_voie": "1 RUE DE LA GARE",
                "lieu_dit": None,
                "code_postal_ville": "59000 LILLE",
                "pays": "FRANCE",
            },
            "quotient_familial": {
                "fournisseur": "MSA" if msa else "CNAF",
                "valeur": 150 if msa else 2550,
                "annee": 2026,
                "mois": 11,
                "annee_calcul": 2026,
                "mois_calcul": 12,
            },
        },
        "links": {},
        "meta": {},
    }


class FakeApiParticulier:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is its base URL."""

    def __init__(self, token=TOKEN):
        self.token = token
        self.requests = []
        self.seen = {}
        self.force = ""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, handler, status, body, headers=()):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler):
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        self.requests.append(
            {"path": parts.path, "query": query, "headers": dict(handler.headers.items())}
        )
        if parts.path != PATH:
            return self._send(handler, 404, _error("00404", "Route inconnue", "Route inconnue"))
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(
                handler,
                401,
                _error("00101", "Interdit d'accès", "Votre jeton n'est pas valide ou a expiré."),
            )
        recipient = query.get("recipient", [""])[0]
        if not (len(recipient) == 14 and recipient.isdigit()):
            return self._send(
                handler,
                422,
                _error(
                    "00210",
                    "Entité non traitable",
                    "Le paramètre recipient n'est pas un numéro de SIRET valide.",
                ),
            )
        name = self.force or query.get("nomNaissance", [""])[0]
        if name == "INCONNU":
            return self._send(
                handler,
                404,
                _error(
                    "37003",
                    "Dossier allocataire absent CNAV",
                    "Le dossier allocataire n'a pas été trouvé auprès de la CNAV.",
                    "CNAV",
                ),
            )
        if name == "NONHABILITE":
            return self._send(
                handler,
                403,
                _error(
                    "50002",
                    "Accès non autorisé",
                    "Votre jeton ne donne pas accès au quotient familial.",
                ),
            )
        if name == "PRESSE" or (name == "PRESSEBREF" and not self.seen.get(name)):
            self.seen[name] = True
            wait = "3600" if name == "PRESSE" else "1"
            return self._send(
                handler,
                429,
                _error("00429", "Trop de requêtes", "Vous avez effectué trop de requêtes"),
                headers=[("Retry-After", wait)],
            )
        if name == "PANNE":
            return self._send(
                handler,
                502,
                _error(
                    "37999",
                    "Erreur inconnue du fournisseur de données",
                    "La réponse retournée par le fournisseur de données est invalide.",
                    "CNAV",
                ),
            )
        if name == "DELAI":
            return self._send(
                handler,
                504,
                _error(
                    "37002",
                    "Intermédiaire hors-délai",
                    "Temps d'attente d'une réponse du fournisseur de données écoulé.",
                    "CNAV",
                ),
            )
        return self._send(handler, 200, quotient_answer(query))
