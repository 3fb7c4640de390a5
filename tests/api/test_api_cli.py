"""``avnmotion user create`` and ``avnmotion serve`` helpers."""

from __future__ import annotations

import argparse

import pytest

from api.cli import create_user, serve, settings_from_args, user_create
from api.config import Settings
from api.security import hash_token
from avnmotion.errors import AvnInputError


def _args(**kw: object) -> argparse.Namespace:
    base = {"db": None, "data_dir": None, "workers": None, "patient_id": None}
    base.update(kw)
    return argparse.Namespace(**base)


def test_user_create_prints_token_once(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(
        db=settings.db_url,
        data_dir=str(settings.data_dir),
        name="Dr A",
        role="clinician",
        clinic="Clinic A",
    )
    assert user_create(args) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith("avn_") and len(token) > 40
    assert token not in err and "shown only once" in err
    from sqlalchemy import select

    from api.db.models import User
    from api.db.session import make_engine, make_sessionmaker

    engine = make_engine(settings)
    with make_sessionmaker(engine)() as db:
        assert db.scalar(select(User.token_hash)) == hash_token(token)
    engine.dispose()


def test_user_create_errors(settings: Settings) -> None:
    create_user(settings, name="Dr A", role="clinician", clinic="A")
    with pytest.raises(AvnInputError, match="needs --patient-id"):
        create_user(settings, name="p", role="patient", clinic="A")
    with pytest.raises(AvnInputError, match="no patient nope in clinic 'A'"):
        create_user(settings, name="p", role="patient", clinic="A", patient_id="nope")
    with pytest.raises(AvnInputError, match="no clinic named 'Z'"):
        create_user(settings, name="p", role="patient", clinic="Z", patient_id="x")
    with pytest.raises(AvnInputError, match="only for patient users"):
        create_user(settings, name="c", role="clinician", clinic="A", patient_id="x")
    with pytest.raises(AvnInputError, match="role must be"):
        create_user(settings, name="c", role="admin", clinic="A")


def test_settings_from_args(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AVNMOTION_WORKERS", "5")
    monkeypatch.setenv("AVNMOTION_MAX_UPLOAD_MB", "12")
    s = settings_from_args(_args(db="sqlite:///x.db", data_dir=str(tmp_path)))
    assert (s.workers, s.max_upload_mb, s.db_url, s.data_dir) == (5, 12, "sqlite:///x.db", tmp_path)
    s = settings_from_args(_args(workers=3))
    assert s.workers == 3


def test_serve_rejects_half_tls(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AvnInputError, match="together"):
        serve(_args(host="127.0.0.1", port=0, tls_cert=str(tmp_path / "c.pem"), tls_key=None))
    with pytest.raises(AvnInputError, match="file not found"):
        serve(
            _args(
                host="127.0.0.1",
                port=0,
                tls_cert=str(tmp_path / "c.pem"),
                tls_key=str(tmp_path / "k.pem"),
            )
        )


def test_serve_and_user_create_argument_errors(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for kw, needle in (
        ({"port": 99999}, "--port must be 0-65535"),
        (
            {"port": 0, "workers": 0},
            "invalid settings: workers: Input should be greater than or equal to 1",
        ),
        (
            {"port": 0, "workers": 99},
            "invalid settings: workers: Input should be less than or equal to 64",
        ),
        ({"port": 0, "db": "notaurl"}, "is not a database URL"),
    ):
        with pytest.raises(AvnInputError, match=needle):
            serve(_args(host="127.0.0.1", tls_cert=None, tls_key=None, **kw))
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("not a certificate")
    key.write_text("not a key")
    with pytest.raises(AvnInputError, match="not a usable PEM pair"):
        serve(_args(host="127.0.0.1", port=0, tls_cert=str(cert), tls_key=str(key)))
    bad_db = Settings(database_url=f"sqlite:///{tmp_path}/no/such/dir/x.db")
    with pytest.raises(AvnInputError, match="cannot open the database"):
        create_user(bad_db, name="Dr A", role="clinician", clinic="A")
    monkeypatch.setenv("AVNMOTION_WORKERS", "0")  # a bad environment is named, not a traceback
    with pytest.raises(AvnInputError, match="invalid settings: workers"):
        settings_from_args(_args())
