"""The wording shown for a questionnaire: a licensed clinic's own, the shipped free wording,
or our neutral labels.

KOOS (Mapi Research Trust) and the IKDC form (AOSSM) are licensed, so popliteal ships only
their scoring, item ids and short neutral labels. A clinic holding a licence supplies the
wording in a YAML file of its own (one file per instrument, in the folder named by
POPLITEAL_WORDING_DIR):

    instrument: koos
    licence:
      holder: "Example Knee Clinic"            # who holds the licence
      reference: "licence 2025-0001"           # the licence or agreement reference
    stem: "Optional instruction shown above the items."
    items:
      S1:
        text: "The item as printed on the licensed form."
        options: ["label for 0", "label for 1", "label for 2", "label for 3", "label for 4"]
      ...

The file is validated when loaded: every item of the instrument is present, each has a text
and one option label per answer value (lowest first), and no unknown ids. Every problem is
reported with the file, the item and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from popliteal.knowledge.schema import Instrument, OutcomesSettings

NOT_LOADED = "licensed wording not loaded"
WordingSource = Literal["clinic", "shipped", "labels"]
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_FILE_BYTES = 2 * 1024 * 1024


class WordingError(ValueError):
    """A wording file cannot be used; `problems` names file, item and field for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ItemWording:
    id: str
    label: str  # our neutral label, always present
    text: str | None  # the wording to show; None when only the label may be shown
    options: tuple[str, ...]  # one label per answer value, lowest first; empty when not loaded


@dataclass(frozen=True)
class Wording:
    instrument: str
    source: WordingSource
    licence_holder: str
    reference: str | None
    stem: str | None
    items: tuple[ItemWording, ...]
    marker: str | None = None  # NOT_LOADED when only the neutral labels can be shown


def _instrument(settings: OutcomesSettings, instrument_id: str) -> Instrument | None:
    return settings.instruments.get(instrument_id)  # type: ignore[call-overload,no-any-return]


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_wording(data: Any, settings: OutcomesSettings, *, name: str) -> Wording:
    """Validate one parsed wording document; raise WordingError listing every problem."""
    if not isinstance(data, dict):
        raise WordingError([f"{name}: expected a mapping with instrument, licence and items"])
    problems: list[str] = []
    unknown_keys = sorted(set(data) - {"instrument", "licence", "stem", "items"})
    problems += [f"{name}: unknown field '{k}'" for k in unknown_keys]
    instrument_id = data.get("instrument")
    instrument = _instrument(settings, str(instrument_id)) if instrument_id is not None else None
    if instrument is None:
        known = ", ".join(settings.instruments)
        problems.append(f"{name}: field instrument: expected one of {known}, not {instrument_id!r}")
        raise WordingError(problems)
    licence = data.get("licence")
    holder = reference = None
    if not isinstance(licence, dict):
        problems.append(f"{name}: field licence: expected holder and reference")
    else:
        holder, reference = _text(licence.get("holder")), _text(licence.get("reference"))
        if holder is None:
            problems.append(f"{name}: field licence.holder: missing")
        if reference is None:
            problems.append(f"{name}: field licence.reference: missing")
        problems += [
            f"{name}: unknown field 'licence.{k}'"
            for k in sorted(set(licence) - {"holder", "reference"})
        ]
    stem = data.get("stem")
    if stem is not None and _text(stem) is None:
        problems.append(f"{name}: field stem: expected text")
    items = data.get("items")
    if not isinstance(items, dict):
        problems.append(f"{name}: field items: expected a mapping of item id to text and options")
        raise WordingError(problems)
    given: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for raw_id, entry in items.items():
        item = instrument.item(str(raw_id))
        if item is None:
            problems.append(f"{name}: item {raw_id}: unknown item for {instrument_id}")
            continue
        if item.id in given:
            problems.append(f"{name}: item {item.id}: given twice")
            continue
        where = f"{name}: item {item.id}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected text and options")
            given[item.id] = (None, ())
            continue
        problems += [
            f"{where}: unknown field '{k}'" for k in sorted(set(entry) - {"text", "options"})
        ]
        text = _text(entry.get("text"))
        if text is None:
            problems.append(f"{where}, field text: missing")
        options = entry.get("options")
        needed = item.max - item.min + 1
        labels: tuple[str, ...] = ()
        if not isinstance(options, list) or not all(_text(o) for o in options):
            problems.append(
                f"{where}, field options: expected a list of {needed} labels "
                f"(answers {item.min}-{item.max}, lowest first)"
            )
        elif len(options) != needed:
            problems.append(
                f"{where}, field options: {len(options)} labels for answers "
                f"{item.min}-{item.max} (needs {needed})"
            )
        else:
            labels = tuple(str(o).strip() for o in options)
        given[item.id] = (text, labels)
    missing = [i.id for i in instrument.items if i.id not in given]
    if missing:
        problems.append(f"{name}: items missing: " + ", ".join(missing))
    if problems:
        raise WordingError(problems)
    return Wording(
        instrument=str(instrument_id),
        source="clinic",
        licence_holder=holder or "",
        reference=reference,
        stem=_text(stem),
        items=tuple(
            ItemWording(id=i.id, label=i.label, text=given[i.id][0], options=given[i.id][1])
            for i in instrument.items
        ),
    )


