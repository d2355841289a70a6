"""A lab file with generated firms, for the policy lab's tests and bench: BAU 50–500 kt, allocation
85–100 % of it, MAC slope 600 / BAU × U(0.5, 2) yuan per tonne per tonne (a firm abates
1/600 × U(0.5, 2)⁻¹ of its BAU per yuan of price: ~8 % at 50 yuan)."""

from __future__ import annotations

import random
from pathlib import Path


def write_lab_file(folder: Path, firms: int, days: int, orders_per_day: int, *, seed: int = 7, years: str = "[2021]",
                   market: str = "CEA", penalty_yuan: str = "300") -> Path:
    rng = random.Random(seed)
    lines = ["firm_id,sector,bau_t,allocation_t,mac_slope"]
    for i in range(firms):
        bau = rng.randint(50_000, 500_000)
        lines.append(f"F{i:05d},{['cement', 'power', 'steel'][i % 3]},{bau},{int(bau * rng.uniform(0.85, 1.0))},"
                     f"{600 / bau * rng.uniform(0.5, 2):.8f}")
    (folder / "firms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lab = folder / "lab.toml"
    lab.write_text(f'[lab]\nname = "generated"\nmarket = "{market}"\nyears = {years}\ntrading_days = {days}\n'
                   f'orders_per_day = {orders_per_day}\npenalty_yuan = "{penalty_yuan}"\nseed = 1\nfirms = "firms.csv"\n',
                   encoding="utf-8")
    return lab
