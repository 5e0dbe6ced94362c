"""Statistical screening of polling stations for the fingerprints of fraud (pure core: numpy and scipy only).

A flag is a reason to look, never proof: every method says what it measures and what else could produce it.
"""
