"""`popliteal export fhir`: one patient's or a whole clinic's record as a FHIR R4 Bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from popliteal.cli._exits import app_settings, err, fail, knowledge_base


def export_fhir(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The JSON file to write.", dir_okay=False)
    ],
    patient: Annotated[
        int | None, typer.Option("--patient", help="Export this patient (id).", min=1)
    ] = None,
    clinic: Annotated[
        int | None,
        typer.Option("--clinic", help="Export every patient of this clinic (id).", min=1),
    ] = None,
) -> None:
    """Write a FHIR R4 Bundle (type collection) of one patient (--patient ID) or of every
    patient of a clinic (--clinic ID), read from DATABASE_URL; the export is an audit event.
    Exit 2 on bad input."""
    import json

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from popliteal import clock
    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.interop import service as interop_service

    if (patient is None) == (clinic is None):
        raise fail("give exactly one of --patient ID or --clinic ID")
    if output.exists() and output.is_dir():
        raise fail(f"{output} is a folder: give a file name")
    if not output.parent.exists():
        raise fail(f"the folder {output.parent} does not exist")
    settings = app_settings()
    kb = knowledge_base()
    engine = make_engine(settings.database_url)
    now = clock.utcnow()
    try:
        with make_sessionmaker(engine)() as session:
            bundle = interop_service.export_from_command_line(
                session, kb, patient_id=patient, clinic_id=clinic, now=now
            )
    except interop_service.NoSuchRecord as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        raise fail(
            f"cannot read the database (did you run `popliteal db upgrade`?): {exc.orig}"
        ) from None
    finally:
        engine.dispose()
    try:
        output.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(str(output))
    err.print(f"FHIR bundle written: {output}, {len(bundle['entry'])} resources", highlight=False)
