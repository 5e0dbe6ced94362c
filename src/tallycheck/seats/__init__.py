"""Seat allocation exactly as the law says (pure core: integers and fractions, no floats in any comparison)."""
