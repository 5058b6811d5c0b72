"""The errors every area's services raise and the web maps once (web/errors.py): on the bottom
floor, so the error map needs no area above it."""

from __future__ import annotations


class AccountError(ValueError):
    """A problem the person can fix; the message is shown as is (HTTP `status_code`)."""

    status_code = 422

    @property
    def detail(self) -> str | list[str]:
        return str(self)


class ProblemsError(AccountError):
    """Every problem found at once, so the person can fix them all in one go."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    @property
    def detail(self) -> str | list[str]:
        return self.problems


class NotAllowed(PermissionError):
    """The actor may not see or change this record (shown as 404 so ids are not probed).

    Every refusal is an audit event (web/errors.py); a raiser that knows whose record was
    asked for says so (`patient_id`, `clinic_id`: the record's, not the asker's), so the
    record's clinic sees the attempt."""

    def __init__(
        self,
        message: str = "not found",
        *,
        entity: str | None = None,
        entity_id: object = None,
        patient_id: int | None = None,
        clinic_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_id = entity_id
        self.patient_id = patient_id
        self.clinic_id = clinic_id


class NotSetUp(LookupError):
    """No clinic exists yet (a new database before `popliteal clinic create`): a state of the
    deployment, not of the request, so it is shown as 503 "not set up yet", never as a crash
    or as something the visitor entered wrong."""

    message = "This service is not set up yet"
