"""``@password-reset`` (site root, anonymous) and ``@assisted-reset`` (on a vault, agents).

``GET @password-reset?login=…`` — the personal questions to answer (the
person's, or always the same decoys for a login without any), and
``code_question``: the one a printed code asks (decision 0043).

``POST @password-reset`` (JSON):

* ``{"route": "email", "login"}`` → ``202``, the same answer whether the
  account exists, has an address, or is locked;
* ``{"route": "questions", "login", "answers": {id: answer}, "new_password"}``;
* ``{"route": "code", "login", "code", "birth_date", "new_password"}``, plus
  ``"answer"`` (to ``code_question``) for a printed code of a person without
  phone nor e-mail who chose questions (decision 0043);
* ``{"route": "token", "token", "new_password"}`` (the e-mail link's token).

Refusals are ``400`` (``429`` when rate-limited) with a French sentence.

``POST <vault>/@assisted-reset`` ``{"delivery": "sms" | "print"}`` — an agent
with the account-help scope starts a reset; ``201`` with the expiry, the
masked phone (SMS) or the code (print only, shown this once) and what else
it needs (``second_part``, or ``needs``: ``answer`` / ``confirmation``).

``POST <vault>/@assisted-reset`` ``{"confirm": true}`` — a second CCAS agent
with the account-help scope confirms a printed code another agent made for a
person without phone, e-mail nor questions (four eyes, decision 0043): ``200``.
"""

from ccas.vault.account import recovery
from ccas.vault.account.recovery import RecoveryLocked
from ccas.vault.api.errors import VaultError
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import iso_date
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService


LOGIN_MISSING = ("This field is required.", "Écrivez votre identifiant.")
ROUTES = ("email", "questions", "code", "token")
BAD_ROUTE = (
    "Choose a route: email, questions, code or token.",
    "Choisissez un moyen : email, questions, code ou token.",
)
BAD_ANSWERS = (
    "Give the answers as an object: question id → answer.",
    "Donnez les réponses sous la forme : identifiant de la question → réponse.",
)
EMAIL_SENT = (
    "If this account has an e-mail address, a link was sent to it. It works for one hour.",
    "Si ce compte a une adresse e-mail, un lien vient d'y être envoyé. "
    "Il marche pendant une heure. Regardez vos e-mails.",
)
DONE = (
    "Your new password is saved. You can log in with it.",
    "Votre nouveau mot de passe est enregistré. Vous pouvez vous connecter avec.",
)


def _as_request_error(error):
    status = 429 if isinstance(error, RecoveryLocked) else 400
    if error.code in ("same_agent", "not_ccas_agent"):
        status = 403  # the four eyes: this agent may not confirm (decision 0043)
    return RequestError(status, error.code, str(error), error.message_fr)


def _address(request):
    return request.getClientAddr() or ""


class PasswordResetGet(VaultService):
    def reply(self):
        login = (self.request.form.get("login") or "").strip()
        if not login:
            raise invalid_fields(
                {"login": ("This field is required.", "Écrivez votre identifiant.")}
            )

        def question(qid):
            return {
                "id": qid,
                "text": recovery.question_text(qid, "en"),
                "text_fr": recovery.question_text(qid, "fr"),
            }

        return {
            "questions": [question(qid) for qid in recovery.questions_for(login)],
            "code_question": question(recovery.code_question(login)),
        }


class PasswordResetPost(VaultService):
    def reply(self):
        disable_csrf(self.request)
        data = self.body()
        if not isinstance(data, dict):
            raise invalid_fields({"route": BAD_ROUTE})
        errors = {}
        route = text(data, "route", errors, required=True)
        if route and route not in ROUTES:
            errors["route"] = BAD_ROUTE
        if errors:
            raise invalid_fields(errors)
        address = _address(self.request)
        try:
            if route == "email":
                login = text(data, "login", errors, required=True)
                if errors:
                    raise invalid_fields(errors)
                recovery.start_email_reset(login, address=address)
                self.request.response.setStatus(202)
                return {
                    "status": "sent_if_known",
                    "message": EMAIL_SENT[0],
                    "message_fr": EMAIL_SENT[1],
                }
            new_password = text(data, "new_password", errors, required=True)
            if route == "questions":
                login = text(data, "login", errors, required=True)
                answers = data.get("answers")
                if not isinstance(answers, dict):
                    errors["answers"] = BAD_ANSWERS
                if errors:
                    raise invalid_fields(errors)
                recovery.check_new_password(new_password)  # before the answers are spent
                token = recovery.check_questions(login, answers, address=address)
                recovery.set_password_with(token, new_password, address=address)
            elif route == "code":
                login = text(data, "login", errors, required=True)
                code = text(data, "code", errors, required=True)
                birth_date = iso_date(data, "birth_date", errors, required=True)
                answer = text(data, "answer", errors)
                if errors:
                    raise invalid_fields(errors)
                recovery.set_password_with(
                    code,
                    new_password,
                    login=login,
                    birth_date=birth_date,
                    address=address,
                    answer=answer,
                )
            else:
                token = text(data, "token", errors, required=True)
                if errors:
                    raise invalid_fields(errors)
                recovery.set_password_with(token, new_password, address=address)
        except VaultError as error:
            raise _as_request_error(error) from error
        return {"status": "done", "message": DONE[0], "message_fr": DONE[1]}


class AssistedResetPost(VaultService):
    """The account-help scope is checked by :func:`recovery.may_assist` (mandate windows)."""

    def check_permission(self):
        super().check_permission()
        from AccessControl import Unauthorized

        if not recovery.may_assist(self.context):
            raise Unauthorized("The account-help scope of a mandate is needed")

    def reply(self):
        disable_csrf(self.request)
        data = self.body()
        if isinstance(data, dict) and data.get("confirm") is True:
            try:
                return recovery.confirm_assisted_reset(self.context)
            except VaultError as error:
                raise _as_request_error(error) from error
        delivery = data.get("delivery") if isinstance(data, dict) else None
        if delivery not in ("sms", "print"):
            raise invalid_fields(
                {
                    "delivery": (
                        "Choose sms or print.",
                        "Choisissez comment la personne reçoit le code : sms ou print (papier).",
                    )
                }
            )
        try:
            result = recovery.start_assisted_reset(self.context, delivery)
        except VaultError as error:
            raise _as_request_error(error) from error
        self.request.response.setStatus(201)
        return dict(result)
