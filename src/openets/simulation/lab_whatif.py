"""What-ifs of a lab (``openets lab compare LAB.toml --what-if cap=-10% …``, policy-lab.md §6): each
changes one input of the lab file and gives a new lab, run beside the base. Typed and bounded:

- ``cap=-10%``        every firm's allocation × (1 − 10 %) in every year (absolute and benchmark firms)
- ``benchmark=-5%``   every benchmark × (1 − 5 %), the allocation benchmark × output again (rounded
                      half up); a lab without benchmark firms refuses it
- ``penalty=2x``      the penalty per tonne × 2 (``+50%`` too)
- ``floor=40``        a price floor of 40 yuan/t, defended by a reserve that buys at it
- ``offset_cap=0.05``  offsets up to 5 % of each firm's verified emissions, at the lab file's
                      ``offset_price_yuan`` (a lab without one refuses it)
- ``pre_allocation=0.7``  the share of each firm's allocation issued before trading; the rest is issued
                      after the last trading day, before surrender (the national market pre-allocates
                      a share and trues up after verification)

- ``bank_limit=10000`` each firm carries at most 10,000 t into the next year; the rest is cancelled
                      (only a lab of several years has a next year)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from openets.core.errors import BadInput, DomainError
from openets.core.numbers import MAX_TONNES, parse_decimal, parse_int
from openets.core.text import check_text
from openets.simulation.economics import intensity_allocation
from openets.simulation.labfile import Lab

KEYS = {"cap": "±N% (each allocation changed by N %)", "benchmark": "±N% (each benchmark changed by N %)",
        "penalty": "Nx (the penalty times N) or ±N%", "floor": "yuan per tonne",
        "pre_allocation": "a share in (0, 1]", "offset_cap": "a share of verified emissions in [0, 0.5]",
        "bank_limit": "whole tonnes a firm may carry into the next year"}


@dataclass(frozen=True, slots=True)
class WhatIf:
    key: str
    value: Decimal  # a factor (cap, benchmark, penalty: the new value is old × this), yuan (floor), a share
    text: str  # as the user wrote it: the variant's name in the report

    @property
    def label(self) -> str:
        return self.text


def _percent(key: str, raw: str, text: str) -> Decimal:
    if not raw.endswith("%"):
        raise BadInput("what_if_invalid", f"--what-if {text}: {key} is a change in per cent, e.g. {key}=-10%")
    pct = parse_decimal(raw[:-1].strip(), f"--what-if {text}", minimum=-90, maximum=500)
    if pct == 0:
        raise BadInput("what_if_invalid", f"--what-if {text}: a change of 0 % is the base")
    return 1 + pct / 100


def parse_what_if(text: str) -> WhatIf:
    """``key=value`` → a typed what-if; a bad one refused in one line naming it as written."""
    check_text(text, "--what-if", max_length=64)
    key, sep, raw = (s.strip() for s in text.partition("="))
    if not sep or not raw:
        raise BadInput("what_if_invalid", f"--what-if {text!r}: write key=value, one of {', '.join(KEYS)}")
    if key not in KEYS:
        raise BadInput("what_if_invalid", f"--what-if {text}: unknown {key!r}; one of {', '.join(KEYS)}")
    if key in ("cap", "benchmark"):
        return WhatIf(key, _percent(key, raw, text), text)
    if key == "penalty":
        if raw.lower().endswith(("x", "×")):
            m = parse_decimal(raw[:-1].strip(), f"--what-if {text}", minimum=Decimal("0.1"), maximum=100)
            return WhatIf(key, m, text)
        return WhatIf(key, _percent(key, raw, text), text)
    if key == "floor":
        return WhatIf(key, parse_decimal(raw, f"--what-if {text}", minimum=Decimal("0.01"), maximum=100_000), text)
    if key == "bank_limit":
        return WhatIf(key, Decimal(parse_int(raw, f"--what-if {text}", maximum=MAX_TONNES)), text)
    if key == "offset_cap":
        return WhatIf(key, parse_decimal(raw, f"--what-if {text}", minimum=0, maximum=Decimal("0.5")), text)
    share = parse_decimal(raw, f"--what-if {text}", minimum=Decimal("0.01"), maximum=1)
    return WhatIf(key, share, text)


def parse_what_ifs(texts: list[str]) -> list[WhatIf]:
    """Every what-if parsed; every bad one named (all of them, in one refusal); none twice."""
    out, problems, seen = [], [], set()
    for t in texts:
        try:
            w = parse_what_if(t)
        except BadInput as exc:
            problems.append(exc.message)
            continue
        if w.text in seen:
            problems.append(f"--what-if {t}: given twice")
        seen.add(w.text)
        out.append(w)
    if problems:
        raise BadInput("what_if_invalid", "; ".join(problems))
    return out


def apply(lab: Lab, w: WhatIf) -> Lab:
    """The lab with the one input the what-if changes."""
    h = lab.head
    if w.key == "cap":
        factors = [f * w.value for f in (h.allocation_factor or [Decimal(1)] * len(h.years))]
        return dataclasses.replace(lab, head=h.model_copy(update={"allocation_factor": factors}))
    if w.key == "benchmark":
        if not any(f.benchmark is not None for f in lab.firms):
            raise DomainError("what_if_invalid", f"--what-if {w.text}: no firm of this lab is allocated by a benchmark")
        firms = tuple(f if f.benchmark is None or f.output is None else dataclasses.replace(
            f, benchmark=f.benchmark * w.value, allocation=intensity_allocation(f.benchmark * w.value, f.output))
            for f in lab.firms)
        return dataclasses.replace(lab, firms=firms)
    if w.key == "penalty":
        return dataclasses.replace(lab, head=h.model_copy(update={"penalty_yuan": h.penalty_yuan * w.value}))
    if w.key == "floor":
        return dataclasses.replace(lab, head=h.model_copy(update={"price_floor_yuan": w.value}))
    if w.key == "bank_limit":
        if len(h.years) < 2:
            raise DomainError("what_if_invalid", f"--what-if {w.text}: a lab of one year banks nothing")
        return dataclasses.replace(lab, head=h.model_copy(update={"bank_limit_t": int(w.value)}))
    if w.key == "offset_cap":
        if w.value and h.offset_price_yuan is None:
            raise DomainError("what_if_invalid", f"--what-if {w.text}: the lab file gives no offset_price_yuan "
                              "(what an offset costs the firms)")
        return dataclasses.replace(lab, head=h.model_copy(update={"offset_cap": w.value}))
    return dataclasses.replace(lab, head=h.model_copy(update={"pre_allocation": w.value}))
