"""Settings: defaults, the instance file, KRM_* variables, and a production that is never weak."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.settings import ConfigurationError, parse_list


def test_laptop_defaults(tmp_path):
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'krm.sqlite3'}"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["SUBMIT_LIMITS"] == "5 per minute;30 per day"
    assert app.config["SUBMIT_GLOBAL_LIMIT"] == "600 per minute"
    assert app.config["COLLECTOR_URL"] == "http://127.0.0.1:5000/submit"
    assert app.config["STATE"] == "RP"
    assert app.config["RETENTION_MONTHS"] == 24


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = create_app().config["SECRET_KEY"]
    assert len(first) >= 32
    assert create_app().config["SECRET_KEY"] == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_values_are_parsed_as_json_where_they_parse(monkeypatch):
    monkeypatch.setenv("KRM_PROXY_HOPS", "2")
    monkeypatch.setenv("KRM_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("KRM_SUBMIT_LIMITS", "1 per second")
    monkeypatch.setenv("KRM_GOOGLE_LOCATIONS", '["locations/1", "locations/2"]')
    monkeypatch.setenv("KRM_PUBLIC_BASE_URL", "https://feedback.example/")
    config = create_app().config
    assert config["PROXY_HOPS"] == 2
    assert config["RATELIMIT_ENABLED"] is False
    assert config["SUBMIT_LIMITS"] == "1 per second"
    assert config["GOOGLE_LOCATIONS"] == ["locations/1", "locations/2"]
    assert config["PUBLIC_BASE_URL"] == "https://feedback.example"
    assert config["COLLECTOR_URL"] == "https://feedback.example/submit"


def test_the_instance_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text(
        'jobcenter_name = "Jobcenter Dresden"\nSTATE = "sn"\nPROXY_HOPS = 1\n', encoding="utf-8"
    )
    monkeypatch.setenv("KRM_PROXY_HOPS", "3")
    config = create_app().config
    assert config["JOBCENTER_NAME"] == "Jobcenter Dresden"
    assert config["STATE"] == "SN"
    assert config["PROXY_HOPS"] == 3


def test_explicit_config_wins_over_everything(monkeypatch):
    monkeypatch.setenv("KRM_STATE", "BW")
    assert create_app({"STATE": "SN"}).config["STATE"] == "SN"


@pytest.mark.parametrize("secret", [None, "changeme", "short-but-not-a-word"])
def test_production_refuses_to_start_without_a_real_secret(monkeypatch, secret):
    monkeypatch.setenv("KRM_ENV", "production")
    if secret:
        monkeypatch.setenv("KRM_SECRET_KEY", secret)
    with pytest.raises(ConfigurationError):
        create_app()


def test_production_with_a_real_secret_has_secure_cookies(monkeypatch):
    monkeypatch.setenv("KRM_ENV", "production")
    monkeypatch.setenv("KRM_SECRET_KEY", "x" * 48)
    config = create_app().config
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("locations/1, locations/2", ["locations/1", "locations/2"]),
        ('["a"]', ["a"]),
        (["a", " b "], ["a", "b"]),
        ("locations/1", ["locations/1"]),
    ],
)
def test_list_settings(value, expected):
    assert parse_list(value) == expected