def load_wording_file(path: Path, settings: OutcomesSettings) -> Wording:
    """Read and validate one clinic wording file."""
    name = str(path)
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise WordingError([f"{name}: larger than {_MAX_FILE_BYTES // 2**20} MB"])
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WordingError([f"{name}: no such file"]) from None
    except IsADirectoryError:
        raise WordingError([f"{name}: is a folder, not a file"]) from None
    except UnicodeDecodeError:
        raise WordingError([f"{name}: not UTF-8 text"]) from None
    except OSError as exc:
        raise WordingError([f"{name}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data = yaml.load(raw, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise WordingError([f"{name}: not valid YAML: {exc}"]) from None
    return parse_wording(data, settings, name=name)


def load_wording_dir(directory: Path, settings: OutcomesSettings) -> dict[str, Wording]:
    """Every *.yaml / *.yml wording file in a folder, by instrument; all problems together."""
    if not directory.is_dir():
        raise WordingError([f"{directory}: POPLITEAL_WORDING_DIR is not a folder"])
    problems: list[str] = []
    loaded: dict[str, Wording] = {}
    seen_in: dict[str, Path] = {}
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    for path in paths:
        try:
            wording = load_wording_file(path, settings)
        except WordingError as exc:
            problems += exc.problems
            continue
        if wording.instrument in loaded:
            problems.append(
                f"{path}: a second wording for {wording.instrument} "
                f"(already in {seen_in[wording.instrument]})"
            )
            continue
        loaded[wording.instrument] = wording
        seen_in[wording.instrument] = path
    if problems:
        raise WordingError(problems)
    return loaded


def wording_for(
    instrument_id: str,
    settings: OutcomesSettings,
    clinic: Mapping[str, Wording] | None = None,
) -> Wording:
    """The wording to show: the clinic's if loaded, else the shipped free wording, else the
    neutral labels marked "licensed wording not loaded"."""
    if clinic and instrument_id in clinic:
        return clinic[instrument_id]
    instrument = _instrument(settings, instrument_id)
    if instrument is None:
        raise ValueError(f"unknown instrument '{instrument_id}'")
    if instrument.licence.free:
        return Wording(
            instrument=instrument_id,
            source="shipped",
            licence_holder=instrument.licence.holder,
            reference=None,
            stem=instrument.stem,
            items=tuple(
                ItemWording(id=i.id, label=i.label, text=i.text, options=tuple(i.options))
                for i in instrument.items
            ),
        )
    return Wording(
        instrument=instrument_id,
        source="labels",
        licence_holder=instrument.licence.holder,
        reference=None,
        stem=None,
        items=tuple(
            ItemWording(id=i.id, label=i.label, text=None, options=()) for i in instrument.items
        ),
        marker=NOT_LOADED,
    )


def clinic_wording(wording_dir: Path | None, settings: OutcomesSettings) -> dict[str, Wording]:
    """The clinic's licensed questionnaire wording (POPLITEAL_WORDING_DIR), checked at start
    like the knowledge base: a broken file stops the start, naming file, item and field. Here,
    not in server.py, so `popliteal serve` checks it without loading the whole app (each
    worker process loads that itself)."""
    if wording_dir is None:
        return {}
    try:
        return load_wording_dir(wording_dir, settings)
    except WordingError as exc:
        heading = f"POPLITEAL_WORDING_DIR {wording_dir}: fix these or unset it"
        raise WordingError([heading, *exc.problems]) from None
