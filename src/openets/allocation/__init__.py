"""Cap setting and allowance allocation (总量设定与配额分配): pure functions, no I/O.

``cap`` plans the budget from the global carbon budget down to the covered sectors; ``split`` divides a
total into whole tonnes that add up exactly; ``methods`` are the allocation methods (benchmark, power
with correction factors, historical intensity, grandfathering, auction share, benchmark derivation).
"""
