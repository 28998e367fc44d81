"""The [email] table: strict validation, the password only from the environment, never shown."""

import dataclasses

import pytest

from commentary_monitor.config import SMTP_PASSWORD_ENV, load_config
from commentary_monitor.errors import ConfigError

from .conftest import write_config

GOOD = """
[email]
smtp_host = "smtp.example.org"
security = "ssl"
username = "bot"
sender = "monitor@example.org"
recipients = ["a@example.org", "b@example.org"]
"""


def test_email_settings_and_password_from_the_environment_only(tmp_path):
    cfg_path = write_config(tmp_path, [], [], GOOD)
    cfg = load_config(cfg_path, env={SMTP_PASSWORD_ENV: "hunter2-secret"})
    e = cfg.email
    assert (e.smtp_host, e.smtp_port, e.security, e.username) == ("smtp.example.org", 465, "ssl", "bot")
    assert e.recipients == ("a@example.org", "b@example.org") and e.enabled
    assert e.outbox == tmp_path / "warehouse" / "outbox"
    assert e.password.get_secret_value() == "hunter2-secret"
    # Any dump of the config redacts it.
    for dump in (repr(cfg), str(cfg), repr(dataclasses.asdict(cfg)), str(e.password)):
        assert "hunter2-secret" not in dump
    assert load_config(cfg_path, env={}).email.password is None


def test_defaults_without_an_email_table(tmp_path):
    e = load_config(write_config(tmp_path, [], []), env={}).email
    assert not e.enabled and e.smtp_host == "" and e.smtp_port == 587 and e.security == "starttls"


@pytest.mark.parametrize("extra, key, message", [
    ('[email]\npassword = "hunter2"\n', "email.password", "passwords are never read from config files"),
    ('[email]\nsecurity = "tls"\n', "email.security", "expected one of starttls, ssl, none"),
    ('[email]\nsender = "m@example.org"\nrecipients = ["not an address"]\n', "email.recipients[0]", "not an email address"),
    ('[email]\nrecipients = ["a@example.org"]\n', "email.sender", "required key is missing"),
    ('[email]\nsmtp_host = "smtp.example.org"\n', "email.recipients", "required key is missing"),
    ('[email]\nsecurity = "none"\nusername = "bot"\n', "email.username", "would send the password in clear"),
    ('[email]\nsmtp_port = 0\n', "email.smtp_port", "greater than or equal to 1"),
    ('[email]\nca_file = "nowhere.pem"\n', "email.ca_file", "file not found"),
    ('[email]\nsmtp_hots = "x"\n', "email.smtp_hots", "unknown key"),
    ("[digest]\nmention_band = 2.0\n", "digest.mention_band", "less than or equal to 1"),
])
def test_mistakes_are_one_line_naming_the_key(tmp_path, extra, key, message):
    path = write_config(tmp_path, [], [], "")
    # write_config already has a [digest] table: append to it rather than repeat it
    text = path.read_text(encoding="utf-8")
    if extra.startswith("[digest]"):
        text = text.replace('[digest]\n', extra, 1)
    else:
        text += extra
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert err.value.key == key and message in err.value.message
    assert "hunter2" not in str(err.value)
