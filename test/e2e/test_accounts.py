"""End-to-end tests of the account flows of examples/fastapi that go through
mail: a forgotten password, a verified email, a changed email; deleting an
account; and the headers that guard the page (CSP, frames).

The app mails through the SMTP sink that test/e2e/run.sh started; the tests
read its folder (conftest.mails_to) and use the links as a user would.
"""
import re
import time
import uuid

import psycopg
import pytest

from conftest import (PASSWORD_MARK, REFRESH_COOKIE, User, claims, link_of, mails_to, signin, unique_email,
                      wait_for_mails)
from test_api import assert_401, assert_cleared, error_of, refresh_with, tasks_of

INVALID_LINK = "this link is invalid or has expired: ask for a new one"


def verification_mail(user: User) -> str:
    """The token of the verification mail that signup sent the user."""
    (message,) = wait_for_mails(user.email, 1)
    return link_of(message)[2]


def forgot(api, address: str):
    r = api.post("/api/auth/forgot-password", json={"email": address})
    assert r.status_code == 202, r.text
    return r


def me(api, user: User) -> dict:
    r = api.get("/api/auth/me", headers=user.auth)
    assert r.status_code == 200, r.text
    return r.json()


# ---- the mail role ----------------------------------------------------------------

def test_only_the_mail_role_makes_tokens(app_dsn, mail_dsn, carol):
    with psycopg.connect(app_dsn, autocommit=True, prepare_threshold=None) as conn:
        for sql, args in (("SELECT auth.request_password_reset(%s)", [carol.email]),
                          ("SELECT auth.request_email_verification(%s)", [carol.id]),
                          ("SELECT auth.request_email_change(%s, %s)", [carol.id, unique_email("x")])):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, args)
    with psycopg.connect(mail_dsn, autocommit=True) as conn:
        # ... and nothing else: no task, no account administration.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM tasks")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT auth.delete_user(%s)", [carol.id])


# ---- a forgotten password ----------------------------------------------------------

def test_forgot_password_answers_the_same_for_any_address(api, alice):
    verification_mail(alice)
    unknown = unique_email("nobody")
    answers = [forgot(api, address) for address in (unknown, alice.email, "not an address", alice.email.upper())]
    first = answers[0]
    for r in answers[1:]:
        assert r.status_code == first.status_code == 202
        assert r.content == first.content
        headers = {k: v for k, v in r.headers.items() if k != "date"}
        assert headers == {k: v for k, v in first.headers.items() if k != "date"}
    assert first.json() == {"message": "If an account has this address, we have sent it a link "
                                       "to choose a new password."}
    assert "set-cookie" not in first.headers
    # Two links for alice (the address as typed or in capitals), none elsewhere.
    resets = [m for m in wait_for_mails(alice.email, 3) if "#reset=" in m.get_content()]
    assert len(resets) == 2
    assert mails_to(unknown) == []


