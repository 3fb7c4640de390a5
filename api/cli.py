"""Functions behind ``avnmotion serve`` and ``avnmotion user create``.

``avnmotion.cli`` calls :func:`serve` and :func:`user_create` with its argparse namespace;
:func:`create_user` is the programmatic form (used by tests to seed tokens).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from api.config import Settings
from api.db.migrate import upgrade
from api.db.models import Clinic, Patient, User
from api.db.session import make_engine, make_sessionmaker
from api.security import hash_token, new_token
from avnmotion.errors import AvnInputError

log = logging.getLogger("avnmotion.api")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by --db, --data-dir and --workers."""
    overrides: dict[str, Any] = {}
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
        try:
            make_url(args.db)
        except ArgumentError:
            raise AvnInputError(f"--db {args.db!r} is not a database URL") from None
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "workers", None) is not None:  # 0 is a value, not "unset"
        overrides["workers"] = args.workers
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise AvnInputError(f"invalid settings: {problems}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    """``avnmotion serve [--host --port --db --data-dir --workers --tls-cert --tls-key]``."""
    import uvicorn

    from api.main import create_app

    cert, key = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if bool(cert) != bool(key):
        raise AvnInputError("--tls-cert and --tls-key must be given together")
    for label, path in (("--tls-cert", cert), ("--tls-key", key)):
        if path and not Path(path).is_file():
            raise AvnInputError(f"{label} {path}: file not found")
    host = getattr(args, "host", None) or "127.0.0.1"
    port = getattr(args, "port", None)
    port = 8000 if port is None else int(port)
    if not 0 <= port <= 65535:
        raise AvnInputError(f"--port must be 0-65535, got {port}")
    if cert and key:
        import ssl

        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
        except (ssl.SSLError, OSError) as exc:
            raise AvnInputError(f"--tls-cert / --tls-key: not a usable PEM pair ({exc})") from None
    if not cert and not _is_loopback(host):
        log.warning(
            "serving on %s without TLS: bearer tokens and health data travel in clear "
            "text; use --tls-cert/--tls-key or a TLS-terminating proxy",
            host,
        )
    logging.getLogger("avnmotion.api").setLevel(logging.INFO)
    app = create_app(settings_from_args(args))
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=cert,
        ssl_keyfile=key,
        log_level="info",
        proxy_headers=True,
    )
    return 0


def create_user(
    settings: Settings,
    *,
    name: str,
    role: str,
    clinic: str,
    patient_id: str | None = None,
) -> tuple[User, str]:
    """Create a user (and its clinic if new); returns the user and its token (shown once).

    A patient user must name an existing patient of that clinic (create patients with
    ``POST /v1/patients``; clinicians can also issue patient logins through the API).
    """
    if role not in ("clinician", "patient"):
        raise AvnInputError(f"role must be clinician or patient, got {role!r}")
    if role == "patient" and not patient_id:
        raise AvnInputError("a patient user needs --patient-id")
    if role == "clinician" and patient_id:
        raise AvnInputError("--patient-id is only for patient users")
    if not name.strip() or not clinic.strip():
        raise AvnInputError("--name and --clinic must not be empty")
    engine = make_engine(settings)
    try:
        try:
            upgrade(engine)
        except OperationalError as exc:
            raise AvnInputError(
                f"cannot open the database {settings.db_url!r}: {exc.orig}"
            ) from None
        with make_sessionmaker(engine)() as db:
            row = db.scalar(select(Clinic).where(Clinic.name == clinic))
            if row is None:
                if role == "patient":
                    raise AvnInputError(f"no clinic named {clinic!r}")
                row = Clinic(name=clinic)
                db.add(row)
                db.flush()
            if patient_id is not None:
                patient = db.get(Patient, patient_id)
                if patient is None or patient.clinic_id != row.id:
                    raise AvnInputError(f"no patient {patient_id} in clinic {clinic!r}")
            token = new_token()
            user = User(
                name=name.strip(),
                role=role,
                clinic_id=row.id,
                patient_id=patient_id,
                token_hash=hash_token(token),
            )
            db.add(user)
            db.commit()
            db.refresh(user)
            return user, token
    finally:
        engine.dispose()


def user_create(args: argparse.Namespace) -> int:
    """``avnmotion user create --role R --clinic NAME [--patient-id ID] --name NAME``."""
    user, token = create_user(
        settings_from_args(args),
        name=args.name,
        role=args.role,
        clinic=args.clinic,
        patient_id=getattr(args, "patient_id", None),
    )
    print(
        f"created {user.role} {user.name!r} (id {user.id}) in clinic {args.clinic!r}; "
        "the token is shown only once:",
        file=sys.stderr,
    )
    print(token)
    return 0
