"""Offset credits (抵消机制): projects, and the eligibility of credits for a company's surrender."""