def test_reset_password_from_the_mail(api, alice, alice_task):
    other = signin(api, alice)
    forgot(api, alice.email)
    message = wait_for_mails(alice.email, 2)[-1]
    assert message["Subject"] == "Reset your todo password"
    assert message["From"].addresses[0].addr_spec == "todo@example.com"
    page, kind, token = link_of(message)
    assert (page, kind) == (str(api.base_url).rstrip("/"), "reset")

    # A password the rules refuse: the token stays usable.
    r = api.post("/api/auth/reset-password", json={"token": token, "password": "short"})
    error = error_of(r, 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == ["password"]
    assert token not in r.text

    new_password = f"{PASSWORD_MARK} reset {uuid.uuid4().hex[:8]}"
    r = api.post("/api/auth/reset-password", json={"token": token, "password": new_password})
    assert r.status_code == 204, r.text
    assert r.content == b""

    # Once only.
    r = api.post("/api/auth/reset-password", json={"token": token, "password": new_password + " again"})
    assert error_of(r, 400, "invalid_link")["message"] == INVALID_LINK

    # Every session of the account has ended, access tokens and refresh cookies.
    for session in (alice, other):
        assert "revoked" in assert_401(api.get("/api/tasks", headers=session.auth))["message"]
        assert_401(refresh_with(api, session.refresh), "refresh_failed")
    # The old password is refused, the new one signs in, the tasks are there.
    assert_401(api.post("/api/auth/signin", json={"email": alice.email, "password": alice.password}),
               "invalid_credentials")
    fresh = signin(api, User(alice.email, new_password, alice.id, ""))
    assert tasks_of(api, fresh) == [alice_task]
    # The mail came through the address: it is verified now.
    assert claims(fresh.token)["email_verified"] is True


def test_a_newer_reset_link_voids_the_older_and_three_an_hour(api, alice):
    verification_mail(alice)
    for _ in range(4):
        forgot(api, alice.email)
    # The fourth request, in the same hour, sends nothing (the answer was the same).
    resets = wait_for_mails(alice.email, 4)[1:]
    tokens = [link_of(m)[2] for m in resets]
    assert len(set(tokens)) == 3
    for token in tokens[:2]:
        r = api.post("/api/auth/reset-password", json={"token": token, "password": f"{PASSWORD_MARK} new"})
        error_of(r, 400, "invalid_link")
    r = api.post("/api/auth/reset-password", json={"token": tokens[2], "password": f"{PASSWORD_MARK} new"})
    assert r.status_code == 204, r.text


@pytest.mark.parametrize("token", ["", "x" * 43, "not a token", "A" * 100])
def test_reset_password_with_an_invalid_token(api, token):
    r = api.post("/api/auth/reset-password", json={"token": token, "password": f"{PASSWORD_MARK} 1"})
    assert error_of(r, 400, "invalid_link")["message"] == INVALID_LINK


@pytest.mark.parametrize("path,body,fields", [
    ("/api/auth/forgot-password", {}, ["email"]),
    ("/api/auth/forgot-password", {"email": 5}, ["email"]),
    ("/api/auth/forgot-password", {"email": "x" * 255}, ["email"]),
    ("/api/auth/reset-password", {"password": "long enough"}, ["token"]),
    ("/api/auth/reset-password", {"token": "x" * 43}, ["password"]),
    ("/api/auth/reset-password", {"token": "x" * 101, "password": "long enough"}, ["token"]),
    ("/api/auth/verify-email", {}, ["token"]),
    ("/api/auth/verify-email", {"token": None}, ["token"]),
    ("/api/auth/email/confirm", {"token": ["x"]}, ["token"]),
])
def test_malformed_account_requests(api, path, body, fields):
    error = error_of(api.post(path, json=body), 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == fields


# ---- a verified email -------------------------------------------------------------

def test_signup_mails_a_verification_link(api, alice):
    message = wait_for_mails(alice.email, 1)[0]
    assert message["Subject"] == "Confirm your todo email address"
    page, kind, token = link_of(message)
    assert kind == "verify"
    assert me(api, alice)["email_verified"] is False
    assert claims(alice.token)["email_verified"] is False

    r = api.post("/api/auth/verify-email", json={"token": token})
    assert r.status_code == 204, r.text
    error_of(api.post("/api/auth/verify-email", json={"token": token}), 400, "invalid_link")

    # The access token says what was true when it was made; the next says verified.
    r = refresh_with(api, alice.refresh)
    assert r.status_code == 200, r.text
    fresh = User(alice.email, alice.password, alice.id, r.json()["access_token"])
    assert me(api, fresh) == {"id": alice.id, "email": alice.email, "email_verified": True}
    # Nothing more to verify: a resend sends nothing.
    r = api.post("/api/auth/verify-email/resend", headers=fresh.auth)
    assert r.status_code == 202 and r.json() == {"sent": False}
    time.sleep(0.5)
    assert len(mails_to(alice.email)) == 1


def test_resend_voids_the_first_link(api, alice):
    first = verification_mail(alice)
    r = api.post("/api/auth/verify-email/resend", headers=alice.auth)
    assert r.status_code == 202 and r.json() == {"sent": True}
    second = link_of(wait_for_mails(alice.email, 2)[1])[2]
    assert second != first
    error_of(api.post("/api/auth/verify-email", json={"token": first}), 400, "invalid_link")
    assert api.post("/api/auth/verify-email", json={"token": second}).status_code == 204
    assert claims(signin(api, alice).token)["email_verified"] is True


def test_a_reset_token_does_not_verify(api, alice):
    verification_mail(alice)
    forgot(api, alice.email)
    reset = link_of(wait_for_mails(alice.email, 2)[1])[2]
    error_of(api.post("/api/auth/verify-email", json={"token": reset}), 400, "invalid_link")
    error_of(api.post("/api/auth/email/confirm", json={"token": reset}), 400, "invalid_link")


# ---- a changed email --------------------------------------------------------------

def test_change_email_takes_the_mail_to_the_new_address(api, alice, alice_task):
    verification_mail(alice)
    new = unique_email("alice-new")
    r = api.post("/api/auth/email", headers=alice.auth, json={"new_email": f" {new.upper()} ", "password": alice.password})
    assert r.status_code == 202 and r.json() == {"sent": True}, r.text
    (message,) = wait_for_mails(new, 1)
    assert message["Subject"] == "Confirm your new todo email address"
    page, kind, token = link_of(message)
    assert kind == "email"
    assert len(mails_to(alice.email)) == 1  # the old address got only its verification mail

    # Until the link is used, the account keeps its old address.
    assert_401(api.post("/api/auth/signin", json={"email": new, "password": alice.password}),
               "invalid_credentials")
    signin(api, alice)

    r = api.post("/api/auth/email/confirm", json={"token": token})
    assert r.status_code == 204, r.text
    error_of(api.post("/api/auth/email/confirm", json={"token": token}), 400, "invalid_link")

    # The new address signs in, verified; the old one no longer does.
    assert_401(api.post("/api/auth/signin", json={"email": alice.email, "password": alice.password}),
               "invalid_credentials")
    moved = signin(api, User(new, alice.password, alice.id, ""))
    assert me(api, moved) == {"id": alice.id, "email": new, "email_verified": True}
    assert tasks_of(api, moved) == [alice_task]
    # The sessions go on; a refresh brings the new address.
    r = refresh_with(api, alice.refresh)
    assert r.status_code == 200 and claims(r.json()["access_token"])["email"] == new


@pytest.mark.parametrize("new_email,status,code", [
    ("not an address", 422, "invalid_input"),
    ("ada@example", 422, "invalid_input"),
    ("", 422, "invalid_input"),
    ("x" * 255, 422, "invalid_input"),
    ("{own}", 422, "invalid_input"),
    ("{other}", 409, "conflict"),
])
def test_change_email_refused(api, alice, bob, new_email, status, code):
    new_email = new_email.format(own=alice.email.upper(), other=bob.email)
    r = api.post("/api/auth/email", headers=alice.auth, json={"new_email": new_email, "password": alice.password})
    error = error_of(r, status, code)
    if status == 422:
        assert [f["field"] for f in error["fields"]] == ["new_email"], r.text
    if code == "conflict":
        assert "already registered" in error["message"]
    assert me(api, alice)["email"] == alice.email


def test_an_address_taken_meanwhile_is_refused(api, alice):
    new = unique_email("taken")
    assert api.post("/api/auth/email", headers=alice.auth,
                    json={"new_email": new, "password": alice.password}).status_code == 202
    token = link_of(wait_for_mails(new, 1)[0])[2]
    # Somebody else signs up with it before alice confirms.
    r = api.post("/api/auth/signup", json={"email": new, "password": f"{PASSWORD_MARK} taken"})
    assert r.status_code == 201
    r = api.post("/api/auth/email/confirm", json={"token": token})
    assert "already registered" in error_of(r, 409, "conflict")["message"]
    assert me(api, alice)["email"] == alice.email


def test_change_email_asks_for_the_password(api, alice):
    # A stolen access token alone cannot move the account to another inbox.
    new = unique_email("no-password")
    r = api.post("/api/auth/email", headers=alice.auth, json={"new_email": new, "password": "not her password"})
    error_of(r, 401, "invalid_credentials")
    r = api.post("/api/auth/email", headers=alice.auth, json={"new_email": new})
    assert [f["field"] for f in error_of(r, 422, "invalid_input")["fields"]] == ["password"], r.text
    assert mails_to(new) == []


def test_too_many_email_changes(api, alice):
    for n in range(3):
        r = api.post("/api/auth/email", headers=alice.auth,
                     json={"new_email": unique_email(f"change{n}"), "password": alice.password})
        assert r.status_code == 202, r.text
    r = api.post("/api/auth/email", headers=alice.auth,
                 json={"new_email": unique_email("change3"), "password": alice.password})
    assert "try again" in error_of(r, 429, "too_many_requests")["message"]


# ---- deleting the account ---------------------------------------------------------

def test_delete_account_needs_the_password(api, admin, alice, alice_task):
    r = api.post("/api/auth/delete-account", headers=alice.auth, json={"password": "wrong " + alice.password})
    assert assert_401(r, "invalid_credentials")["message"] == "the password is wrong"
    assert "set-cookie" not in r.headers
    assert tasks_of(api, alice) == [alice_task]
    error = error_of(api.post("/api/auth/delete-account", headers=alice.auth, json={}), 422, "invalid_input")
    assert [f["field"] for f in error["fields"]] == ["password"]
    assert tasks_of(api, alice) == [alice_task]


def test_delete_account(api, admin, browser, alice, bob, alice_task):
    r = browser.post("/api/auth/signin", json={"email": alice.email, "password": alice.password})
    session = User(alice.email, alice.password, alice.id, r.json()["access_token"])
    r = api.post("/api/tasks", headers=bob.auth, json={"title": "bob's"})
    bob_task = r.json()

    r = browser.post("/api/auth/delete-account", headers=session.auth, json={"password": alice.password})
    assert r.status_code == 204 and r.content == b"", r.text
    assert_cleared(r)
    assert browser.cookies.get(REFRESH_COOKIE) is None

    # The account, its sessions and its tasks are gone; bob's are not.
    for token_user in (alice, session):
        assert_401(api.get("/api/tasks", headers=token_user.auth))
    assert_401(refresh_with(api, alice.refresh), "refresh_failed")
    assert_401(api.post("/api/auth/signin", json={"email": alice.email, "password": alice.password}),
               "invalid_credentials")
    assert admin.execute("SELECT count(*) FROM tasks WHERE user_id = %s", [alice.id]).fetchone()[0] == 0
    assert admin.execute("SELECT count(*) FROM auth.users WHERE id = %s", [alice.id]).fetchone()[0] == 0
    assert tasks_of(api, bob) == [bob_task]
    # The address is free again.
    r = api.post("/api/auth/signup", json={"email": alice.email, "password": f"{PASSWORD_MARK} again"})
    assert r.status_code == 201 and r.json()["id"] != alice.id


# ---- the page's guards ------------------------------------------------------------

@pytest.mark.parametrize("path,status", [
    ("/", 200), ("/static/app.js", 200), ("/api/tasks", 401), ("/api/auth/forgot-password", 405),
    ("/nothing", 404), ("/openapi.json", 200),
])
def test_security_headers(api, path, status):
    r = api.get(path)
    assert r.status_code == status
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_the_page_has_no_inline_script_or_style(api):
    # Under script-src 'self' and style-src 'self' none of them would run.
    html = api.get("/").text
    scripts = re.findall(r"<script\b[^>]*>", html, re.I)
    assert scripts and all(re.search(r'\bsrc="/static/[\w.]+\.js"', tag) for tag in scripts), scripts
    assert not re.search(r"<style\b|\bstyle=|\bon[a-z]+=", html, re.I)
    assert not re.search(r"javascript:", html, re.I)
